/**
 * Booking benchmark on the local stack (start it with `npm run up` or `scripts/stack.sh start`):
 *   npm run bench:booking [-- --users 300 --concurrency 50 --flash-attempts 10000 --flash-rate 1000]
 *
 * Spawns the real API and worker processes on a throwaway database and task queue, then measures
 *  1. the primitives underneath, in the same run (scripts/bench/primitives.ts): an empty workflow's
 *     Update-with-Start at 1, 5 and `concurrency` in flight, the bare purchase (Update-with-Start +
 *     one update) at 5 in flight, the hold's own database transaction in-process (the production
 *     repository's), a Redis SET NX, a bare HTTP GET;
 *  2. steady booking: holds at 1 in flight (then paid), then holds at `concurrency` in flight, then
 *     their payments at `concurrency` in flight (successes and refusals timed apart: a refusal is not
 *     a hold); the ratios to the empty Update-with-Start and the
 *     CPU ms per hold and per pay of the API, the worker and the Temporal server (from /proc);
 *  2b. a card purchase beside the wallet purchase, open loop (scripts/bench/card-purchase.ts): hold,
 *     PaymentIntent, the buyer's confirmation at the emulator, its webhook, CONFIRMED seen by polling;
 *     p50/p95/p99 and CPU per purchase of each, the provider's round trip and a workflow signal as
 *     primitives, and whether the card path adds more than one of each (--card-purchases 0: skipped);
 *  3. a direct flash sale, open loop: hold attempts arrive at a fixed rate whether or not earlier
 *     ones were answered, 80 % of them on the best 20 % of seats; winners (201) and losers (409)
 *     reported apart (keep-alive connections are opened first, so the burst measures the API and not
 *     the kernel's accept backlog; the listen-queue overflows are printed); then the winners pay
 *     (every payment must answer 200, and the seats sold in MySQL must equal the payments);
 *     then refused holds alone (on the sold seats, at --loser-rate) for the CPU a 409 costs; seats
 *     sold and double sales (must be 0) counted in MySQL.
 * The waiting room and rate limits are switched off here (QUEUE_ENFORCED=false,
 * RATE_LIMIT_ENABLED=false): this measures the booking core. `npm run bench:flash` goes through the
 * waiting room.
 */
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { createDatabase } from '../src/platform/db/client.js';
import { createRedis } from '../src/platform/redis.js';
import { checkInvariants } from '../test/support/invariants.js';
import { sampleProcesses } from './bench/cpu.js';
import { apiHost, broken, Children, exitWithVerdict, HttpClient, listenOverflows, makeSchedule, makeUsers, newRun, openDatabase, reportInvariants, soldAndDoubles, stackRunDir, startProcesses, teardown } from './bench/harness.js';
import { cardBesideWallet } from './bench/card-purchase.js';
import { describeLoop, openLoop } from './bench/open-loop.js';
import { EmptyTemporal, httpGet, redisSetNx, transactionalHold } from './bench/primitives.js';
import { runPool, Samples, Tally, thrownSummary } from './bench/stats.js';
import { seededRandom } from '../test/support/random.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '50' },
    'one-in-flight': { type: 'string', default: '40' },
    'flash-attempts': { type: 'string', default: '10000' },
    'flash-users': { type: 'string', default: '2000' },
    'flash-seats': { type: 'string', default: '1000' },
    'flash-rate': { type: 'string', default: '1000' },
    'flash-pay-concurrency': { type: 'string', default: '50' },
    // Keep-alive connections opened before the burst (0 = none): without them, thousands of new
    // connections at once overflow the API's accept backlog and the kernel's SYN retries (1 s, 3 s)
    // dominate the latencies. The overflow count is printed either way.
    'flash-warm-sockets': { type: 'string', default: '2000' },
    'loser-rate': { type: 'string', default: '200' },
    'card-purchases': { type: 'string', default: '40' },
    'card-rate': { type: 'string', default: '4' },
    primitives: { type: 'string', default: '2000' },
    port: { type: 'string', default: '3900' },
    // Several API processes (ports --port, --port + 10, ...; requests go round robin) and workers.
    apis: { type: 'string', default: '1' },
    workers: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const n = (k: keyof typeof args) => Number(args[k]);

