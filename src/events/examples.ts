import type { EventPayloadInput, EventType } from './catalog.js';

/**
 * One realistic payload per event type, at the current version: shown in the AsyncAPI document
 * and checked against the generated JSON schemas in the test suite (test/unit/events-contracts).
 */
const reservation = { reservationId: 'r_01hx3k9v2m4q8t', userId: 42, scheduleId: 7 };
const seats = [
  { seatId: 1201, section: 'A', row: '3', number: 14, tier: 'VIP', price: 150000 },
  { seatId: 1202, section: 'A', row: '3', number: 15, tier: 'VIP', price: 150000 },
];
const seatIds = [1201, 1202];
const entry = { entryId: 88, userId: 42, scheduleId: 7 };
const at = '2026-12-07T10:15:00.000Z';
const transfer = { transferId: '5f0c2a9e7b1d4c3e8a6f0b1d', ticketId: 9001, ...reservation };

export const eventExamples: { [T in EventType]: EventPayloadInput<T> } = {
  ReservationHeld: { ...reservation, concertId: 3, seats, amount: 300000, expiresAt: at },
  ReservationConfirmed: { ...reservation, amount: 300000, seatIds },
  ReservationExpired: { ...reservation, seatIds },
  ReservationCancelled: { ...reservation, seatIds, reason: 'USER_CANCELLED' },
  ReservationFailed: { ...reservation, seatIds, reason: 'CONFIRMATION_FAILED' },
  ReservationRefunded: { ...reservation, seatIds, amount: 300000, reason: 'USER_REQUESTED' },
  PaymentCompleted: { reservationId: reservation.reservationId, userId: 42, amount: 300000, paymentId: 501 },
  PaymentRefunded: { reservationId: reservation.reservationId, userId: 42, amount: 300000, paymentId: 501, reason: 'USER_REQUESTED' },
  CardPaymentFailed: { reservationId: reservation.reservationId, userId: 42, providerPaymentId: 'pi_3Q8vZt2eZvKYlo2C', reason: 'card_declined' },
  LatePaymentRefunded: { reservationId: reservation.reservationId, userId: 42, providerPaymentId: 'pi_3Q8vZt2eZvKYlo2C', providerRefundId: 're_3Q8w0a2eZvKYlo2C', amount: 300000, reason: 'RESERVATION_EXPIRED' },
  PaymentMismatch: { kind: 'UNRECORDED_PAYMENT_REFUNDED', providerPaymentId: 'pi_3Q8vZt2eZvKYlo2C', reservationId: null, detail: 'refund re_3Q8w0a2eZvKYlo2C' },
  WalletCharged: { userId: 42, amount: 500000, balance: 500000, reference: 'charge-9f2c' },
  WalletDebited: { userId: 42, amount: 300000, balance: 200000, reference: `payment-${reservation.reservationId}` },
  WalletRefunded: { userId: 42, amount: 300000, balance: 500000, reference: `refund-${reservation.reservationId}` },
  QueueTokenAdmitted: { userId: 42, scheduleId: 7, tokenId: 'q_7b1e' },
  QueueTokenExpired: { userId: 42, scheduleId: 7, tokenId: 'q_7b1e', reason: 'IDLE' },
  QueueSaleEnded: { scheduleId: 7, reason: 'SOLD_OUT' },
  QueueSaleReopened: { scheduleId: 7 },
  QueueAdmissionAdjusted: { scheduleId: 7, admitRatePerSec: 40, maxActive: 400, previousAdmitRatePerSec: 50, previousMaxActive: 500, reason: 'p99 above target' },
  WaitlistJoined: { ...entry, quantity: 2, tier: 'VIP', section: null },
  WaitlistOfferMade: { ...entry, reservationId: 'r_01hx3kaa0w', seatIds, expiresAt: at },
  WaitlistEntryChanged: { ...entry, status: 'SERVED', quantity: 2, reason: 'PURCHASED' },
  WaitlistClosed: { scheduleId: 7, entriesClosed: 12 },
  UserRegistered: { userId: 42, role: 'USER' },
  SecurityEvent: { kind: 'LOGIN_FAILED', userId: 42, ip: '203.0.113.9', detail: 'wrong password' },
  ConcertCreated: { concertId: 3, title: 'Winter Symphony', scheduleIds: [7, 8], seatCount: 1200, adminId: 1 },
  ConcertUpdated: { concertId: 3, changes: { title: 'Winter Symphony (matinee added)' }, adminId: 1 },
  ScheduleChanged: { concertId: 3, scheduleId: 8, change: 'PAUSED', status: 'PAUSED', adminId: 1 },
  AdminAction: { adminId: 1, action: 'schedule.pause', target: 'schedule-8', detail: 'paused for a venue check' },
  WalletAdjusted: { userId: 42, amount: -10000, balance: 490000, reference: 'adjust-17', reason: 'duplicate goodwill credit', adminId: 1 },
  TicketsIssued: { ...reservation, seatIds },
  TicketScanned: { ...reservation, ticketId: 9001, seatId: 1201, staffId: 5, result: 'ADMITTED', firstScanAt: null },
  TicketTransferOffered: { ...transfer, toUserId: 43, expiresAt: at },
  TicketTransferAccepted: { ...transfer, toUserId: 43 },
  TicketTransferDeclined: { ...transfer, toUserId: 43 },
  TicketTransferLapsed: { ...transfer, toUserId: null, reason: 'DEADLINE' },
  TicketTransferWithdrawn: { ...transfer, toUserId: null },
};
