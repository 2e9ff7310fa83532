import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogRepository } from '../../src/catalog/repository.js';
import { SeatStatusRepository } from '../../src/booking/seat-status-repository.js';
import { RedisSeatLocks } from '../../src/booking/seat-locks.js';
import { SeatMapCache } from '../../src/catalog/seat-map-cache.js';
import { scanKeys } from '../../src/platform/redis.js';
import { createTestContext, type TestContext } from '../support/harness.js';
import { countStatements } from '../support/statements.js';

/**
 * The seat map: catalog's layout cached in Redis, each seat's status from booking's seat inventory
 * (the only Redis seat state, issue 27). A miss during a rush costs one MySQL query per owner.
 */
describe('seat-map cache', () => {
  let ctx: TestContext;
  const total = async (metric: string) => {
    const m = await ctx.metrics.registry.getSingleMetric(metric)?.get();
    return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
  };
  const rebuilds = () => total('seat_map_cache_rebuilds_total');
  const inventoryBuilds = () => total('seat_inventory_builds_total');

  beforeAll(async () => {
    ctx = await createTestContext({ worker: true });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it('answers 1,000 concurrent misses with one layout query and one seat-status query', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ rows: 10, seatsPerRow: 30 });
    // The deployed cache gives up on a slow lock holder after 3 s and reads MySQL itself; on a busy
    // machine that fallback would be a second query the design allows. This cache waits as long as
    // the test may take, so every extra query is a real second rebuild. Its inventory rebuilds on
    // the cached layout, as the API wires it.
    const seatStatus: SeatStatusRepository = new SeatStatusRepository(ctx.db, { layoutOf: (id) => seatMaps.layoutOf(id) });
    const inventory = new RedisSeatLocks(ctx.redis, seatStatus, ctx.metrics);
    const seatMaps: SeatMapCache = new SeatMapCache(ctx.redis, new CatalogRepository(ctx.db, seatStatus), inventory, ctx.config.SEAT_MAP_CACHE_TTL_SECONDS, ctx.metrics, 600_000);
    await seatMaps.invalidate(scheduleId);
    const [before, builtBefore] = [await rebuilds(), await inventoryBuilds()];
    // Counted on the pool, not with the cache's own metric: the timeout fallback reads MySQL too,
    // and it does not count itself.
    const layoutReads = countStatements(ctx.pool, /from `seats`/i);
    const statusReads = countStatements(ctx.pool, /from `seat_status`/i);
    const results = await Promise.all(Array.from({ length: 1000 }, () => seatMaps.get(scheduleId)));
    expect(layoutReads.stop()).toBe(1);
    expect(statusReads.stop()).toBe(1);
    expect(await rebuilds()).toBe(before + 1);
    // One build of the schedule's one section.
    expect(await inventoryBuilds()).toBe(builtBefore + 1);
    expect(results.every((r) => r.length === seatIds.length && r.every((s) => s.status === 'AVAILABLE'))).toBe(true);
  });

  it('follows holds, sales and releases from the seat inventory, without rebuilding', async () => {
    const user = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule();
    await ctx.services.seatMaps.get(scheduleId); // warm: the layout and the inventory
    const [before, builtBefore] = [await rebuilds(), await inventoryBuilds()];
    const statusOf = async (id: number) => (await ctx.services.seatMaps.get(scheduleId)).find((s) => s.id === id)!.status;

    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0], seatIds[1]] } });
    expect(await statusOf(seatIds[0]!)).toBe('HELD');
    await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token });
    expect(await statusOf(seatIds[1]!)).toBe('SOLD');
    const other = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[2]] } });
    expect(other.status).toBe(201);
    expect(other.body.status).toBe('HELD');
    expect(await statusOf(seatIds[2]!)).toBe('HELD');
    const cancelled = await ctx.request('DELETE', `/api/v1/reservations/${other.body.id}`, { token: user.token });
    expect(cancelled.status).toBe(200);
    expect(await statusOf(seatIds[2]!)).toBe('AVAILABLE');
    expect(await rebuilds()).toBe(before);
    expect(await inventoryBuilds()).toBe(builtBefore);
  });

  it('rebuilds the statuses from MySQL when Redis lost the inventory (the one rebuild path)', async () => {
    const user = await ctx.createUser({ balance: 100_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule();
    const sold = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    await ctx.request('POST', `/api/v1/reservations/${sold.body.id}/payment`, { token: user.token });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[1]] } });
    expect(held.status).toBe(201);
    // Redis forgets the schedule's inventory (a restart without persistence, an eviction).
    const keys = await scanKeys(ctx.redis, `${ctx.config.REDIS_PREFIX}seatinv:{s${scheduleId}}*`);
    expect(keys.length).toBeGreaterThan(0);
    await Promise.all(keys.map((k) => ctx.redis.unlink(k.slice(ctx.config.REDIS_PREFIX.length))));
    const builtBefore = await inventoryBuilds();
    const map = new Map((await ctx.services.seatMaps.get(scheduleId)).map((s) => [s.id, s.status]));
    expect(await inventoryBuilds()).toBeGreaterThan(builtBefore);
    expect([map.get(seatIds[0]!), map.get(seatIds[1]!), map.get(seatIds[2]!)]).toEqual(['SOLD', 'HELD', 'AVAILABLE']);
    // The rebuilt inventory is the hold's too: the held seat is refused to another buyer.
    const other = await ctx.createUser({ balance: 100_000 });
    const refused = await ctx.request('POST', '/api/v1/reservations', { token: other.token, body: { scheduleId, seatIds: [seatIds[1]] } });
    expect(refused.status).toBe(409);
  });
});
