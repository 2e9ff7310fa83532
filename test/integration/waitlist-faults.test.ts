import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseInput } from '../../workflows/booking/reservation-contract.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { kill9, startWorkerProcess } from '../support/worker-process.js';
import { seatClaim } from '../support/seat-inventory.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

type User = Awaited<ReturnType<TestContext['createUser']>>;

const helpers = (ctx: () => TestContext) => ({
  hold: (u: User, scheduleId: number, seatIds: number[]) => ctx().request('POST', '/api/v1/reservations', { token: u.token, body: { scheduleId, seatIds } }),
  join: (u: User, scheduleId: number) => ctx().request('POST', '/api/v1/waitlist', { token: u.token, body: { scheduleId, quantity: 1 } }),
  entryOf: async (u: User, scheduleId: number) =>
    (await ctx().request('GET', '/api/v1/waitlist', { token: u.token })).body.items.find((e: { scheduleId: number }) => e.scheduleId === scheduleId),
  /** A payment as a client makes it while workers come and go: 503 is retried with the same key. */
  payRetrying: (u: User, reservationId: string) =>
    eventually(async () => {
      const r = await ctx().request('POST', `/api/v1/reservations/${reservationId}/payment`, { token: u.token, headers: { 'idempotency-key': `pay-${reservationId}` } });
      return r.status === 503 || r.body?.code === 'IDEMPOTENCY_IN_PROGRESS' ? undefined : r;
    }, 60_000, 500),
});

/**
 * The release activity dies after its transaction committed the hand-over but before the offer's
 * workflow was started: Temporal retries it, and the retry starts the workflow of the offer that
 * release already made (docs/waitlist.md).
 */
describe('waiting list: crash between the release commit and the offer workflow start', () => {
  let ctx: TestContext;
  const crashOnce = new Set<string>();
  const h = helpers(() => ctx);

  beforeAll(async () => {
    ctx = await createTestContext({
      env: { HOLD_TTL_SECONDS: '120', WAITLIST_OFFER_TTL_SECONDS: '120' },
      overrideActivities: (real) => ({
        async releaseReservation(input: ReleaseInput) {
          if (crashOnce.delete(input.reservationId)) {
            await ctx.services.reservations.release(input); // the transaction commits the hand-over...
            throw new Error('worker died after the release committed'); // ...and nothing after it ran
          }
          return real.releaseReservation(input);
        },
      }),
    });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('the retried release starts the offer workflow and moves the seat lock; the buyer pays', async () => {
    const [holder, bea, dan] = await Promise.all([ctx.createUser(), ctx.createUser({ balance: 50_000 }), ctx.createUser()]);
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 1 });
    const held = await h.hold(holder, scheduleId, seatIds);
    expect(held.status).toBe(201);
    expect((await h.join(bea, scheduleId)).status).toBe(201);
    crashOnce.add(held.body.id);
    const cancelled = await ctx.request('DELETE', `/api/v1/reservations/${held.body.id}`, { token: holder.token });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(crashOnce.size).toBe(0); // the first attempt did crash

    const entry = await eventually(async () => {
      const e = await h.entryOf(bea, scheduleId);
      return e?.status === 'OFFERED' && e.offer?.status === 'HELD' && e;
    });
    const offerId = entry.offer.reservationId as string;
    // The history of the holder's workflow shows the failed attempt and the retry.
    const history = await ctx.temporal.workflow.getHandle(reservationWorkflowId(held.body.id)).fetchHistory();
    expect(history.events?.some((e) => e.activityTaskFailedEventAttributes || (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1)).toBe(true);
    const offerWorkflow = ctx.temporal.workflow.getHandle(reservationWorkflowId(offerId));
    await eventually(async () => (await offerWorkflow.query<{ status: string }>('state')).status === 'HELD');
    // The seat lock belongs to the offer now (moved, never freed), and a public buyer is refused.
    expect(await seatClaim(ctx.redis, scheduleId, seatIds[0]!)).toBe(offerId);
    expect((await h.hold(dan, scheduleId, seatIds)).status).toBe(409);

    const paid = await h.payRetrying(bea, offerId);
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(await h.entryOf(bea, scheduleId)).toMatchObject({ status: 'SERVED' });
    expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 1, waitlistOffers: 1 } })).toEqual([]);
  });
});

