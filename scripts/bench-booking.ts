/**
 * Booking benchmark on the local stack (start it with `npm run up` or `scripts/stack.sh start`):
 *   npm run bench:booking [-- --users 300 --concurrency 50 --flash-attempts 10000]
 *
 * Spawns the real API and worker processes on a throwaway database and task queue, then measures
 *  1. the primitives underneath (an empty workflow's Update-with-Start, the raw MySQL hold UPDATE,
 *     a Redis SET NX), so the cost of orchestration shows as a ratio;
 *  2. steady booking: hold then pay per user, latency per step;
 *  3. a flash sale: 10,000 hold attempts from 2,000 users on 1,000 seats, winners pay; seats sold
 *     and double sales (must be 0) counted in MySQL.
 * The waiting room and rate limits are switched off here: this measures the booking core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import mysql from 'mysql2/promise';
import { CatalogRepository } from '../src/catalog/repository.js';
import { loadConfig } from '../src/config.js';
import { hashPassword } from '../src/identity/passwords.js';
import { PersonalDataCipher } from '../src/identity/personal-data.js';
import { AccessTokens } from '../src/identity/tokens.js';
import { WalletRepository } from '../src/payment/wallet-repository.js';
import { createDatabase } from '../src/platform/db/client.js';
import { migrateDatabase } from '../src/platform/db/migrate.js';
import { users, wallets } from '../src/platform/db/schema.js';
import { createRedis } from '../src/platform/redis.js';
import { encryptedDataConverter } from '../src/platform/temporal-codec.js';
import { checkInvariants } from '../test/support/invariants.js';
import { emptyWorkflow, pingUpdate } from './bench/empty-workflow.js';
import { runPool, Samples, seededRandom } from './bench/stats.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '50' },
    'flash-attempts': { type: 'string', default: '10000' },
    'flash-users': { type: 'string', default: '2000' },
    'flash-seats': { type: 'string', default: '1000' },
    'flash-concurrency': { type: 'string', default: '200' },
    primitives: { type: 'string', default: '2000' },
    port: { type: 'string', default: '3900' },
    keep: { type: 'boolean', default: false },
  },
});
const n = (k: keyof typeof args) => Number(args[k]);
const root = fileURLToPath(new URL('..', import.meta.url));

const base = loadConfig();
const runId = `bench${randomBytes(3).toString('hex')}`;
const serverUrl = new URL(base.MYSQL_URL);
serverUrl.pathname = `/${runId}`;
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  MYSQL_URL: serverUrl.toString(),
  MYSQL_POOL_SIZE: '60',
  REDIS_PREFIX: `${runId}:`,
  TEMPORAL_TASK_QUEUE: `booking-${runId}`,
  API_PORT: args.port!,
  WORKER_METRICS_PORT: '0',
  WORKER_SDK_METRICS_PORT: String(Number(args.port) + 1),
  SWEEPER_ENABLED: 'false',
  QUEUE_ENFORCED: 'false',
  RATE_LIMIT_ENABLED: 'false',
  NOTIFICATIONS_ENABLED: 'false',
  LOG_LEVEL: 'warn',
  NODE_ENV: 'development',
};
const api = `http://127.0.0.1:${args.port}`;

function startProcess(name: string): ChildProcess {
  // BENCH_CPU_PROFILE=<dir> writes a V8 CPU profile of the API and the worker there (open in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', `src/main/${name}.ts`], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code) => code && code !== 0 && console.error(`${name} exited with ${code}`));
  return child;
}

async function waitReady() {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${api}/readyz`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('API did not become ready');
}

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : null,
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function main() {
  console.log(`booking benchmark ${runId}: database ${runId}, API :${args.port}, ${new Date().toISOString()}`);
  await migrateDatabase(env.MYSQL_URL!);
  const database = createDatabase(env.MYSQL_URL!, 20);
  const cipher = new PersonalDataCipher(base.DATA_ENCRYPTION_KEY);
  const tokens = new AccessTokens(base.JWT_SECRET, 3600);
  const catalog = new CatalogRepository(database.db);
  const walletRepo = new WalletRepository(database.db, { maxBalance: base.WALLET_MAX_BALANCE });
  const hash = await hashPassword('bench-password-1');
  const makeUsers = async (count: number, balance: number) => {
    const out: Array<{ id: number; token: string }> = [];
    for (let i = 0; i < count; i++) {
      const email = `${runId}-${out.length}-${randomBytes(2).toString('hex')}@bench.example`;
      const [r] = await database.db.insert(users).values({ emailCipher: cipher.encrypt(email), emailIndex: cipher.emailIndex(email), name: 'Bench', passwordHash: hash });
      const id = Number(r.insertId);
      await database.db.insert(wallets).values({ userId: id, balance: 0 });
      await walletRepo.charge(id, balance, 'charge:bench');
      out.push({ id, token: (await tokens.issue({ id, role: 'USER', tokenVersion: 0 })).accessToken });
    }
    return out;
  };
  const makeSchedule = async (seats: number) => {
    const now = Date.now();
    const c = await catalog.createConcert(
      {
        title: `Bench ${runId}`,
        artist: 'Bench',
        description: '',
        venue: 'Bench Hall',
        schedules: [{ startsAt: new Date(now + 30 * 86_400_000), saleOpensAt: new Date(now - 60_000), saleClosesAt: new Date(now + 29 * 86_400_000) }],
        sections: [{ name: 'A', tier: 'R', price: 10_000, rows: Math.ceil(seats / 50), seatsPerRow: Math.min(50, seats) }],
      },
      null,
    );
    const scheduleId = c.scheduleIds[0]!;
    return { scheduleId, seatIds: (await catalog.seatsOfSchedule(scheduleId)).map((s) => s.id).slice(0, seats) };
  };

  const children = [startProcess('worker'), startProcess('api')];
  const stopAll = () => children.forEach((c) => c.kill('SIGTERM'));
  process.on('exit', stopAll);
  try {
    await waitReady();

    // ---- 1. primitives ---------------------------------------------------------------------
    console.log('\n== primitives (same run, same machine)');
    const primitives = n('primitives');
    const conc = n('concurrency');
    Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
    const nativeConnection = await NativeConnection.connect({ address: base.TEMPORAL_ADDRESS });
    const emptyQueue = `empty-${runId}`;
    const emptyWorker = await Worker.create({
      connection: nativeConnection,
      taskQueue: emptyQueue,
      workflowsPath: fileURLToPath(new URL('./bench/empty-workflow.ts', import.meta.url)),
      dataConverter: encryptedDataConverter(base.DATA_ENCRYPTION_KEY),
      bundlerOptions: { ignoreModules: [] },
    });
    const emptyRun = emptyWorker.run();
    const client = new Client({ connection: await Connection.connect({ address: base.TEMPORAL_ADDRESS }), dataConverter: encryptedDataConverter(base.DATA_ENCRYPTION_KEY) });
    const uws = new Samples('empty workflow Update-with-Start');
    const uwsCount = Math.min(primitives, 500);
    const uwsMs = await runPool(uwsCount, conc, async (i) => {
      await uws.time(() =>
        client.workflow.executeUpdateWithStart(pingUpdate, {
          startWorkflowOperation: new WithStartWorkflowOperation(emptyWorkflow, { workflowId: `${runId}-empty-${i}`, taskQueue: emptyQueue, workflowIdConflictPolicy: 'USE_EXISTING' }),
        }),
      );
    });
    emptyWorker.shutdown();
    await emptyRun;

    const raw = await makeSchedule(Math.min(primitives, 1000));
    const pool = mysql.createPool({ uri: env.MYSQL_URL, connectionLimit: conc });
    const sqlHold = new Samples('raw MySQL hold UPDATE (+ undo)');
    const sqlMs = await runPool(primitives, conc, async (i) => {
      const seatId = raw.seatIds[i % raw.seatIds.length]!;
      await sqlHold.time(async () => {
        const [rows] = await pool.query('SELECT version FROM seats WHERE id = ?', [seatId]);
        const version = (rows as Array<{ version: number }>)[0]!.version;
        await pool.query(`UPDATE seats SET status = 'HELD', reservation_id = 'bench', version = version + 1 WHERE id = ? AND version = ? AND status = 'AVAILABLE'`, [seatId, version]);
      });
      await pool.query(`UPDATE seats SET status = 'AVAILABLE', reservation_id = NULL WHERE id = ?`, [seatId]);
    });
    const redis = createRedis(base.REDIS_URL, `${runId}:`);
    const setnx = new Samples('Redis SET NX PX');
    const redisMs = await runPool(primitives * 5, conc, async (i) => {
      await setnx.time(() => redis.set(`nx:${i}`, 'x', 'PX', 60_000, 'NX'));
    });
    console.log(uws.line(uwsMs));
    console.log(sqlHold.line(sqlMs));
    console.log(setnx.line(redisMs));

    // ---- 2. steady booking -----------------------------------------------------------------
    console.log(`\n== steady booking: ${n('users')} users, hold 1 seat then pay, ${conc} in flight`);
    const steadyUsers = await makeUsers(n('users'), 100_000);
    const steady = await makeSchedule(n('users'));
    const holdS = new Samples('hold (POST /reservations)');
    const payS = new Samples('pay (POST /payment)');
    const flowS = new Samples('hold + pay');
    let steadyErrors = 0;
    const holdIds: string[] = [];
    const steadyMs = await runPool(steadyUsers.length, conc, async (i) => {
      const u = steadyUsers[i]!;
      const t = performance.now();
      const h = await holdS.time(() => call('POST', '/api/v1/reservations', u.token, { scheduleId: steady.scheduleId, seatIds: [steady.seatIds[i]] }));
      if (h.status !== 201) return void steadyErrors++;
      holdIds.push(h.body.id);
      const p = await payS.time(() => call('POST', `/api/v1/reservations/${h.body.id}/payment`, u.token));
      if (p.status !== 200) steadyErrors++;
      flowS.add(performance.now() - t);
    });
    console.log(holdS.line(steadyMs));
    console.log(payS.line(steadyMs));
    console.log(flowS.line(steadyMs));
    console.log(`errors: ${steadyErrors}`);
    const f = (a: Samples, b: Samples) => (a.percentile(50) / b.percentile(50)).toFixed(1);
    console.log(`ratios (p50): hold / empty UWS = ${f(holdS, uws)}x, hold / raw SQL hold = ${f(holdS, sqlHold)}x, hold / Redis SET NX = ${f(holdS, setnx)}x`);

    // ---- 3. flash sale ---------------------------------------------------------------------
    const attempts = n('flash-attempts');
    console.log(`\n== flash sale: ${attempts} hold attempts from ${n('flash-users')} users on ${n('flash-seats')} seats, ${n('flash-concurrency')} in flight`);
    const flashUsers = await makeUsers(n('flash-users'), 100_000);
    const flash = await makeSchedule(n('flash-seats'));
    const flashHold = new Samples('flash hold attempts');
    const statuses = new Map<number, number>();
    const winners: Array<{ token: string; id: string }> = [];
    const rand = seededRandom(7);
    const flashMs = await runPool(attempts, n('flash-concurrency'), async (i) => {
      const u = flashUsers[i % flashUsers.length]!;
      // Buyers crowd the front rows: 80% of attempts go to the best 20% of seats.
      const hot = rand(5) !== 0;
      const seatIdx = hot ? rand(Math.ceil(flash.seatIds.length / 5)) : rand(flash.seatIds.length);
      const r = await flashHold.time(() => call('POST', '/api/v1/reservations', u.token, { scheduleId: flash.scheduleId, seatIds: [flash.seatIds[seatIdx]] }));
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 201) winners.push({ token: u.token, id: r.body.id });
    });
    console.log(flashHold.line(flashMs));
    console.log(`statuses: ${[...statuses].map(([s, c]) => `${s}=${c}`).join(' ')}`);
    const flashPay = new Samples('flash winners pay');
    const payMs = await runPool(winners.length, n('flash-concurrency'), async (i) => {
      await flashPay.time(() => call('POST', `/api/v1/reservations/${winners[i]!.id}/payment`, winners[i]!.token));
    });
    console.log(flashPay.line(payMs));
    const [sold] = await pool.query(`SELECT COUNT(*) n FROM seats WHERE schedule_id = ? AND status = 'SOLD'`, [flash.scheduleId]);
    const [doubles] = await pool.query(
      `SELECT COUNT(*) n FROM (SELECT rs.seat_id FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id WHERE r.status = 'CONFIRMED' GROUP BY rs.seat_id HAVING COUNT(*) > 1) d`,
    );
    console.log(`seats sold: ${(sold as Array<{ n: number }>)[0]!.n} of ${flash.seatIds.length}; double sales: ${(doubles as Array<{ n: number }>)[0]!.n}`);
    const problems = await checkInvariants(database.pool);
    console.log(`SPEC invariants: ${problems.length === 0 ? 'all hold' : problems.join('\n')}`);

    await pool.end();
    await redis.quit();
    await nativeConnection.close();
  } finally {
    stopAll();
    await new Promise((r) => setTimeout(r, 1000));
    if (!args.keep) {
      const admin = await mysql.createConnection({ uri: base.MYSQL_URL });
      await admin.query(`DROP DATABASE IF EXISTS \`${runId}\``);
      await admin.end();
    }
    await database.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
