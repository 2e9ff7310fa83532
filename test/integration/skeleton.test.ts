import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicFor } from '../../src/events/catalog.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';
import { collectRaw, ensureTopics } from '../support/events.js';
import { startRelay } from '../support/kafka.js';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';

/** The walking skeleton: API -> Temporal (Update-with-Start) -> activity -> MySQL + outbox -> relay -> Kafka. */
describe('walking skeleton', () => {
  let ctx: TestContext;
  let relay: Awaited<ReturnType<typeof startRelay>>;

  beforeAll(async () => {
    ctx = await createTestContext();
    await ensureTopics(ctx);
    relay = await startRelay(ctx);
  });
  afterAll(async () => {
    await relay?.stop();
    await ctx?.close();
  });

  it('serves concerts from MySQL', async () => {
    const { concertId } = await ctx.createSchedule();
    const res = await ctx.request('GET', '/api/v1/concerts');
    expect(res.status).toBe(200);
    expect(res.body.items.map((c: { id: number }) => c.id)).toContain(concertId);
  });

  it('holds seats through a workflow and the event reaches Kafka', async () => {
    const user = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const consumer = await collectRaw(ctx.kafka, [topicFor(ctx.config.KAFKA_TOPIC_PREFIX, 'reservation')], `${ctx.id}-skeleton`);
    try {
      const res = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: seatIds.slice(0, 2) } });
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('HELD');
      const reservationId: string = res.body.id;

      // The workflow exists under its meaningful id and is findable by its search attributes.
      const handle = ctx.temporal.workflow.getHandle(reservationWorkflowId(reservationId));
      expect((await handle.describe()).status.name).toBe('RUNNING');

      const event = await eventually(async () => consumer.received.map((r) => r.event).find((e) => e.aggregateId === reservationId && e.type === 'ReservationHeld'), 30_000);
      expect(event.sequence).toBe(1);
      expect(event.payload).toMatchObject({ reservationId, userId: user.id, scheduleId, amount: 20_000 });
    } finally {
      await consumer.stop();
    }
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });
});
