/**
 * Waiting-room benchmark (not a test), through HTTP like a buyer: every request carries a real JWT,
 * passes the API's rate limits and validation, and runs the queue's Lua script on Redis.
 *
 *   npm run bench:queue [-- --joins 5000 --polls 10000 --rate 1000 --concurrency 200]
 *
 * On the local stack (`npm run up`) it spawns its own API process on a throwaway database and Redis
 * prefix, plus a bare Hono app (scripts/bench/bare-hono.ts: one JSON route, no middleware) as the
 * HTTP floor, then measures, open loop (arrivals at a fixed rate, not waiting for answers):
 *  1. GET on the bare Hono app, and GET /healthz on the API: the primitives from the same run;
 *  2. POST /queue/tokens: `joins` distinct users joining one schedule's waiting room;
 *  3. GET /queue/tokens/current: `polls` status polls spread over those users;
 *  4. a spike: `spike` distinct users join a fresh schedule within one second (0 5xx expected, each
 *     answered with a place);
 *  5. open waiters: `waiters` long polls (`?wait=25`) held open on the one API process, its memory
 *     per open waiter (RSS before and after), then the sale ends and every long poll's answer is
 *     timed from that moment (all must be told within 2 s).
 * A join or poll counts as a success only when it answers 200 with a live token (WAITING or
 * ACTIVE); any other status, a network error, or an EXPIRED/DROPPED token is a failure.
 * Then, labelled as such, the same calls in-process (the queue service called directly, no HTTP,
 * JWT or rate limits, closed loop at `concurrency`) beside Redis's own ZADD/ZRANK: what the script
 * costs next to the commands it is built on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Metrics } from '../src/platform/observability/metrics.js';
import { createRedis } from '../src/platform/redis.js';
import { buildQueue } from '../src/queue/wiring.js';
import { sampleProcesses, type CpuSampler } from './bench/cpu.js';
import { broken, Children, exitWithVerdict, HttpClient, listenOverflows, makeSchedule, makeUsers, newRun, openDatabase, stackRunDir, teardown, waitReady, type HttpResult } from './bench/harness.js';
import { describeLoop, openLoop } from './bench/open-loop.js';
import { measure, type Measurement } from './bench/primitives.js';
import { Samples, Tally } from './bench/stats.js';

const { values: args } = parseArgs({
  options: {
    joins: { type: 'string', default: '5000' },
    polls: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '200' },
    'in-process': { type: 'string', default: '20000' },
    spike: { type: 'string', default: '20000' },
    // One process may hold 20,000 sockets here (ulimit -n), the API's own connections included.
    waiters: { type: 'string', default: '19000' },
    http: { type: 'string', default: 'true' },
    port: { type: 'string', default: '3950' },
    keep: { type: 'boolean', default: false },
  },
});
const n = (k: keyof typeof args) => Number(args[k]);

// The phases run one after the other, so a spike's first joiners stay silent until its last join is
// answered (on a saturated machine, longer than the 30 s after which a silent waiter is dropped); a
// real joiner long-polls at once. A long grace keeps them in line for the open-waiters phase.
const run = newRun({ prefix: 'benchq', port: n('port'), env: { QUEUE_WAITER_GRACE_SECONDS: '3600' } });
const barePort = n('port') + 10;

/** Open-loop GETs or POSTs at `rate`; successes and failures in separate latency classes, and the CPU each process spent per request. */
async function classify(name: string, count: number, rate: number, send: (i: number) => Promise<HttpResult>, ok: (r: HttpResult) => boolean, cpu?: CpuSampler) {
  const good = new Samples(`${name}: ok`);
  const bad = new Samples(`${name}: failed`);
  const statuses = new Tally<string>();
  const mark = cpu?.mark();
  const loop = await openLoop({ count, ratePerSec: rate }, async (i) => {
    const r = await send(i);
    const label = r.status === 200 && r.body?.token ? `200 ${r.body.status}${r.body.reason ? `/${r.body.reason}` : ''}` : r.status === 0 ? `no answer ${r.error ?? ''}`.trim() : String(r.status);
    statuses.add(label);
    (ok(r) ? good : bad).add(r.ms);
  });
  console.log(good.line(loop.elapsedMs));
  if (bad.count) console.log(bad.line(loop.elapsedMs));
  console.log(`  answers: ${statuses}`);
  console.log(`  ${describeLoop(loop)}`);
  const used = mark?.();
  if (used) console.log(`  CPU ms per request: ${used.perOp(count, ['api', 'bare-hono', 'redis', 'mysql', 'bench'])}`);
  return { good, bad, loop };
}