/** Real worker processes SIGKILLed while holds and offers are pending: new processes carry the list on. */
describe('waiting list: worker process killed', () => {
  let ctx: TestContext;
  const workers: ChildProcess[] = [];
  const h = helpers(() => ctx);

  const startWorker = async (): Promise<ChildProcess> => {
    const child = await startWorkerProcess(ctx.config, { WAITLIST_OFFER_TTL_SECONDS: String(ctx.config.WAITLIST_OFFER_TTL_SECONDS) });
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false, env: { HOLD_TTL_SECONDS: '8', WAITLIST_OFFER_TTL_SECONDS: '8' } });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await ctx?.close();
  });

  it('a hold that expires across a kill goes to the first entry; its unpaid offer, across another kill, to the next, who pays', async () => {
    const [holder, bea, cal] = await Promise.all([ctx.createUser(), ctx.createUser(), ctx.createUser({ balance: 50_000 })]);
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 1, seatsPerRow: 1 });
    const first = await startWorker();
    const held = await h.hold(holder, scheduleId, seatIds);
    expect(held.status).toBe(201);
    expect((await h.join(bea, scheduleId)).status).toBe(201);
    expect((await h.join(cal, scheduleId)).status).toBe(201);
    await kill9(first);

    const second = await startWorker();
    const beaOffer = await eventually(async () => {
      const e = await h.entryOf(bea, scheduleId);
      return e?.status === 'OFFERED' && e.offer?.status === 'HELD' && e;
    }, 45_000, 250);
    const [[seat]] = (await ctx.pool.query('SELECT status, reservation_id FROM seat_status WHERE seat_id = ?', [seatIds[0]])) as unknown as [Array<{ status: string; reservation_id: string }>];
    expect(seat).toEqual({ status: 'HELD', reservation_id: beaOffer.offer.reservationId });
    // The offer's workflow runs (on the second worker) before that worker is killed in turn.
    await eventually(async () => (await ctx.temporal.workflow.getHandle(reservationWorkflowId(beaOffer.offer.reservationId)).query<{ status: string }>('state')).status === 'HELD', 30_000);
    await kill9(second);

    await startWorker();
    // Bea does not pay: her offer expires on the new worker and the seat goes to Cal, never public.
    const calOffer = await eventually(async () => {
      const e = await h.entryOf(cal, scheduleId);
      return e?.status === 'OFFERED' && e.offer?.status === 'HELD' && e;
    }, 45_000, 250);
    expect(await h.entryOf(bea, scheduleId)).toMatchObject({ status: 'EXPIRED' });
    const paid = await h.payRetrying(cal, calOffer.offer.reservationId);
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(await h.entryOf(cal, scheduleId)).toMatchObject({ status: 'SERVED' });
    const [events] = (await ctx.pool.query(`SELECT type FROM domain_events WHERE aggregate_type = 'reservation' AND aggregate_id IN (?, ?, ?) ORDER BY position`, [
      held.body.id,
      beaOffer.offer.reservationId,
      calOffer.offer.reservationId,
    ])) as unknown as [Array<{ type: string }>];
    // holder: held, expired; Bea's offer: held (in the same transaction), expired; Cal's: held, confirmed.
    expect(events.map((e) => e.type)).toEqual(['ReservationHeld', 'ReservationExpired', 'ReservationHeld', 'ReservationExpired', 'ReservationHeld', 'ReservationConfirmed']);
    expect(await checkInvariants(ctx.pool, { expiryGraceMs: 5_000, atLeast: { confirmed: 1, waitlistOffers: 2 } })).toEqual([]);
  });
});
