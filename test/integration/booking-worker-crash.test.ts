import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The real worker process (src/main/worker.ts) is SIGKILLed between hold and payment: no graceful
 * drain, its sticky task queue left dangling. A new process must finish or expire the reservation.
 */
describe('worker process killed mid-reservation', () => {
  let ctx: TestContext;
  const workers: ChildProcess[] = [];

  const startWorkerProcess = async (): Promise<ChildProcess> => {
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      MYSQL_URL: ctx.config.MYSQL_URL,
      REDIS_URL: ctx.config.REDIS_URL,
      REDIS_PREFIX: ctx.config.REDIS_PREFIX,
      TEMPORAL_ADDRESS: ctx.config.TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: ctx.config.TEMPORAL_TASK_QUEUE,
      KAFKA_BROKERS: ctx.config.KAFKA_BROKERS.join(','),
      HOLD_TTL_SECONDS: String(ctx.config.HOLD_TTL_SECONDS),
      WORKER_METRICS_PORT: '0',
      WORKER_SDK_METRICS_PORT: '0',
      SWEEPER_ENABLED: 'false',
      // The run's prebuilt bundle (test/support/global-setup.ts), as production loads dist/'s.
      WORKFLOW_BUNDLE_PATH: inject('stack').workflowBundlePath,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/worker.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    workers.push(child);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`worker exited: ${output.slice(-2000)}`);
      return output.includes('worker started');
    }, 60_000);
    return child;
  };

  const kill9 = async (child: ChildProcess) => {
    child.kill('SIGKILL');
    await eventually(async () => child.exitCode !== null || child.signalCode !== null, 10_000);
  };

  beforeAll(async () => {
    ctx = await createTestContext({ worker: false, env: { HOLD_TTL_SECONDS: '20' } });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await ctx?.close();
  });

  it('completes the payment on a new worker process', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const first = await startWorkerProcess();
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(held.status).toBe(201);
    await kill9(first);

    await startWorkerProcess();
    // Until the new worker picks the update up, the API answers 503 at its deadline (or 409
    // IDEMPOTENCY_IN_PROGRESS while the first attempt still runs): the client retries with the same
    // key. A retry after the payment went through may be told ALREADY_PAID instead of the replayed 200.
    const paid = await eventually(async () => {
      const r = await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: user.token, headers: { 'idempotency-key': `pay-after-crash-${ctx.id}` } });
      return r.status === 503 || r.body?.code === 'IDEMPOTENCY_IN_PROGRESS' ? undefined : r;
    }, 60_000, 500);
    expect(paid.status === 200 || paid.body.code === 'ALREADY_PAID', JSON.stringify(paid.body)).toBe(true);
    expect((await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token })).body.status).toBe('CONFIRMED');
    expect((await ctx.request('GET', '/api/v1/wallet', { token: user.token })).body.balance).toBe(20_000);
    expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 1, payments: 1 } })).toEqual([]);
  });

  it('expires the hold on time when the worker that held it was killed', async () => {
    const user = await ctx.createUser({ balance: 30_000 });
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const holder = workers.at(-1)!;
    const held = await ctx.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: [seatIds[1]] } });
    expect(held.status).toBe(201);
    await kill9(holder);
    await startWorkerProcess();
    const expired = await eventually(
      async () => {
        const r = await ctx.request('GET', `/api/v1/reservations/${held.body.id}`, { token: user.token });
        return r.body.status === 'EXPIRED' && r.body;
      },
      45_000,
      250,
    );
    console.log(`released ${Date.parse(expired.closedAt) - Date.parse(expired.expiresAt)} ms after expiresAt`);
    // Invariant 3: no hold outlives its expiry by more than a few seconds, even across a crash.
    expect(Date.parse(expired.closedAt) - Date.parse(expired.expiresAt)).toBeLessThan(5_000);
    expect(await checkInvariants(ctx.pool, { expiryGraceMs: 5_000, atLeast: { reservations: 2 } })).toEqual([]);
  });
});