const rssKb = (pid: number | undefined) => {
  const m = pid ? /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8')) : null;
  return m ? Number(m[1]) : NaN;
};

/**
 * `count` long polls held open on the API process (each on its own connection), the process's RSS
 * before and after, then the sale ends (the worker's step when the last seat is sold, called here
 * in-process) and each long poll's answer is timed from that moment.
 */
async function openWaiters(scheduleId: number, users: Array<{ token: string }>, tokens: string[], count: number, database: Awaited<ReturnType<typeof openDatabase>>, cpu: CpuSampler) {
  console.log(`\n== ${count} open waiters (GET /queue/tokens/current?wait=25, one connection each)`);
  const client = new HttpClient(run.api, count + 100);
  client.timeoutMs = 120_000; // a long poll waits up to 25 s on purpose
  const apiPid = cpu.pids.api;
  const picked = tokens.map((t, i) => ({ t, i })).filter((x) => x.t).slice(0, count);
  const before = rssKb(apiPid);
  const fdsBefore = openFiles(apiPid);
  const heapBefore = await apiHeapBytes();
  let endedAt = 0;
  const told = new Samples('told of SOLD_OUT after the end');
  const answers = new Tally<string>();
  const mark = cpu.mark();
  const polls = picked.map(async (x) => {
    // A waiter long-polls again whenever an answer still says WAITING, as a client would.
    for (;;) {
      const r = await client.request('GET', '/api/v1/queue/tokens/current?wait=25', { token: users[x.i]!.token, headers: { 'x-queue-token': x.t } });
      if (r.status === 200 && r.body.status === 'WAITING') {
        x.t = r.body.token;
        continue;
      }
      answers.add(r.status === 200 ? `${r.body.status}/${r.body.reason ?? '-'}` : String(r.status));
      if (endedAt > 0 && r.body?.reason === 'SOLD_OUT') told.add(Date.now() - endedAt);
      return;
    }
  });
  // Every connection open and parked: on a busy machine the API takes long to accept thousands of
  // connections, so wait until it holds one more open file per waiter (or its count stops growing).
  const parkedFds = await settledOpenFiles(apiPid, fdsBefore + picked.length);
  console.log(`API open files ${fdsBefore} before, ${parkedFds} with the waiters`);
  await new Promise((r) => setTimeout(r, 5000));
  const after = rssKb(apiPid);
  const heapAfter = await apiHeapBytes();
  const heldMs = 5000;
  const used = mark();
  console.log(`API RSS ${(before / 1024).toFixed(0)} MB before, ${(after / 1024).toFixed(0)} MB with ${picked.length} open waiters: ${(((after - before) * 1024) / picked.length / 1024).toFixed(1)} KB per open waiter`);
  console.log(`API V8 heap used ${(heapBefore / 2 ** 20).toFixed(0)} MB before, ${(heapAfter / 2 ** 20).toFixed(0)} MB with them: ${((heapAfter - heapBefore) / picked.length / 1024).toFixed(1)} KB per open waiter (heap in use, garbage not yet collected included; RSS adds native memory: socket handles, HTTP parsers)`);
  console.log(`  CPU while they were opened and held (${heldMs} ms after the last): ${used.perOp(picked.length, ['api', 'redis', 'bench'])} ms per waiter`);
  const redis = createRedis(run.base.REDIS_URL, `${run.runId}:`);
  const queue = buildQueue({ config: { ...run.base, REDIS_PREFIX: `${run.runId}:` }, db: database.db, redis, metrics: new Metrics('bench-end', false) });
  endedAt = Date.now();
  await queue.service.endSale(scheduleId, 'SOLD_OUT');
  await Promise.all(polls);
  await queue.service.flush();
  redis.disconnect();
  await client.close();
  console.log(`  answers: ${answers}`);
  console.log(`told SOLD_OUT within: p50 ${told.percentile(50).toFixed(0)} ms, p99 ${told.percentile(99).toFixed(0)} ms, max ${told.percentile(100).toFixed(0)} ms (target: p99 < 2000 ms)`);
  if (told.count < picked.length - 100) broken(`only ${told.count} of ${picked.length} waiters were told SOLD_OUT`);
}

