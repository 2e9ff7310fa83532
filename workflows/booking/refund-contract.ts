/**
 * The refund workflow's contract: cancelling a CONFIRMED reservation (money back, then the seats).
 * Its ids and names are wire format (test/replay).
 */
export { reservationStatusKey } from './reservation-contract.js';

export const REFUND_WORKFLOW_TYPE = 'refundReservationWorkflow';
/** One refund per reservation. */
export const refundWorkflowId = (reservationId: string) => `reservation-${reservationId}-refund`;

export interface RefundInput {
  reservationId: string;
  reason: string;
}
/** TICKET_ADMITTED: payment refused because a ticket of the purchase was used at the door; nothing changed. */
export type RefundResult = 'REFUNDED' | 'TICKET_ADMITTED';
export type RefundWorkflow = (input: RefundInput) => Promise<RefundResult>;
