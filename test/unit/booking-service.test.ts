import { describe, expect, it } from 'vitest';
import type { HoldResult, PayResult } from '../../workflows/booking/reservation-contract.js';
import type { ReservationStatus } from '../../src/booking/domain.js';
import { UpdateRejected } from '../../src/booking/reservation-workflows.js';
import type { SeatAllocator, SeatLocks } from '../../src/booking/seat-locks.js';
import { BookingService, type BookingCatalog, type BookingWorkflows, type ReservationView } from '../../src/booking/service.js';
import { DomainError } from '../../src/shared/errors.js';

/**
 * BookingService against fakes behind its ports: what it decides (the answer, and what becomes of
 * the Redis seat locks it took) on each exit of hold, and how a refused workflow update is explained.
 */
const now = new Date('2030-01-10T10:00:00Z');
const schedule = {
  id: 1,
  concertId: 7,
  startsAt: new Date('2030-02-01T19:00:00Z'),
  saleOpensAt: new Date('2030-01-01T00:00:00Z'),
  saleClosesAt: new Date('2030-01-31T00:00:00Z'),
  status: 'SCHEDULED' as const,
  maxSeatsPerReservation: 4,
  maxTicketsPerUser: 4,
  holdTtlSeconds: null,
  createdAt: new Date('2029-12-01T00:00:00Z'),
};
const catalog: BookingCatalog = {
  findSchedule: async () => schedule,
  seatIdSpan: async () => ({ min: 1, max: 100, count: 100 }),
  seatIdsIn: async (_scheduleId, seatIds) => seatIds,
};

const view = (id: string, status: ReservationStatus, userId = 1): ReservationView => ({
  id,
  userId,
  scheduleId: 1,
  concertId: 7,
  status,
  amount: 100_000,
  expiresAt: new Date(now.getTime() + 600_000),
  confirmedAt: null,
  closedAt: null,
  refundStartedAt: null,
  reason: null,
  version: 0,
  createdAt: now,
  seats: [{ seatId: 1, section: 'A', row: '1', number: 1, tier: 'R', price: 100_000 }],
});

const unexpected = async (): Promise<never> => {
  throw new Error('not expected in this test');
};

function fakeLocks(acquire: Awaited<ReturnType<SeatLocks['acquire']>> = { ok: true }) {
  const calls: string[] = [];
  const locks: SeatAllocator = {
    allocate: unexpected,
    rebuild: async () => undefined,
    counts: unexpected,
    rememberedRequest: unexpected,
    acquire: async () => acquire,
    release: async (_s, seatIds, owner) => void calls.push(`release ${seatIds.join(',')} ${owner}`),
    markSold: async (_s, seatIds, owner) => void calls.push(`markSold ${seatIds.join(',')} ${owner}`),
    handOver: async (_s, seatIds, from, to) => void calls.push(`handOver ${seatIds.join(',')} ${from} ${to}`),
  };
  return { locks, calls };
}


function service(opts: { workflows?: Partial<BookingWorkflows>; find?: (id: string) => Promise<ReservationView | undefined>; locks?: SeatAllocator }) {
  const workflows: BookingWorkflows = { hold: unexpected, pay: unexpected, cancelHeld: unexpected, refund: unexpected, ...opts.workflows };
  const reservations = { find: opts.find ?? (async () => undefined) };
  const locks = opts.locks ?? fakeLocks().locks;
  return new BookingService(catalog, reservations, workflows, locks, { holdTtlMs: 600_000, maxSeatsPerReservation: 4, cancellationCutoffHours: 24 });
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof DomainError ? err.code : `thrown: ${String(err)}`),
  );