/** The API's V8 heap in use, from its own /metrics (prom-client's nodejs_heap_size_used_bytes). */
async function apiHeapBytes(): Promise<number> {
  const client = new HttpClient(run.api, 1);
  const r = await client.request('GET', '/metrics', { token: run.base.METRICS_TOKEN });
  client.close();
  const m = typeof r.body === 'string' ? /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([\d.e+]+)/m.exec(r.body) : null;
  return m ? Number(m[1]) : NaN;
}

const somaxconn = () => Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
const openFiles = (pid: number | undefined) => (pid ? readdirSync(`/proc/${pid}/fd`).length : NaN);

/** Waits (up to 5 minutes) until `pid` has `target` open files, or the count has not grown for 15 s. */
async function settledOpenFiles(pid: number | undefined, target: number): Promise<number> {
  let last = openFiles(pid);
  let grewAt = Date.now();
  for (const until = Date.now() + 300_000; Date.now() < until && last < target && Date.now() - grewAt < 15_000; ) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = openFiles(pid);
    if (now > last) grewAt = Date.now();
    last = now;
  }
  return last;
}

const live = (r: HttpResult) => r.status === 200 && (r.body?.status === 'WAITING' || r.body?.status === 'ACTIVE');

async function main() {
  const joins = n('joins');
  const polls = n('polls');
  const rate = n('rate');
  console.log(`queue benchmark ${run.runId}: ${joins} joins and ${polls} polls through HTTP at ${rate}/s (open loop), API :${args.port}, bare Hono :${barePort}, ${new Date().toISOString()}`);
  const database = await openDatabase(run);
  const children = new Children(run.env);
  const http = new HttpClient(run.api, 12_000);
  const bare = new HttpClient(`http://127.0.0.1:${barePort}`, 12_000);
  let redis: ReturnType<typeof createRedis> | undefined;
  try {
    children.start('api');
    children.startScript('bare-hono', 'scripts/bench/bare-hono.ts', { BARE_HONO_PORT: String(barePort) });
    await waitReady(run.api);
    const cpu = sampleProcesses(children, run.base.TEMPORAL_ADDRESS, stackRunDir);
    const [admin] = await makeUsers(database, run, 1, 0, 'ADMIN');
    const users = await makeUsers(database, run, Math.max(joins, n('spike'), n('waiters')), 0);
    const schedule = await makeSchedule(database, run, 10);
    // A small cap so most joiners wait: positions are the hot path, as in a rush.
    const put = await http.request('PUT', `/api/v1/admin/schedules/${schedule.scheduleId}/queue`, { token: admin!.token, body: { mode: 'manual', maxActive: 100, admitRatePerSec: 100 } });
    if (put.status !== 200) throw new Error(`PUT queue settings answered ${put.status}: ${JSON.stringify(put.body)}`);
    // --http false: only the in-process part (CPU per call is steadier than latency on a busy machine).
    if (args.http !== 'false') {
      // Keep-alive sockets first, so the run measures the servers and not the kernel's accept queue.
      await http.warm(Math.min(2000, rate));
      await bare.warm(Math.min(2000, rate));

      console.log('\n== primitives (same run, same machine, same rate)');
      const floor = await classify('bare Hono GET /', Math.max(joins, polls), rate, () => bare.request('GET', '/'), (r) => r.status === 200, cpu);
      const healthz = await classify('API GET /healthz', Math.max(joins, polls), rate, () => http.request('GET', '/healthz'), (r) => r.status === 200, cpu);

      console.log('\n== waiting room through HTTP');
      const tokens: string[] = new Array(joins);
      const join = await classify(
        'join (POST /queue/tokens)',
        joins,
        rate,
        async (i) => {
          const r = await http.request('POST', '/api/v1/queue/tokens', { token: users[i]!.token, body: { scheduleId: schedule.scheduleId } });
          if (r.status === 200) tokens[i] = r.body.token;
          return r;
        },
        live,
        cpu,
      );
      const joined = users.map((u, i) => ({ u, token: tokens[i] })).filter((x) => x.token);
      if (joined.length === 0) throw new Error('no join succeeded');
      const poll = await classify(
        'poll (GET /queue/tokens/current)',
        polls,
        rate,
        (i) => {
          const x = joined[(i * 7919) % joined.length]!;
          return http.request('GET', '/api/v1/queue/tokens/current', { token: x.u.token, headers: { 'x-queue-token': x.token! } });
        },
        live,
        cpu,
      );
      const f1 = (v: number) => v.toFixed(1);
      const vs = (s: Samples) => `p50 ${f1(s.percentile(50))} ms (${f1(s.percentile(50) / floor.good.percentile(50))}x bare Hono), p99 ${f1(s.percentile(99))} ms (${f1(s.percentile(99) / floor.good.percentile(99))}x)`;
      console.log(`\njoin ${vs(join.good)}; failures ${join.bad.count} of ${joins}`);
      console.log(`poll ${vs(poll.good)}; failures ${poll.bad.count} of ${polls}`);
      console.log(`API /healthz ${vs(healthz.good)}`);

      // ---- a spike, then open waiters told of the end -----------------------------------------------
      const spike = n('spike');
      const waiters = Math.min(n('waiters'), spike);
      if (spike > 0) {
        const spikeSchedule = await makeSchedule(database, run, 10);
        const setSpike = await http.request('PUT', `/api/v1/admin/schedules/${spikeSchedule.scheduleId}/queue`, { token: admin!.token, body: { mode: 'manual', maxActive: 100, admitRatePerSec: 100 } });
        if (setSpike.status !== 200) throw new Error(`PUT queue settings answered ${setSpike.status}`);
        console.log(`\n== spike: ${spike} joins within 1 s on one API process (open loop at ${spike}/s)`);
        // Answered late is still answered: on a saturated machine the last joins of a spike wait
        // tens of seconds for CPU, and a browser waits minutes before it gives up on a request.
        // Its own client, closed after the spike: its thousands of keep-alive sockets would otherwise
        // count against this process's open-file limit when the waiters open theirs.
        const spikeHttp = new HttpClient(run.api, 12_000);
        spikeHttp.timeoutMs = 180_000;
        const spikeTokens: string[] = new Array(spike);
        const overflowsBefore = listenOverflows();
        const spiked = await classify(
          'spike join',
          spike,
          spike,
          async (i) => {
            const r = await spikeHttp.request('POST', '/api/v1/queue/tokens', { token: users[i]!.token, body: { scheduleId: spikeSchedule.scheduleId } });
            if (r.status === 200) spikeTokens[i] = r.body.token;
            return r;
          },
          (r) => live(r) && (r.body.status === 'ACTIVE' || r.body.position > 0),
          cpu,
        );
        spikeHttp.close();
        console.log(`spike: ${spiked.good.count} of ${spike} answered with a place; not (5xx or no answer) ${spiked.bad.count}`);
        console.log(`  kernel: ${listenOverflows() - overflowsBefore} connections dropped on a full listen queue (TcpExt ListenOverflows, whole machine; the API's backlog is min(API_LISTEN_BACKLOG, net.core.somaxconn) = ${Math.min(run.base.API_LISTEN_BACKLOG, somaxconn())})`);
        if (spiked.bad.count > 0) broken(`spike: ${spiked.bad.count} joins not answered with a place`);

        if (waiters > 0) await openWaiters(spikeSchedule.scheduleId, users, spikeTokens, waiters, database, cpu);
      }
    }

    // ---- in-process, labelled: the queue service alone beside Redis's own commands -----------------
    const inProcess = n('in-process');
    if (inProcess > 0) {
      const conc = n('concurrency');
      console.log(`\n== in-process (no HTTP, JWT or rate limits): the queue service called directly, closed loop at ${conc} in flight`);
      redis = createRedis(run.base.REDIS_URL, `${run.runId}:`);
      const log = pino({ level: 'warn' });
      // A long grace: on a busy machine this part takes longer than 30 s, and dropped waiters would
      // turn the snapshot polls into Redis reads; this measures cost, not the drop rule.
      const config = { ...run.base, REDIS_PREFIX: `${run.runId}:`, QUEUE_WAITER_GRACE_SECONDS: 3600 };
      const queue = buildQueue({ config, db: database.db, redis, metrics: new Metrics('bench', false), onError: (what, err) => log.warn({ err: String(err) }, what) });
      const firstUser = 2_000_000_000;
      const sTokens: string[] = new Array(inProcess);
      const failed = new Tally<string>();
      const outcome = (view: { status: string; reason?: string | null }) => {
        if (view.status !== 'WAITING' && view.status !== 'ACTIVE') failed.add(`${view.status}/${view.reason ?? '-'}`);
      };
      const rows: Measurement[] = [
        await measure('queue.join (in-process)', inProcess, conc, async (i) => {
          const view = await queue.service.join(firstUser + i, schedule.scheduleId);
          sTokens[i] = view.token;
          outcome(view);
        }),
        await measure('queue.status (in-process)', inProcess, conc, async (i) => {
          const u = (i * 7919) % inProcess;
          outcome(await queue.service.status(firstUser + u, sTokens[u]));
        }),
      ];
      // The poll answered from this process's snapshot of the line (what GET /queue/tokens/current runs).
      await queue.service.poll(firstUser, sTokens[0]);
      await queue.lines!.refreshAll();
      const cpuBefore = process.cpuUsage();
      const commandsBefore = queue.lines!.refreshes;
      rows.push(
        await measure('queue.poll from the snapshot (in-process)', inProcess, conc, async (i) => {
          const u = (i * 7919) % inProcess;
          outcome(await queue.service.poll(firstUser + u, sTokens[u]));
        }),
      );
      const cpuUsed = process.cpuUsage(cpuBefore);
      console.log(`queue.poll from the snapshot: ${((cpuUsed.user + cpuUsed.system) / 1000 / inProcess).toFixed(3)} ms CPU per poll (this process, HMAC + arithmetic + view; no snapshot refresh ran: ${queue.lines!.refreshes === commandsBefore})`);
      // Parked long polls in-process: the waiting room's own memory per open waiter (no socket).
      const parked = Math.min(inProcess, 20_000);
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const stop = new AbortController();
      const waits = Array.from({ length: parked }, (_, i) => queue.service.pollUntilChange(firstUser + i, sTokens[i], 25_000, stop.signal).catch(() => undefined));
      // Until every one is parked (a busy machine takes seconds to start 20,000 of them).
      for (let t = 0; queue.lines!.openWaiters < parked && t < 200; t++) await new Promise((r) => setTimeout(r, 100));
      global.gc?.();
      const heapWith = process.memoryUsage().heapUsed;
      console.log(`${queue.lines!.openWaiters} parked long polls in-process: ${((heapWith - heapBefore) / Math.max(1, queue.lines!.openWaiters)).toFixed(0)} bytes of heap per waiter (the waiting room's share; the HTTP connection comes on top)`);
      stop.abort();
      await Promise.all(waits);
      const zadd = await measure('redis ZADD (baseline)', inProcess * 2, conc, (i) => redis!.zadd('baseline', i, `m${i}`));
      const zrank = await measure('redis ZRANK (baseline)', inProcess * 2, conc, (i) => redis!.zrank('baseline', `m${i % (inProcess * 2)}`));
      for (const m of [...rows, zadd, zrank]) console.log(m.line());
      console.log(`in-process failures (not WAITING/ACTIVE): ${failed.total === 0 ? 0 : failed.toString()}`);
      if (failed.total > 0) broken(`in-process queue calls answered ${failed.toString()}`);
      console.log(`join / ZADD rate = ${((rows[0]!.rate / zadd.rate) * 100).toFixed(0)} %, status / ZRANK rate = ${((rows[1]!.rate / zrank.rate) * 100).toFixed(0)} %`);
      await queue.service.flush();
    }
  } finally {
    await teardown(run, { keep: args.keep!, children, database, close: [() => http.close(), () => bare.close(), () => redis?.quit()] });
  }
}

exitWithVerdict(main());