const run = newRun({ prefix: 'bench', port: n('port'), env: { QUEUE_ENFORCED: 'false', RATE_LIMIT_ENABLED: 'false' } });
const { runId, base } = run;
const pct = (v: number) => `${(v * 100).toFixed(0)} %`;
const f1 = (v: number) => v.toFixed(1);

async function main() {
  console.log(`booking benchmark ${runId}: database ${runId}, API :${args.port}, Temporal ${base.TEMPORAL_ADDRESS}, ${new Date().toISOString()}`);
  const database = await openDatabase(run);
  const children = new Children(run.env);
  const apiUrls = Array.from({ length: Math.max(1, n('apis')) }, (_, k) => `http://${apiHost}:${n('port') + 10 * k}`);
  const clients = apiUrls.map((url) => new HttpClient(url));
  const http = clients[0]!;
  let turn = 0;
  const call = (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) => clients[turn++ % clients.length]!.request(method, path, { token, body, headers });
  let pool: mysql.Pool | undefined;
  let redis: ReturnType<typeof createRedis> | undefined;
  let temporal: EmptyTemporal | undefined;
  try {
    await startProcesses(run, children, { apis: apiUrls.length, workers: Math.max(1, n('workers')), port: n('port') });
    const cpu = sampleProcesses(children, base.TEMPORAL_ADDRESS, stackRunDir);
    const temporalTier = ['temporal', ...(cpu.names.includes('postgres') ? ['postgres'] : []), 'bench'];
    // Temporal's tier: the server, plus its PostgreSQL in TEMPORAL_MODE=server.
    const sdk = [...Object.keys(children.pids()), 'temporal', ...(cpu.names.includes('postgres') ? ['postgres'] : [])];

    // ---- 1. primitives ---------------------------------------------------------------------
    console.log('\n== primitives (same run, same machine)');
    const primitives = n('primitives');
    const conc = n('concurrency');
    temporal = await EmptyTemporal.start({ address: base.TEMPORAL_ADDRESS, namespace: base.TEMPORAL_NAMESPACE, dataEncryptionKey: base.DATA_ENCRYPTION_KEY, runId });
    await temporal.uws(20, 5); // warm-up
    const uws1 = await temporal.uws(Math.min(primitives, 100), 1, cpu);
    const uws5 = await temporal.uws(Math.min(primitives, 300), 5, cpu);
    const uwsC = await temporal.uws(Math.min(primitives, 500), conc, cpu);
    const bare = await temporal.purchases(Math.min(primitives, 300), 5, cpu);
    const signal = await temporal.signals(Math.min(primitives, 200), 1);
    await temporal.close();
    temporal = undefined;

    const txHolds = Math.min(primitives, 1000);
    const raw = await makeSchedule(database, run, txHolds);
    // One buyer per hold: the per-buyer ticket limit (4 seats a schedule) is not what this measures.
    const rawUsers = await makeUsers(database, run, txHolds, 0);
    pool = mysql.createPool({ uri: run.mysqlUrl, connectionLimit: conc });
    const workerDb = createDatabase(run.mysqlUrl, Number(run.env.MYSQL_POOL_SIZE)); // the worker's pool size
    const sqlHold = await transactionalHold(workerDb.db, raw, rawUsers.map((u) => u.id), txHolds, conc).finally(() => workerDb.close());
    redis = createRedis(base.REDIS_URL, `${runId}:`);
    const setnx = await redisSetNx(redis, primitives * 5, conc);
    const healthz = await httpGet(`${run.api}/healthz`, primitives, conc, cpu);
    for (const m of [uws1, uws5, uwsC, bare, signal, sqlHold, setnx, healthz]) console.log(m.line());
    console.log(`bare purchase rate at 5 in flight: ${bare.rate.toFixed(0)} purchases/s`);
    console.log(`CPU ms per bare purchase @5: ${bare.cpuPerCall(temporalTier)}`);
    console.log(`CPU ms per GET /healthz @${conc}: ${healthz.cpuPerCall(['api', 'bench'])}`);

    // ---- 2. steady booking -----------------------------------------------------------------
    const oneN = n('one-in-flight');
    const users = n('users');
    console.log(`\n== steady booking: ${oneN} holds at 1 in flight (each then paid), then ${users} holds at ${conc} in flight, then their payments at ${conc} in flight`);
    const steadyUsers = await makeUsers(database, run, oneN + users, 100_000);
    const steady = await makeSchedule(database, run, oneN + users);
    const steadyErrors = new Tally<string>();

    // Only answers that did what was asked are timed as holds and payments; anything else (a 409,
    // a 5xx, a network error) is counted and timed apart, so a fast refusal never flatters the numbers.
    const refused = new Samples('refused or failed (any step)');
    const hold1 = new Samples('hold @1 (POST /reservations, 201)');
    const pay1 = new Samples('pay @1 (POST /payment, 200)');
    const timed = (ok: Samples, r: { status: number; ms: number }, want: number, what: string) => {
      if (r.status === want) return ok.add(r.ms), true;
      refused.add(r.ms);
      steadyErrors.add(`${what} ${r.status}`);
      return false;
    };
    const hold1Ms = await runPool(oneN, 1, async (i) => {
      const u = steadyUsers[i]!;
      const h = await call('POST', '/api/v1/reservations', u.token, { scheduleId: steady.scheduleId, seatIds: [steady.seatIds[i]] });
      if (!timed(hold1, h, 201, 'hold')) return;
      timed(pay1, await call('POST', `/api/v1/reservations/${h.body.id}/payment`, u.token), 200, 'pay');
    });

    const holdS = new Samples(`hold @${conc} (POST /reservations, 201)`);
    const held: Array<{ token: string; id: string }> = [];
    const holdMark = cpu.mark();
    const holdMs = await runPool(users, conc, async (k) => {
      const i = oneN + k;
      const u = steadyUsers[i]!;
      const h = await call('POST', '/api/v1/reservations', u.token, { scheduleId: steady.scheduleId, seatIds: [steady.seatIds[i]] });
      if (timed(holdS, h, 201, 'hold')) held.push({ token: u.token, id: h.body.id });
    });
    const holdCpu = holdMark();
    const payS = new Samples(`pay @${conc} (POST /payment, 200)`);
    const payMark = cpu.mark();
    const payMs = await runPool(held.length, conc, async (k) => {
      timed(payS, await call('POST', `/api/v1/reservations/${held[k]!.id}/payment`, held[k]!.token), 200, 'pay');
    });
    const payCpu = payMark();
    console.log(hold1.line(hold1Ms));
    console.log(pay1.line(hold1Ms));
    console.log(holdS.line(holdMs));
    console.log(payS.line(payMs));
    if (refused.count) console.log(refused.line(hold1Ms + holdMs + payMs));
    console.log(`errors: ${steadyErrors.total === 0 ? 0 : steadyErrors.toString()}`);
    const holdRate = holdS.count / (holdMs / 1000);
    const payRate = payS.count / (payMs / 1000);
    console.log(
      `hold rate @${conc} / empty UWS rate @${conc} = ${holdRate.toFixed(0)} / ${uwsC.rate.toFixed(0)} = ${pct(holdRate / uwsC.rate)}  (target >= 70 %)`,
    );
    console.log(`hold p50 @1 / empty UWS p50 @1 = ${f1(hold1.percentile(50))} / ${f1(uws1.p(50))} ms = ${(hold1.percentile(50) / uws1.p(50)).toFixed(2)}x  (target <= 1.5x)`);
    console.log(`pay rate @${conc}: ${payRate.toFixed(0)}/s; pay p50 @1 / empty UWS p50 @1 = ${(pay1.percentile(50) / uws1.p(50)).toFixed(2)}x`);
    console.log(`ratios (p50 @${conc}): hold / hold transaction = ${f1(holdS.percentile(50) / sqlHold.p(50))}x, hold / Redis SET NX = ${f1(holdS.percentile(50) / setnx.p(50))}x, hold / GET /healthz = ${f1(holdS.percentile(50) / healthz.p(50))}x`);
    console.log(`CPU ms per hold  @${conc}: ${holdCpu.perOp(holdS.count, [...sdk, 'mysql', 'redis', 'bench'])}  (total API, worker and Temporal processes ${f1(holdCpu.total(sdk) / holdS.count)})`);
    console.log(`CPU ms per pay   @${conc}: ${payCpu.perOp(payS.count, [...sdk, 'mysql', 'redis', 'bench'])}  (total API, worker and Temporal processes ${f1(payCpu.total(sdk) / payS.count)})`);
    console.log(`CPU ms per empty UWS @${conc}: ${uwsC.cpuPerCall(temporalTier)}  (total ${f1(uwsC.cpu!.total(temporalTier) / uwsC.count)}; bench = client + empty worker)`);
    console.log(`cores busy during holds: ${holdCpu.utilisation()}`);

    // ---- 2b. card purchase beside the wallet purchase -----------------------------------------
    const cardN = n('card-purchases');
    if (cardN > 0) {
      const cardSchedule = await makeSchedule(database, run, 2 * cardN);
      await cardBesideWallet({
        count: cardN,
        ratePerSec: Number(args['card-rate']),
        call,
        users: await makeUsers(database, run, 2 * cardN, 100_000),
        ...cardSchedule,
        apiUrls,
        config: run.base,
        runId,
        proxyPort: n('port') + 8,
        cpu,
        cpuNames: [...sdk, 'mysql', 'redis', 'stripe', 'bench'].filter((name) => cpu.names.includes(name)),
        signal,
      });
    }

    // ---- 3. direct flash sale, open loop -----------------------------------------------------
    const attempts = n('flash-attempts');
    const rate = n('flash-rate');
    console.log(`\n== direct flash sale (no waiting room), open loop: ${attempts} hold attempts at ${rate}/s from ${n('flash-users')} users on ${n('flash-seats')} seats`);
    const flashUsers = await makeUsers(database, run, n('flash-users'), 100_000);
    const flash = await makeSchedule(database, run, n('flash-seats'));
    const winnersS = new Samples('winners (201)');
    const losersS = new Samples('losers (409)');
    const otherS = new Samples('other statuses');
    const allS = new Samples('all attempts');
    const statuses = new Tally<number>();
    const winners: Array<{ token: string; id: string }> = [];
    const rand = seededRandom(7);
    const seatOf = Array.from({ length: attempts }, () => {
      // Buyers crowd the front rows: 80 % of attempts go to the best 20 % of seats.
      const hot = rand(5) !== 0;
      return hot ? rand(Math.ceil(flash.seatIds.length / 5)) : rand(flash.seatIds.length);
    });
    const warm = n('flash-warm-sockets');
    if (warm > 0) for (const c of clients) console.log(`warmed ${await c.warm(Math.ceil(warm / clients.length))} keep-alive connections to an API first`);
    const overflowsBefore = listenOverflows();
    const flashMark = cpu.mark();
    const loop = await openLoop({ count: attempts, ratePerSec: rate }, async (i) => {
      const u = flashUsers[i % flashUsers.length]!;
      const r = await call('POST', '/api/v1/reservations', u.token, { scheduleId: flash.scheduleId, seatIds: [flash.seatIds[seatOf[i]!]] });
      statuses.add(r.status);
      allS.add(r.ms);
      if (r.status === 201) {
        winnersS.add(r.ms);
        winners.push({ token: u.token, id: r.body.id });
      } else if (r.status === 409) losersS.add(r.ms);
      else otherS.add(r.ms);
    });
    const flashCpu = flashMark();
    for (const s of [allS, winnersS, losersS, ...(otherS.count ? [otherS] : [])]) console.log(s.line(loop.elapsedMs));
    console.log(`statuses: ${statuses}`);
    console.log(describeLoop(loop));
    console.log(`TCP listen-queue overflows during the burst: ${listenOverflows() - overflowsBefore} (dropped SYNs, retried by clients after 1 s, 3 s, ...)`);
    console.log(`losers p99 ${f1(losersS.percentile(99))} ms (target < 100 ms); winners p50 ${f1(winnersS.percentile(50))} ms`);
    console.log(`CPU ms per attempt: ${flashCpu.perOp(attempts, [...sdk, 'mysql', 'redis', 'bench'])}; cores busy: ${flashCpu.utilisation()}`);
    const flashPay = new Samples('flash winners pay (200)');
    const flashPayFailed = new Samples('flash winners pay (not 200)');
    const payStatuses = new Tally<number>();
    let payRetries = 0;
    const flashPayMs = await runPool(winners.length, n('flash-pay-concurrency'), async (i) => {
      // As a client pays: a 503 (no answer within the request deadline; the payment may still go
      // through) is retried with the same Idempotency-Key until the decision is known, so every
      // payment that went through is counted as one, and the time is the time to that decision.
      const started = performance.now();
      const payOnce = () => call('POST', `/api/v1/reservations/${winners[i]!.id}/payment`, winners[i]!.token, undefined, { 'idempotency-key': `flash-pay-${i}` });
      let r = await payOnce();
      while ((r.status === 503 || r.body?.code === 'IDEMPOTENCY_IN_PROGRESS') && performance.now() - started < 120_000) {
        payRetries += 1;
        await new Promise((resolve) => setTimeout(resolve, 250));
        r = await payOnce();
      }
      (r.status === 200 ? flashPay : flashPayFailed).add(performance.now() - started);
      payStatuses.add(r.status);
    });
    console.log(`${flashPay.line(flashPayMs)}  statuses: ${payStatuses}; retried after 503: ${payRetries}`);
    if (flashPayFailed.count) console.log(`${flashPayFailed.line(flashPayMs)}  (winners whose payment failed: their holds expire)`);
    // What a refused hold costs: attempts on seats that are all taken now, at a rate the box keeps up with.
    const loserRate = n('loser-rate');
    const loserCount = Math.min(attempts, loserRate * 5);
    const takenSeats = winners.length ? await pool.query(`SELECT seat_id id FROM seat_status WHERE schedule_id = ? AND status = 'SOLD'`, [flash.scheduleId]).then(([r]) => (r as Array<{ id: number }>).map((x) => x.id)) : [];
    if (takenSeats.length && loserCount > 0) {
      const onlyLosers = new Samples(`refused holds @${loserRate}/s`);
      const loserStatuses = new Tally<number>();
      const loserMark = cpu.mark();
      const l = await openLoop({ count: loserCount, ratePerSec: loserRate }, async (i) => {
        const u = flashUsers[i % flashUsers.length]!;
        const r = await call('POST', '/api/v1/reservations', u.token, { scheduleId: flash.scheduleId, seatIds: [takenSeats[i % takenSeats.length]] });
        onlyLosers.add(r.ms);
        loserStatuses.add(r.status);
      });
      const loserCpu = loserMark();
      console.log(`${onlyLosers.line(l.elapsedMs)}  statuses: ${loserStatuses}`);
      console.log(`CPU ms per refused hold: ${loserCpu.perOp(loserCount, [...sdk, 'mysql', 'redis', 'bench'])} (GET /healthz: api ${f1(healthz.cpu!.ms.api! / healthz.count)})`);
    }
    const { sold, doubles } = await soldAndDoubles(pool, flash.scheduleId);
    console.log(`seats sold: ${sold} of ${flash.seatIds.length}; paid winners: ${flashPay.count} of ${winners.length}; double sales: ${doubles}`);
    if (sold !== flashPay.count) broken(`MISMATCH: ${sold} seats SOLD but ${flashPay.count} payments answered 200`);
    if (doubles > 0) broken(`${doubles} double sales`);
    console.log(thrownSummary());
    const problems = await checkInvariants(database.pool);
    reportInvariants(problems);
  } finally {
    await teardown(run, { keep: args.keep!, children, database, close: [() => temporal?.close(), ...clients.map((c) => () => c.close()), () => pool?.end(), () => redis?.quit()] });
  }
}

exitWithVerdict(main());