describe('BookingService.hold: every failure exit says what happened and leaves no stray seat lock', () => {
  const req = { scheduleId: 1, seatIds: [1, 2] };

  it('a seat locked by another buyer is refused in Redis, before any workflow', async () => {
    const { locks, calls } = fakeLocks({ ok: false, takenSeatIds: [2] });
    const s = service({ locks });
    const err = await s.hold(1, req, 'k-taken', now).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'SEAT_UNAVAILABLE', details: { unavailableSeatIds: [2] } });
    expect(calls).toEqual([]);
  });

  it('exit 1, the workflow call throws (Temporal unreachable): the error goes up and the locks are freed', async () => {
    const { locks, calls } = fakeLocks();
    const down = new Error('temporal unreachable');
    const s = service({ locks, workflows: { hold: async () => Promise.reject(down) } });
    await expect(s.hold(1, req, 'k-down', now)).rejects.toBe(down);
    expect(calls).toEqual([expect.stringMatching(/^release 1,2 /)]);
  });

  it('exit 2, the hold could not be written (HOLD_FAILED): 503 SERVICE_UNAVAILABLE and the locks are freed', async () => {
    const { locks, calls } = fakeLocks();
    const s = service({ locks, workflows: { hold: async (): Promise<HoldResult> => ({ ok: false, code: 'HOLD_FAILED' }) } });
    expect(await codeOf(s.hold(1, req, 'k-failed', now))).toBe('SERVICE_UNAVAILABLE');
    expect(calls).toEqual([expect.stringMatching(/^release 1,2 /)]);
  });

  it('exit 3, the workflow for this key is already closed: answer with what it left, re-marking sold seats sold', async () => {
    const { locks, calls } = fakeLocks();
    let reservationId = '';
    const s = service({
      locks,
      workflows: {
        hold: async (input) => {
          reservationId = input.reservationId;
          throw new UpdateRejected('WORKFLOW_CLOSED');
        },
      },
      find: async (id) => view(id, 'CONFIRMED'),
    });
    const answer = await s.hold(1, req, 'k-closed-bought', now);
    expect(answer).toMatchObject({ id: reservationId, status: 'CONFIRMED' });
    expect(calls).toEqual([`markSold 1,2 ${reservationId}`]);
  });

  it('exit 3, closed and it left nothing (the hold was refused): SEAT_UNAVAILABLE and the locks are freed', async () => {
    const { locks, calls } = fakeLocks();
    const s = service({ locks, workflows: { hold: async () => Promise.reject(new UpdateRejected('WORKFLOW_CLOSED')) } });
    expect(await codeOf(s.hold(1, req, 'k-closed-empty', now))).toBe('SEAT_UNAVAILABLE');
    expect(calls).toEqual([expect.stringMatching(/^release 1,2 /)]);
  });

  it('a refused hold (seat taken in MySQL, ticket limit) keeps the locks: the workflow activity frees them', async () => {
    const { locks, calls } = fakeLocks();
    const s = service({ locks, workflows: { hold: async (): Promise<HoldResult> => ({ ok: false, code: 'TICKET_LIMIT', limit: 4, held: 3 }) } });
    const err = await s.hold(1, req, 'k-limit', now).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TICKET_LIMIT', details: { limit: 4, held: 3 } });
    expect(calls).toEqual([]);
  });
});

describe('BookingService: a refused workflow update (UpdateRejected) is explained from the reservation as it is now', () => {
  /** For cancel, `find` answers HELD first (its own load), then the state the refusal is explained from. */
  const thenState = (after: ReservationStatus) => {
    let reads = 0;
    return async (id: string) => view(id, reads++ === 0 ? 'HELD' : after);
  };
  const refusePay = (reason: string) => ({ pay: async (): Promise<PayResult> => Promise.reject(new UpdateRejected(reason)) });

  it.each([
    ['RESERVATION_EXPIRED', 'HELD', 'RESERVATION_EXPIRED'],
    ['WORKFLOW_CLOSED', 'EXPIRED', 'RESERVATION_EXPIRED'],
    ['ALREADY_PAID', 'CONFIRMED', 'ALREADY_PAID'],
    ['WORKFLOW_CLOSED', 'CANCELLED', 'RESERVATION_NOT_PAYABLE'],
    ['NOT_ALLOWED', 'FAILED', 'RESERVATION_NOT_PAYABLE'],
  ] as const)('pay refused with %s while the reservation is %s -> %s', async (reason, after, code) => {
    // pay() gets the reservation the route already loaded (HELD); its one read explains the refusal.
    const s = service({ workflows: refusePay(reason), find: async (id) => view(id, after) });
    const current = view('r1', 'HELD');
    expect(await codeOf(s.pay(current, 'u1'))).toBe(code);
  });

  it.each([
    ['NOT_ALLOWED', 'CANCELLED', 'NOT_CANCELLABLE'],
    ['RESERVATION_EXPIRED', 'HELD', 'RESERVATION_EXPIRED'],
    ['WORKFLOW_CLOSED', 'CONFIRMED', 'ALREADY_PAID'],
  ] as const)('cancel refused with %s while the reservation is %s -> %s', async (reason, after, code) => {
    const s = service({ workflows: { cancelHeld: async () => Promise.reject(new UpdateRejected(reason)) }, find: thenState(after) });
    expect(await codeOf(s.cancel(1, 'r1', 'u1', { now }))).toBe(code);
  });

  it('any other workflow error is not an UpdateRejected and goes up unchanged', async () => {
    const boom = new Error('deadline exceeded');
    const s = service({ workflows: { pay: async () => Promise.reject(boom) }, find: async (id) => view(id, 'HELD') });
    await expect(s.pay(view('r1', 'HELD'), 'u1')).rejects.toBe(boom);
  });
});
