/**
 * Flash-sale benchmark, open loop, through the real HTTP API and the waiting room:
 *   npm run bench:flash [-- --buyers 20000 --seconds 60 --seats 2000 --hold-ttl 20]
 *   npm run bench:flash -- --buyers 2000 --seconds 20 --seats 200      # a short run
 *
 * Needs the local stack (`npm run up` or `scripts/stack.sh start`). Spawns the real API and worker
 * on a throwaway database, Redis prefix and task queue, with QUEUE_ENFORCED=true (booking needs an
 * ACTIVE waiting-room token), RATE_LIMIT_ENABLED=false (every buyer comes from 127.0.0.1; per-IP
 * limits would measure the limiter) and HOLD_TTL_SECONDS shortened (--hold-ttl, default 20).
 *
 * Not timed: the schedule with --seats seats (sale open), --buyers users written in bulk with one
 * precomputed password hash, wallets topped up as WalletRepository.charge would (ledger row and
 * WalletCharged event), access tokens minted with the token service; one ADMIN user.
 *
 * Then, before the sale, the primitives of the same run (empty Update-with-Start at 1 and 5 in
 * flight, the bare purchase = Update-with-Start + one update at 5 in flight, the hold transaction, Redis
 * SET NX, GET /healthz) and a calibration: --calibrate buyers of a separate schedule (admission
 * pinned open) hold then pay at 5 in flight, for CPU ms per hold and per pay of each process.
 *
 * The sale: buyers arrive evenly over --seconds, whatever the answers (open loop). Each one joins
 * (POST /queue/tokens), then waits until ACTIVE or EXPIRED (SOLD_OUT / CLOSED = told sold out):
 * --sse-share of them (20 %) on the SSE stream GET /queue/tokens/current/stream, the others by
 * polling GET /queue/tokens/current every `pollAfterMs` (1 s when absent); then it reads the seat map (AVAILABLE seats),
 * holds 1-4 of them (adjacent when it can; a 409 re-reads the map and retries, up to 3 times),
 * then pays (--pay-ratio, 90 %) or abandons the hold to expire. Waiting stops at
 * seconds + hold TTL + --grace (60 s) after the first arrival.
 *
 * `--apis N` runs N API processes (buyers spread over them); `--queue-apis K` sends the waiting room
 * (joins, polls, streams) to the last K of them and the booking path to the others.
 *
 * Printed: per request class p50/p95/p99 and the count of each HTTP status, with the requests that got
 * no answer at all by the client's error code (TIMEOUT after --client-timeout, ECONNRESET, EMFILE, ...);
 * a join left unanswered or answered 5xx makes the run exit 1. Then requests/s, sell-out time and purchases/s
 * against the bare purchase rate, waiters left after the sell-out (server: Redis ZCARD of the wait
 * and pre-queue sets every 250 ms; client: the last WAITING answer), CPU per process, seats sold,
 * double sales, wallets against their payments, checkInvariants. An SVG chart of the sale goes to
 * .stack/bench/flash-<runId>.svg.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { createRedis } from '../src/platform/redis.js';
import { checkInvariants } from '../test/support/invariants.js';
import { sampleProcesses, type CpuDelta, type CpuSampler } from './bench/cpu.js';
import {
  apiHost,
  broken,
  Children,
  exitWithVerdict,
  HttpClient,
  listenOverflows,
  makeSchedule,
  makeUsers,
  newRun,
  openDatabase,
  reportInvariants,
  root,
  sleep,
  soldAndDoubles,
  stackRunDir,
  startProcesses,
  teardown,
  type BenchUser,
  type HttpResult,
} from './bench/harness.js';
import { describeLoop, OpenLoop } from './bench/open-loop.js';
import { EmptyTemporal, httpGet, redisSetNx, transactionalHold } from './bench/primitives.js';
import { percentileOf, runPool, Samples, Tally } from './bench/stats.js';
import { seededRandom } from '../test/support/random.js';
import { writeChart, type Series } from './bench/svg-chart.js';
import { availableParallelism } from 'node:os';
import { hostCpuBusy } from '../src/platform/observability/host-cpu.js';

const { values: args } = parseArgs({
  options: {
    buyers: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '60' },
    seats: { type: 'string', default: '2000' },
    'hold-ttl': { type: 'string', default: '20' },
    'pay-ratio': { type: 'string', default: '0.9' },
    grace: { type: 'string', default: '60' },
    // Share of buyers who wait on the SSE stream (GET /queue/tokens/current/stream) instead of polling.
    'sse-share': { type: 'string', default: '0.2' },
    // Pollers long-poll (GET /queue/tokens/current?wait=25); `false`: poll every pollAfterMs as before.
    'long-poll': { type: 'string', default: 'true' },
    // API processes (stateless; each buyer talks to one of them, as behind a load balancer).
    apis: { type: 'string', default: '1' },
    // Item 4 of issue 21: with --apis 2 or more, `--queue-apis K` sends the waiting room (joins, polls,
    // streams) to the last K API processes only and the booking path (seat map, hold, pay) to the
    // others, as a load balancer routing /api/v1/queue/* to a pool of its own would.
    'queue-apis': { type: 'string', default: '0' },
    // How long the client waits for an answer before it counts the request as unanswered (status 0,
    // TIMEOUT). A browser waits minutes for a pending request; 30 s (the server's own join deadline)
    // turned slow joins on a saturated machine into "no answer".
    'client-timeout': { type: 'string', default: '120' },
    workers: { type: 'string', default: '1' },
    calibrate: { type: 'string', default: '100' },
    primitives: { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
    port: { type: 'string', default: '3950' },
    keep: { type: 'boolean', default: false },
    // pick (buyers read the seat map and choose), best (buyers ask for a quantity: best available,
    // issue 16), or both: two sales on the same run, same stack, one after the other, side by side.
    mode: { type: 'string', default: 'both' },
  },
});
const n = (k: keyof typeof args) => Number(args[k]);
const BUYERS = n('buyers');
const SECONDS = n('seconds');
const SEATS = n('seats');
const HOLD_TTL = n('hold-ttl');
const PAY_RATIO = n('pay-ratio');
const SSE_SHARE = n('sse-share');
const LONG_POLL = args['long-poll'] !== 'false';
const SAMPLE_MS = 250;
type SaleMode = 'pick' | 'best';
const MODES: SaleMode[] = args.mode === 'both' ? ['pick', 'best'] : [args.mode as SaleMode];
if (!MODES.every((m) => m === 'pick' || m === 'best')) throw new Error(`--mode pick | best | both, not ${args.mode}`);

/** What the side-by-side table compares (issue 16's benchmark list). */
interface SaleSummary {
  mode: SaleMode;
  purchases: number;
  failedHolds: number;
  refusals: string;
  turnedAwayWhileFree: number;
  sellOutMs: number | undefined;
  multiSeatOrders: number;
  multiSeatTogether: number;
  rows: number;
  strandedRows: number;
  /** Rows with a single stranded seat when 90 % of the seats were held or sold. */
  strandedAt90: { rows: number; stranded: number };
  allocatorP50Ms: number;
  allocatorP99Ms: number;
  holdP99Ms: number;
  doubles: number;
}

const run = newRun({
  prefix: 'flash',
  port: n('port'),
  env: { QUEUE_ENFORCED: 'true', RATE_LIMIT_ENABLED: 'false', HOLD_TTL_SECONDS: String(HOLD_TTL) },
});
const { runId, base } = run;
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const secs = (ms: number | undefined) => (ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(2)} s`);

/** One request class: latencies, statuses, and per-second buckets (by send time) for the chart. */
class RequestClass {
  /** Answers that did what was asked (2xx); refusals and errors are timed apart in `refused`. */
  readonly samples: Samples;
  readonly refused: Samples;
  readonly statuses = new Tally<number>();
  /** Requests with no HTTP answer (status 0), by the client's error code. */
  readonly noAnswer = new Tally<string>();
  readonly bySecond: number[][] = [];
  constructor(readonly name: string) {
    this.samples = new Samples(name);
    this.refused = new Samples(`${name}, refused`);
  }
  record(r: HttpResult, sentAtMs: number) {
    (r.status >= 200 && r.status < 300 ? this.samples : this.refused).add(r.ms);
    this.statuses.add(r.status);
    if (r.status === 0) this.noAnswer.add(r.error ?? 'unknown');
    const s = Math.max(0, Math.floor(sentAtMs / 1000));
    (this.bySecond[s] ??= []).push(r.ms);
  }
  p99BySecond(): Array<[number, number]> {
    return Array.from({ length: this.bySecond.length }, (_, s): [number, number] => {
      const v = this.bySecond[s];
      return [s + 0.5, v && v.length ? percentileOf([...v].sort((a, b) => a - b), 99) : NaN];
    });
  }
  line(elapsedMs: number) {
    const main = `${this.samples.line(elapsedMs)}  ${this.statusLine()}`;
    return this.refused.count ? `${main}\n${this.refused.line(elapsedMs)}` : main;
  }
  /** Counts per HTTP status, and the requests that got no answer at all with their error codes. */
  statusLine() {
    const answered = [...this.statuses.counts].filter(([k]) => k !== 0).sort(([a], [b]) => a - b).map(([k, v]) => `${k}=${v}`);
    const none = this.noAnswer.total ? [`no answer=${this.noAnswer.total} (${this.noAnswer})`] : [];
    return [...answered, ...none].join(' ') || '-';
  }
}

type Outcome =
  | 'purchased'
  | 'abandoned'
  | 'told sold out'
  | 'told closed'
  | 'expired (other reason)'
  | 'no seats on the map'
  | 'hold lost 4 times'
  | 'gave up (deadline)'
  | 'error';

async function main() {
  console.log(
    `flash-sale benchmark ${runId}: ${BUYERS} buyers over ${SECONDS} s for ${SEATS} seats, hold TTL ${HOLD_TTL} s, pay ${Math.round(PAY_RATIO * 100)} %; ` +
      `API :${args.port}, Temporal ${base.TEMPORAL_ADDRESS}, QUEUE_ENFORCED=true, RATE_LIMIT_ENABLED=false; ${new Date().toISOString()}`,
  );
  const database = await openDatabase(run);
  const children = new Children(run.env);
  const APIS = Math.max(1, n('apis'));
  const apiPorts = Array.from({ length: APIS }, (_, k) => n('port') + 10 * k);
  // Every buyer is a device of its own: one connection each, no pool shared between buyers (a bounded
  // pool queued requests inside the load generator and reported that wait as the server's).
  const clients = apiPorts.map((p) => new HttpClient(`http://${apiHost}:${p}`, Infinity));
  for (const c of clients) c.timeoutMs = n('client-timeout') * 1000;
  const http = clients[0]!;
  const QUEUE_APIS = Math.min(Math.max(0, n('queue-apis')), APIS - 1);
  const bookingClients = QUEUE_APIS ? clients.slice(0, APIS - QUEUE_APIS) : clients;
  const queueClients = QUEUE_APIS ? clients.slice(APIS - QUEUE_APIS) : clients;
  if (QUEUE_APIS) console.log(`waiting room on API process(es) ${apiPorts.slice(APIS - QUEUE_APIS).join(', ')}; booking path on ${apiPorts.slice(0, APIS - QUEUE_APIS).join(', ')}`);
  reportFileLimit(BUYERS);
  let pool: mysql.Pool | undefined;
  let redis: ReturnType<typeof createRedis> | undefined;
  let temporal: EmptyTemporal | undefined;
  try {
    // ---- preparation (not timed) ---------------------------------------------------------------
    let t = performance.now();
    const sales: Array<{ mode: SaleMode; sale: Awaited<ReturnType<typeof makeSchedule>>; buyers: BenchUser[] }> = [];
    for (const mode of MODES) sales.push({ mode, sale: await makeSchedule(database, run, SEATS), buyers: await makeUsers(database, run, BUYERS, 100_000) });
    const { sale, buyers } = sales[0]!;
    const [admin] = await makeUsers(database, run, 1, 0, 'ADMIN');
    const calibrateN = n('calibrate');
    const calibration = calibrateN > 0 ? { schedule: await makeSchedule(database, run, calibrateN), users: await makeUsers(database, run, calibrateN, 100_000) } : undefined;
    console.log(`prepared ${sales.length} schedule(s) ${sales.map((x) => `${x.sale.scheduleId} (${x.mode})`).join(', ')} of ${sale.seatIds.length} seats, ${buyers.length} buyers each, with wallets and tokens in ${secs(performance.now() - t)}`);

    await startProcesses(run, children, { apis: APIS, workers: Math.max(1, n('workers')), port: n('port') });
    pool = mysql.createPool({ uri: run.mysqlUrl, connectionLimit: 20 });
    redis = createRedis(base.REDIS_URL, `${runId}:`);
    const cpu = sampleProcesses(children, base.TEMPORAL_ADDRESS, stackRunDir);
    const temporalTier = ['temporal', ...(cpu.names.includes('postgres') ? ['postgres'] : []), 'bench'];
    const procs = [...Object.keys(children.pids()), 'temporal', ...(cpu.names.includes('postgres') ? ['postgres'] : []), 'mysql', 'redis', 'bench'];

    // ---- primitives (same run) ------------------------------------------------------------------
    console.log('\n== primitives (same run, same machine)');
    const prim = n('primitives');
    temporal = await EmptyTemporal.start({ address: base.TEMPORAL_ADDRESS, namespace: base.TEMPORAL_NAMESPACE, dataEncryptionKey: base.DATA_ENCRYPTION_KEY, runId });
    await temporal.uws(20, 5); // warm-up
    const uws1 = await temporal.uws(Math.min(prim, 100), 1, cpu);
    const uws5 = await temporal.uws(prim, 5, cpu);
    const bare = await temporal.purchases(prim, 5, cpu);
    await temporal.close();
    temporal = undefined;
    const rawSchedule = await makeSchedule(database, run, prim * 3);
    // One buyer per hold: the per-buyer ticket limit (4 seats a schedule) is not what this measures.
    const rawUsers = await makeUsers(database, run, prim * 3, 0);
    const sqlHold = await transactionalHold(database.db, rawSchedule, rawUsers.map((u) => u.id), prim * 3, 20);
    const setnx = await redisSetNx(redis, prim * 10, 20, 'prim:nx:');
    const healthz = await httpGet(`${run.api}/healthz`, prim * 3, 20, cpu);
    for (const m of [uws1, uws5, bare, sqlHold, setnx, healthz]) console.log(m.line());
    console.log(`bare purchase rate (UWS + 1 update, 5 in flight): ${bare.rate.toFixed(1)} purchases/s`);
    console.log(`CPU ms per empty UWS @5: ${uws5.cpuPerCall(temporalTier)}; per bare purchase: ${bare.cpuPerCall(temporalTier)} (bench = client + empty worker)`);

    // ---- calibration: CPU per hold and per pay ------------------------------------------------------
    let calibrationCpu: { hold?: CpuDelta; pay?: CpuDelta; holds: number; pays: number } | undefined;
    if (calibration) {
      calibrationCpu = await calibrate(http, admin!, calibration.schedule, calibration.users, cpu, procs);
    }

    const runSale = async (mode: SaleMode, sale: { scheduleId: number; seatIds: number[] }, buyers: BenchUser[]): Promise<SaleSummary> => {
    const db = pool!;
    const rds = redis!;
    // ---- the sale ----------------------------------------------------------------------------------
    console.log(`\n== the sale (${mode === 'pick' ? 'pick your seats' : 'best available'}): ${BUYERS} buyers arriving over ${SECONDS} s (${(BUYERS / SECONDS).toFixed(0)}/s), open loop`);
    const classes = {
      join: new RequestClass('join (POST /queue/tokens)'),
      poll: new RequestClass(LONG_POLL ? 'long poll (GET /queue/tokens/current?wait=25)' : 'poll (GET /queue/tokens/current)'),
      map: new RequestClass(mode === 'pick' ? 'seat map (GET /seats)' : 'availability (GET /availability)'),
      hold: new RequestClass('hold (POST /reservations)'),
      pay: new RequestClass('pay (POST /payment)'),
    };
    const outcomes = new Tally<Outcome>();
    const otherErrors = new Tally<string>();
    const admittedAt: number[] = []; // ms since t0, client-seen ACTIVE
    const purchasedAt: number[] = [];
    const toldSoldOutAt: number[] = [];
    const toldSoldOutBySse: number[] = [];
    const streams = new Tally<string>();
    let lastWaitingAnswerAt = -Infinity;
    let lastAnswerAt = 0;
    let seatsBought = 0;
    let turnedAwayWhileFree = 0;
    let strandedAt90: { rows: number; stranded: number } | undefined;
    // Hold refusals by code: SEAT_UNAVAILABLE is a lost seat fight (a failed attempt); SOLD_OUT and
    // NO_SEATS_TOGETHER are answers about what is left, TICKET_LIMIT about the buyer.
    const holdRefusals = new Tally<string>();
    let multiSeatOrders = 0;
    let multiSeatTogether = 0;
    const freeNow = () => seatSamples[seatSamples.length - 1]?.available ?? SEATS;
    const allocatorBefore = await allocatorBuckets(clients, run.base.METRICS_TOKEN, mode);
    const expiredReasons = new Tally<string>();
    const pollAfter = new Samples('pollAfterMs of WAITING answers');
    let pollAfterMissing = 0;

    const deadlineMs = (SECONDS + HOLD_TTL + n('grace')) * 1000;
    const loop = new OpenLoop({ count: BUYERS, ratePerSec: BUYERS / SECONDS }, (i) => buyer(i));
    const since = () => loop.now();
    let saleEndedAt: number | undefined;

    // Samplers: MySQL seat counts and the waiting room's Redis sets every 250 ms; the admin view every second.
    const seatSamples: Array<{ t: number; sold: number; held: number; available: number }> = [];
    const waitSamples: Array<{ t: number; waiting: number }> = [];
    const adminSamples: Array<{
      t: number;
      admitRatePerSec?: number;
      maxActive?: number;
      active?: number;
      mode?: string;
      reason?: string | null;
      /** What the controller measured and aims at (admin view's `controller`). */
      limit?: number;
      inFlight?: number;
      meanMs?: number;
      unloadedMs?: number;
      /** Cores busy since the previous sample, per process and for the whole machine. */
      cores: Record<string, number>;
    }> = [];
    const machineBusy = hostCpuBusy();
    let sellOutAt: number | undefined;
    let sampling = true;
    const waitKey = `q:{${sale.scheduleId}}:wait`;
    const preKey = `q:{${sale.scheduleId}}:pre`;
    const sampleSeats = async () => {
      while (sampling) {
        const at = since();
        try {
          const [rows] = await db.query(`SELECT status, COUNT(*) n FROM seat_status WHERE schedule_id = ? GROUP BY status`, [sale.scheduleId]);
          const by = Object.fromEntries((rows as Array<{ status: string; n: number }>).map((r) => [r.status, Number(r.n)]));
          const s = { t: at, sold: by.SOLD ?? 0, held: by.HELD ?? 0, available: by.AVAILABLE ?? 0 };
          seatSamples.push(s);
          // Stranding shows while seats are still free: snapshot the rows once 90 % are held or sold.
          if (!strandedAt90 && s.sold + s.held >= 0.9 * SEATS) strandedAt90 = await strandedRows(db, sale.scheduleId);
          if (sellOutAt === undefined && s.sold >= SEATS) sellOutAt = at;
        } catch {
          /* keep sampling */
        }
        await sleep(SAMPLE_MS);
      }
    };
    const sampleWaiting = async () => {
      while (sampling) {
        const at = since();
        try {
          const [w, p] = await Promise.all([rds.zcard(waitKey), rds.zcard(preKey)]);
          waitSamples.push({ t: at, waiting: w + p });
        } catch {
          /* keep sampling */
        }
        await sleep(SAMPLE_MS);
      }
    };
    const sampleAdmin = async () => {
      let lastCpu = cpu.read();
      let lastAt = since();
      machineBusy();
      while (sampling) {
        const at = since();
        const nowCpu = cpu.read();
        const cores: Record<string, number> = { machine: (machineBusy() ?? NaN) * availableParallelism() };
        for (const [name, ms] of Object.entries(nowCpu)) cores[name] = (ms - (lastCpu[name] ?? NaN)) / Math.max(1, at - lastAt);
        lastCpu = nowCpu;
        lastAt = at;
        const r = await http.request('GET', `/api/v1/admin/schedules/${sale.scheduleId}/queue`, { token: admin!.token });
        if (r.status === 200 && r.body && typeof r.body === 'object') {
          const b = r.body as Record<string, any>;
          adminSamples.push({
            t: at,
            admitRatePerSec: typeof b.admitRatePerSec === 'number' ? b.admitRatePerSec : undefined,
            maxActive: typeof b.maxActive === 'number' ? b.maxActive : undefined,
            active: typeof b.queue?.active === 'number' ? b.queue.active : undefined,
            mode: typeof b.mode === 'string' ? b.mode : undefined,
            reason: typeof b.controller?.lastReason === 'string' ? b.controller.lastReason : null,
            limit: b.controller?.limit ?? undefined,
            inFlight: b.controller?.inFlight ?? undefined,
            meanMs: b.controller?.meanMs ?? undefined,
            unloadedMs: b.controller?.unloadedMs ?? undefined,
            cores,
          });
        }
        await sleep(1000);
      }
    };

    async function send(cls: RequestClass, method: string, path: string, opts: Parameters<HttpClient['request']>[2], client = http) {
      const sent = since();
      const r = await client.request(method, path, opts);
      cls.record(r, sent);
      if (cls === classes.hold && r.status === 409) holdRefusals.add(String((r.body as { code?: string })?.code));
      lastAnswerAt = Math.max(lastAnswerAt, since());
      return r;
    }

    /** Picks 1-4 AVAILABLE seats: half the buyers aim at the best fifth of what is left; adjacent in a row when possible. */
    function pick(items: Array<{ id: number; section: string; row: string; number: number; status: string }>, rand: (below: number) => number, want: number) {
      const free = items.filter((s) => s.status === 'AVAILABLE');
      if (free.length === 0) return [];
      const start = rand(2) === 0 ? rand(Math.max(1, Math.ceil(free.length / 5))) : rand(free.length);
      const chosen = [free[start]!];
      for (let j = start + 1; j < free.length && chosen.length < want; j++) {
        const prev = chosen[chosen.length - 1]!;
        const s = free[j]!;
        if (s.section !== prev.section || s.row !== prev.row || s.number !== prev.number + 1) break;
        chosen.push(s);
      }
      // Not enough adjacent seats: top up with random ones.
      for (let tries = 0; chosen.length < Math.min(want, free.length) && tries < 20; tries++) {
        const s = free[rand(free.length)]!;
        if (!chosen.includes(s)) chosen.push(s);
      }
      return chosen.map((s) => s.id);
    }

    async function buyer(i: number): Promise<void> {
      const u = buyers[i]!;
      const rand = seededRandom(n('seed') * 1_000_003 + i);
      const want = 1 + rand(4);
      const pays = rand(1000) < PAY_RATIO * 1000;
      const end = (o: Outcome) => void outcomes.add(o);
      const api = bookingClients[i % bookingClients.length]!;
      const room = queueClients[i % queueClients.length]!;

      // Join, then poll until ACTIVE or EXPIRED.
      let r = await send(classes.join, 'POST', '/api/v1/queue/tokens', { token: u.token, body: { scheduleId: sale.scheduleId } }, room);
      if (r.status !== 200) return void (otherErrors.add(`join ${r.status} ${r.error ?? ''}`.trim()), end('error'));
      let view = r.body as { token: string; status: string; reason?: string | null; pollAfterMs?: number | null };
      const queueToken = view.token;
      // Some buyers wait on the SSE stream: the server pushes each change (and the sale's end at once).
      if (view.status === 'WAITING' && rand(1000) < SSE_SHARE * 1000) {
        let last = view;
        const status = await room.stream(
          `/api/v1/queue/tokens/current/stream?token=${encodeURIComponent(queueToken)}`,
          { token: u.token, timeoutMs: Math.max(1000, deadlineMs - since()) },
          (event, data) => {
            if (event !== 'status') return event === 'error';
            last = JSON.parse(data);
            if (last.status === 'WAITING') lastWaitingAnswerAt = Math.max(lastWaitingAnswerAt, since());
            return last.status !== 'WAITING';
          },
        );
        streams.add(status === 200 ? `${last.status}${last.reason ? ` ${last.reason}` : ''}` : `HTTP ${status}`);
        if (last.status === 'WAITING') return end('gave up (deadline)');
        if (last.reason === 'SOLD_OUT') {
          toldSoldOutBySse.push(since());
          return end('told sold out');
        }
        view = last;
      }
      for (;;) {
        if (view.status === 'ACTIVE') break;
        if (view.status === 'EXPIRED') {
          expiredReasons.add(String(view.reason));
          if (view.reason === 'SOLD_OUT') {
            toldSoldOutAt.push(since());
            return end('told sold out');
          }
          if (view.reason === 'CLOSED') return end('told closed');
          return end('expired (other reason)');
        }
        lastWaitingAnswerAt = Math.max(lastWaitingAnswerAt, since());
        const wait = typeof view.pollAfterMs === 'number' && view.pollAfterMs > 0 ? view.pollAfterMs : 1000;
        pollAfter.add(wait);
        if (typeof view.pollAfterMs !== 'number') pollAfterMissing++;
        if (since() > deadlineMs) return end('gave up (deadline)');
        // A long poll (docs/queue.md): the answer comes when the status changes or after 25 s, so
        // the buyer hears of admission or the sell-out at once without polling often.
        if (!LONG_POLL) await sleep(wait);
        r = await send(classes.poll, 'GET', `/api/v1/queue/tokens/current${LONG_POLL ? '?wait=25' : ''}`, { token: u.token, headers: { 'x-queue-token': view.token } }, room);
        if (r.status !== 200) return void (otherErrors.add(`poll ${r.status} ${r.error ?? ''}`.trim()), end('error'));
        view = r.body;
      }
      admittedAt.push(since());

      // Seat map, hold (up to 3 retries on 409).
      const headers = () => ({ 'x-queue-token': queueToken, 'idempotency-key': randomUUID() });
      let reservationId: string | undefined;
      let seatCount = 0;
      const heldSeats = (seats: Array<{ section: string; row: string; number: number }>) => {
        if (seats.length < 2) return;
        multiSeatOrders++;
        const nums = seats.map((x) => x.number).sort((a, b) => a - b);
        if (new Set(seats.map((x) => `${x.section}/${x.row}`)).size === 1 && nums.every((v, k) => k === 0 || v === nums[k - 1]! + 1)) multiSeatTogether++;
      };
      if (mode === 'best') {
        // Best available: the small counts page instead of the seat map, then ask for a quantity;
        // when no run of that many is left, take split seats (the client's "2 + 1?").
        const m = await send(classes.map, 'GET', `/api/v1/schedules/${sale.scheduleId}/availability`, { token: u.token }, api);
        if (m.status !== 200) return void (otherErrors.add(`availability ${m.status}`), end('error'));
        for (const together of [true, false]) {
          if (reservationId) break;
          const h = await send(classes.hold, 'POST', '/api/v1/reservations', { token: u.token, headers: headers(), body: { scheduleId: sale.scheduleId, quantity: want, together } }, api);
          if (h.status === 201) {
            reservationId = h.body.id;
            seatCount = h.body.seats.length;
            heldSeats(h.body.seats);
          } else if (h.status === 409 && h.body?.code === 'SOLD_OUT') {
            if ((h.body.available ?? 0) >= want) turnedAwayWhileFree++;
            return end('no seats on the map');
          } else if (h.status !== 409) return void (otherErrors.add(`hold ${h.status} ${h.body?.code ?? ''}`.trim()), end('error'));
        }
        if (!reservationId) {
          if (freeNow() >= want) turnedAwayWhileFree++;
          return end('hold lost 4 times');
        }
      }
      for (let attempt = 0; mode === 'pick' && attempt < 4 && !reservationId; attempt++) {
        if (since() > deadlineMs) return end('gave up (deadline)');
        const m = await send(classes.map, 'GET', `/api/v1/schedules/${sale.scheduleId}/seats?status=AVAILABLE`, { token: u.token }, api);
        if (m.status !== 200) return void (otherErrors.add(`seat map ${m.status}`), end('error'));
        const seatIds = pick(m.body.items ?? [], rand, want);
        if (seatIds.length === 0) return end('no seats on the map');
        const h = await send(classes.hold, 'POST', '/api/v1/reservations', { token: u.token, headers: headers(), body: { scheduleId: sale.scheduleId, seatIds } }, api);
        if (h.status === 201) {
          reservationId = h.body.id;
          seatCount = seatIds.length;
          heldSeats(h.body.seats);
        } else if (h.status !== 409) return void (otherErrors.add(`hold ${h.status} ${h.body?.code ?? ''}`.trim()), end('error'));
      }
      if (!reservationId && freeNow() >= want) turnedAwayWhileFree++;
      if (!reservationId) return end('hold lost 4 times');
      if (!pays) return end('abandoned');
      const p = await send(classes.pay, 'POST', `/api/v1/reservations/${reservationId}/payment`, { token: u.token, headers: headers() }, api);
      if (p.status !== 200) return void (otherErrors.add(`pay ${p.status} ${p.body?.code ?? ''}`.trim()), end('error'));
      purchasedAt.push(since());
      seatsBought += seatCount;
      end('purchased');
    }

    const saleMark = cpu.mark();
    const overflowsBefore = listenOverflows();
    const samplers = Promise.all([sampleSeats(), sampleWaiting(), sampleAdmin()]);
    const progress = setInterval(() => {
      const last = seatSamples[seatSamples.length - 1];
      const w = waitSamples[waitSamples.length - 1];
      const a = adminSamples[adminSamples.length - 1];
      console.log(
        `  t=${(since() / 1000).toFixed(0).padStart(4)} s  arrived ${loop.launched}/${BUYERS}  in flight ${loop.inFlight}  waiting(redis) ${w?.waiting ?? '-'}  ` +
          `admitted ${admittedAt.length}  purchases ${purchasedAt.length}  seats sold ${last?.sold ?? '-'} held ${last?.held ?? '-'}  ` +
          `admit ${a?.admitRatePerSec ?? '-'}/s cap ${a?.maxActive ?? '-'}`,
      );
    }, 5000);
    // Bounded: buyers stop at the deadline; requests still open 30 s after it are left behind.
    const hardStopMs = deadlineMs + 30_000;
    let hardStop: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      loop.run(),
      new Promise<undefined>((r) => (hardStop = setTimeout(() => r(undefined), hardStopMs))),
    ]);
    clearTimeout(hardStop);
    saleEndedAt = since();
    clearInterval(progress);
    const saleCpu = saleMark();
    // A little longer, so the samplers see the final seat state and the waiting room drain.
    await sleep(1500);
    sampling = false;
    await samplers;

    // ---- report --------------------------------------------------------------------------------------
    const elapsed = Math.max(lastAnswerAt, 1);
    if (result) console.log(describeLoop(result));
    else console.log(`stopped waiting at ${secs(hardStopMs)}: ${loop.inFlight} buyers still had a request open`);
    console.log(`\nper request class (latency from send to full answer; rate over ${secs(elapsed)}):`);
    let total = 0;
    for (const c of Object.values(classes)) {
      console.log(c.line(elapsed));
      total += c.samples.count + c.refused.count;
    }
    console.log(`total ${total} requests, ${(total / (elapsed / 1000)).toFixed(0)} requests/s`);
    // A long poll is held open on purpose until its status changes or ~25 s pass: its answer time is
    // not a latency (how fast waiters hear of a change is "told SOLD_OUT" below), so it is left out.
    const timed = Object.values(classes).filter((c) => !(LONG_POLL && c === classes.poll));
    const p99s = timed.flatMap((c) => [[c.name, c.samples.percentile(99)] as const, [c.refused.name, c.refused.percentile(99)] as const]);
    const worst = p99s.filter(([, v]) => Number.isFinite(v)).sort((a, b) => b[1] - a[1])[0];
    console.log(`worst p99: ${worst ? `${worst[0]} ${f1(worst[1])} ms` : '-'} (target: every class under 1000 ms${LONG_POLL ? '; long polls left out, they wait on purpose' : ''})`);
    console.log(`outcomes: ${outcomes}`);
    if (otherErrors.total) console.log(`errors: ${otherErrors}`);
    console.log(`kernel: ${listenOverflows() - overflowsBefore} connections dropped on a full listen queue during the sale (TcpExt ListenOverflows, whole machine)`);
    // The waiting room exists to absorb the rush: a join with no answer, or a refused one, is a failed run.
    const joins = classes.join;
    if (joins.noAnswer.total) broken(`${joins.noAnswer.total} of ${loop.launched} joins got no HTTP answer (${joins.noAnswer})`);
    const joinRefused = [...joins.statuses.counts].filter(([k]) => k >= 500).reduce((t, [, v]) => t + v, 0);
    if (joinRefused) broken(`${joinRefused} joins answered 5xx (${joins.statusLine()})`);
    if (expiredReasons.total) console.log(`EXPIRED reasons seen: ${expiredReasons}`);

    const purchases = purchasedAt.length;
    const lastPurchase = purchasedAt.length ? Math.max(...purchasedAt) : undefined;
    const saleWindow = sellOutAt ?? lastPurchase ?? elapsed;
    const purchaseRate = purchases / (saleWindow / 1000);
    console.log(`\nsell-out: ${sellOutAt !== undefined ? `every seat SOLD ${secs(sellOutAt)} after the first arrival` : `NOT sold out (last purchase at ${secs(lastPurchase)})`}`);
    console.log(`purchases: ${purchases} (${seatsBought} seats), ${purchaseRate.toFixed(1)} purchases/s over ${secs(saleWindow)}; seats/s ${(seatsBought / (saleWindow / 1000)).toFixed(1)}`);
    const soldBy = (share: number) => seatSamples.find((x) => x.sold >= Math.ceil(SEATS * share))?.t;
    console.log(`seats sold by: 50 % ${secs(soldBy(0.5))}, 90 % ${secs(soldBy(0.9))}, 100 % ${secs(soldBy(1))} (abandoned holds come back after the ${HOLD_TTL} s TTL)`);
    const at90 = soldBy(0.9);
    if (at90 !== undefined) {
      const until90 = purchasedAt.filter((x) => x <= at90).length;
      console.log(`purchases/s until 90 % sold: ${(until90 / (at90 / 1000)).toFixed(1)} (${((until90 / (at90 / 1000) / bare.rate) * 100).toFixed(0)} % of bare)`);
    }
    console.log(
      `purchases/s / bare purchase rate = ${purchaseRate.toFixed(1)} / ${bare.rate.toFixed(1)} = ${((purchaseRate / bare.rate) * 100).toFixed(0)} %  (target >= 70 %)`,
    );

    // Buyers left WAITING after the sell-out.
    if (sellOutAt !== undefined) {
      const atSellOut = [...waitSamples].reverse().find((s) => s.t <= sellOutAt!)?.waiting;
      const emptyAfter = waitSamples.find((s) => s.t >= sellOutAt! && s.waiting === 0);
      console.log(
        `server: ${atSellOut ?? '-'} in the wait/pre-queue sets at the sell-out; empty ${emptyAfter ? secs(Math.max(0, emptyAfter.t - sellOutAt)) : 'never (within the run)'} after it (sampled every ${SAMPLE_MS} ms)`,
      );
      const lateWaiting = lastWaitingAnswerAt - sellOutAt;
      console.log(`client: last WAITING answer ${lateWaiting > 0 ? `${secs(lateWaiting)} after` : `${secs(-lateWaiting)} before`} the sell-out (target: none later than 2 s)`);
      const toldLine = (label: string, at: number[], why: string) => {
        const told = at.map((x) => x - sellOutAt!).sort((a, b) => a - b);
        const late = told.filter((x) => x > 2000).length;
        return `told SOLD_OUT ${label}: ${told.length} buyers${told.length ? `; after the sell-out p50 ${secs(percentileOf(told, 50))}, p99 ${secs(percentileOf(told, 99))}, max ${secs(told[told.length - 1])}; ${late} learned it more than 2 s after${late ? ` (${why})` : ''}` : ''}`;
      };
      console.log(toldLine('by SSE', toldSoldOutBySse, 'the stream was slow to notice'));
      console.log(toldLine('by poll', toldSoldOutAt, 'they were sleeping out pollAfterMs'));
      console.log(`SSE streams (${Math.round(SSE_SHARE * 100)} % of buyers wait on one): ended ${streams}`);
    } else {
      console.log(`told SOLD_OUT: ${toldSoldOutAt.length} by poll, ${toldSoldOutBySse.length} by SSE; last WAITING answer at ${secs(lastWaitingAnswerAt)}`);
    }
    if (pollAfter.count)
      console.log(
        `pollAfterMs in WAITING answers: p50 ${f1(pollAfter.percentile(50))} p95 ${f1(pollAfter.percentile(95))} max ${f1(pollAfter.percentile(100))} ms${pollAfterMissing ? ` (${pollAfterMissing} answers without it: 1000 ms used)` : ''}`,
      );
    const lastAdmin = adminSamples[adminSamples.length - 1];
    // The same request classes as the API processes measured them (their own histogram, from the
    // request's arrival in the handler chain to the answer): the gap to the client's numbers is time
    // spent in the kernel's queues and in event-loop waits before the first middleware.
    const serverSide = await serverLatencies(clients, run.base.METRICS_TOKEN);
    if (serverSide.length) console.log(`server-side p99 (bucket upper bound, all API processes): ${serverSide.join(', ')}`);
    if (lastAdmin) console.log(`server admission at the end: mode ${lastAdmin.mode ?? '-'}, ${lastAdmin.admitRatePerSec ?? '-'}/s, cap ${lastAdmin.maxActive ?? '-'}; last reason: ${lastAdmin.reason ?? '-'}`);

    // CPU.
    console.log(`\nCPU over the sale (${secs(saleCpu.wallMs)}): cores busy ${saleCpu.utilisation(procs)}`);
    if (purchases) console.log(`CPU ms per purchase (every request of the sale included): ${saleCpu.perOp(purchases, procs)}`);
    console.log(`CPU ms per request: ${saleCpu.perOp(total, procs)}`);
    if (calibrationCpu?.hold) console.log(`CPU ms per hold (calibration, 5 in flight): ${calibrationCpu.hold.perOp(calibrationCpu.holds, procs)}`);
    if (calibrationCpu?.pay) console.log(`CPU ms per pay  (calibration, 5 in flight): ${calibrationCpu.pay.perOp(calibrationCpu.pays, procs)}`);
    console.log(`CPU ms per empty UWS @5: ${uws5.cpuPerCall(temporalTier)}; per bare purchase @5: ${bare.cpuPerCall(temporalTier)}`);

    // Correctness.
    const { sold, doubles } = await soldAndDoubles(db, sale.scheduleId);
    console.log(`\nseats sold: ${sold} of ${SEATS}; double sales: ${doubles}`);
    if (doubles > 0) broken(`${doubles} double sales in the ${mode} sale`);
    // Payment's tables are in payment's database: its own pool.
    const [walletRows] = await database.payment.pool.query(`
      SELECT w.user_id, w.balance, COALESCE(c.charged, 0) charged, COALESCE(p.paid, 0) paid, COALESCE(r.refunded, 0) refunded
      FROM wallets w
      LEFT JOIN (SELECT user_id, SUM(amount) charged FROM wallet_ledger WHERE kind = 'CHARGE' GROUP BY user_id) c ON c.user_id = w.user_id
      LEFT JOIN (SELECT user_id, SUM(amount) paid FROM payments GROUP BY user_id) p ON p.user_id = w.user_id
      LEFT JOIN (SELECT pm.user_id, SUM(f.amount) refunded FROM refunds f JOIN payments pm ON pm.id = f.payment_id GROUP BY pm.user_id) r ON r.user_id = w.user_id
      WHERE w.balance <> COALESCE(c.charged, 0) - COALESCE(p.paid, 0) + COALESCE(r.refunded, 0)`);
    const badWallets = walletRows as unknown[];
    const [[walletCount]] = (await database.payment.pool.query(`SELECT COUNT(*) n FROM wallets`)) as unknown as [[{ n: number }]];
    if (badWallets.length > 0) broken(`${badWallets.length} wallet(s) differ from charges - payments + refunds`);
    console.log(`wallets equal to charges - payments + refunds: ${Number(walletCount.n) - badWallets.length} of ${walletCount.n}${badWallets.length ? ` — mismatches: ${JSON.stringify(badWallets.slice(0, 5))}` : ''}`);
    const problems = await checkInvariants(database.pool);
    reportInvariants(problems);

    // Picture.
    const chartPath = `${root}.stack/bench/flash-${runId}-${mode}.svg`;
    const seconds = Math.ceil((saleEndedAt ?? elapsed) / 1000) + 1;
    const perSecond = (times: number[]) => {
      const c = new Array<number>(seconds).fill(0);
      for (const x of times) if (x / 1000 < seconds) c[Math.floor(x / 1000)]!++;
      return c.map((v, s): [number, number] => [s + 0.5, v]);
    };
    const pointsOf = <T extends { t: number }>(xs: T[], get: (x: T) => number | undefined): Array<[number, number]> => {
      const out: Array<[number, number]> = [];
      for (const x of xs) {
        const v = get(x);
        out.push([x.t / 1000, v === undefined ? NaN : v]);
      }
      return out;
    };
    const admitSeries: Series[] = [{ name: 'admitted/s (clients saw ACTIVE)', points: perSecond(admittedAt) }];
    if (adminSamples.some((a) => a.admitRatePerSec !== undefined)) admitSeries.push({ name: 'server admitRatePerSec', points: pointsOf(adminSamples, (a) => a.admitRatePerSec), dashed: true });
    const panels = [
      { title: 'Admission', unit: 'per second', series: admitSeries },
      {
        title: 'Latency p99 per second (by send time)',
        unit: 'ms',
        series: [
          { name: 'hold p99', points: classes.hold.p99BySecond() },
          { name: 'pay p99', points: classes.pay.p99BySecond() },
          { name: 'server mean (controller window)', points: pointsOf(adminSamples, (a) => a.meanMs), dashed: true },
          { name: 'server unloaded (controller)', points: pointsOf(adminSamples, (a) => a.unloadedMs), dashed: true },
        ],
      },
      {
        title: 'Controller: holds and payments under way',
        unit: 'requests',
        series: [
          { name: 'in flight (Little: summed answer time / window)', points: pointsOf(adminSamples, (a) => a.inFlight) },
          { name: 'limit aimed at', points: pointsOf(adminSamples, (a) => a.limit), dashed: true },
        ],
      },
      {
        title: 'CPU (cores busy, every second)',
        unit: 'cores',
        series: ['machine', 'api', 'worker', 'temporal', 'bench'].map((name) => ({ name, points: pointsOf(adminSamples, (a) => a.cores[name]), dashed: name === 'machine' })),
      },
      {
        title: 'Seats (MySQL, every 250 ms)',
        unit: 'seats',
        series: [
          { name: 'seats left (not SOLD)', points: seatSamples.map((s): [number, number] => [s.t / 1000, SEATS - s.sold]) },
          { name: 'held', points: seatSamples.map((s): [number, number] => [s.t / 1000, s.held]) },
        ],
      },
      { title: 'Purchases', unit: 'per second', series: [{ name: 'purchases/s', points: perSecond(purchasedAt) }] },
      {
        title: 'Waiting room',
        unit: 'buyers',
        series: [
          { name: 'waiting (Redis wait + pre)', points: waitSamples.map((s): [number, number] => [s.t / 1000, s.waiting]) },
          ...(adminSamples.some((a) => a.maxActive !== undefined) ? [{ name: 'server maxActive', points: pointsOf(adminSamples, (a) => a.maxActive), dashed: true }] : []),
          ...(adminSamples.some((a) => a.active !== undefined) ? [{ name: 'active (server)', points: pointsOf(adminSamples, (a) => a.active) }] : []),
        ],
      },
    ];
    writeChart(chartPath, {
      title: `Flash sale ${runId} (${mode}): ${BUYERS} buyers over ${SECONDS} s, ${SEATS} seats`,
      subtitle: `sell-out ${sellOutAt !== undefined ? secs(sellOutAt) : 'not reached'}; ${purchaseRate.toFixed(1)} purchases/s vs bare ${bare.rate.toFixed(1)}/s; hold p99 ${f1(classes.hold.samples.percentile(99))} ms`,
      panels,
      markers: sellOutAt !== undefined ? [{ x: sellOutAt / 1000, label: 'sold out', color: '#d62728' }] : [],
    });
    console.log(`\nchart: ${chartPath}`);
    const allocator = allocatorPercentiles(allocatorBefore, await allocatorBuckets(clients, run.base.METRICS_TOKEN, mode));
    const stranded = await strandedRows(db, sale.scheduleId);
    return {
      mode,
      purchases,
      failedHolds: holdRefusals.get('SEAT_UNAVAILABLE'),
      refusals: String(holdRefusals),
      turnedAwayWhileFree,
      sellOutMs: sellOutAt,
      multiSeatOrders,
      multiSeatTogether,
      rows: stranded.rows,
      strandedRows: stranded.stranded,
      strandedAt90: strandedAt90 ?? stranded,
      allocatorP50Ms: allocator.p50,
      allocatorP99Ms: allocator.p99,
      holdP99Ms: classes.hold.samples.percentile(99),
      doubles,
    } satisfies SaleSummary;
    };
    const summaries: SaleSummary[] = [];
    for (const x of sales) summaries.push(await runSale(x.mode, x.sale, x.buyers));
    printSideBySide(summaries);
  } finally {
    await teardown(run, { keep: args.keep!, children, database, close: [() => temporal?.close(), ...clients.map((c) => () => c.close()), () => pool?.end(), () => redis?.quit()] });
  }
}

/**
 * CPU per hold and per pay, measured apart: calibration buyers of their own schedule (admission
 * pinned open through the admin API) join and turn ACTIVE, then hold one seat each at 5 in flight,
 * then pay at 5 in flight, each phase under the CPU sampler.
 */
async function calibrate(
  http: HttpClient,
  admin: BenchUser,
  schedule: { scheduleId: number; seatIds: number[] },
  users: BenchUser[],
  cpu: CpuSampler,
  procs: string[],
): Promise<{ hold?: CpuDelta; pay?: CpuDelta; holds: number; pays: number }> {
  const path = `/api/v1/admin/schedules/${schedule.scheduleId}/queue`;
  const open = { maxActive: 100_000, admitRatePerSec: 100_000 };
  let put = await http.request('PUT', path, { token: admin.token, body: { mode: 'manual', ...open } });
  if (put.status === 400) put = await http.request('PUT', path, { token: admin.token, body: open });
  if (put.status !== 200) {
    console.log(`calibration skipped: PUT ${path} answered ${put.status}`);
    return { holds: 0, pays: 0 };
  }
  const tokens: string[] = [];
  await runPool(users.length, 20, async (i) => {
    const u = users[i]!;
    let r = await http.request('POST', '/api/v1/queue/tokens', { token: u.token, body: { scheduleId: schedule.scheduleId } });
    for (let k = 0; k < 100 && r.status === 200 && r.body.status === 'WAITING'; k++) {
      await sleep(100);
      r = await http.request('GET', '/api/v1/queue/tokens/current', { token: u.token, headers: { 'x-queue-token': r.body.token } });
    }
    if (r.status === 200 && r.body.status === 'ACTIVE') tokens[i] = r.body.token;
  });
  const ready = users.map((u, i) => ({ u, token: tokens[i], seat: schedule.seatIds[i]! })).filter((x) => x.token);
  const holdS = new Samples('calibration hold @5');
  const payS = new Samples('calibration pay @5');
  const held: Array<{ u: BenchUser; token: string; id: string }> = [];
  const statuses = new Tally<string>();
  const holdMark = cpu.mark();
  const holdMs = await runPool(ready.length, 5, async (i) => {
    const x = ready[i]!;
    const r = await http.request('POST', '/api/v1/reservations', {
      token: x.u.token,
      headers: { 'x-queue-token': x.token!, 'idempotency-key': randomUUID() },
      body: { scheduleId: schedule.scheduleId, seatIds: [x.seat] },
    });
    holdS.add(r.ms);
    statuses.add(`hold ${r.status}`);
    if (r.status === 201) held.push({ u: x.u, token: x.token!, id: r.body.id });
  });
  const hold = holdMark();
  const payMark = cpu.mark();
  const payMs = await runPool(held.length, 5, async (i) => {
    const x = held[i]!;
    const r = await http.request('POST', `/api/v1/reservations/${x.id}/payment`, { token: x.u.token, headers: { 'x-queue-token': x.token, 'idempotency-key': randomUUID() } });
    payS.add(r.ms);
    statuses.add(`pay ${r.status}`);
  });
  const pay = payMark();
  console.log(`\n== calibration: ${ready.length} of ${users.length} buyers ACTIVE on schedule ${schedule.scheduleId} (admission pinned open), then hold, then pay`);
  console.log(holdS.line(holdMs));
  console.log(payS.line(payMs));
  console.log(`statuses: ${statuses}`);
  console.log(`CPU ms per hold @5: ${hold.perOp(holdS.count, procs)}`);
  console.log(`CPU ms per pay  @5: ${pay.perOp(payS.count, procs)}`);
  return { hold, pay, holds: holdS.count, pays: payS.count };
}

exitWithVerdict(main());

/**
 * Each open buyer holds a socket in this process and in the API (a long poll or a stream for as long
 * as they wait): more waiters than the open-file limit end as EMFILE on one side or the other.
 */
function reportFileLimit(buyers: number) {
  const limit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1]);
  const note = buyers + 200 > limit ? `: ${buyers} buyers may hold more sockets than that at once (expect EMFILE, in the generator or the API); raise ulimit -n or spread the buyers over --apis` : '';
  console.log(`open-file limit (ulimit -n) ${Number.isFinite(limit) ? limit : 'unknown'} per process${note}`);
}

/** p99 per request class from the API processes' own http_request_duration_seconds histograms. */
async function serverLatencies(clients: HttpClient[], metricsToken: string): Promise<string[]> {
  const routes: Record<string, string> = {
    join: 'POST /api/v1/queue/tokens',
    poll: 'GET /api/v1/queue/tokens/current',
    'seat map': 'GET /api/v1/schedules/:scheduleId/seats',
    hold: 'POST /api/v1/reservations',
    pay: 'POST /api/v1/reservations/:reservationId/payment',
  };
  const buckets = new Map<string, Map<number, number>>();
  for (const c of clients) {
    const r = await c.request('GET', '/metrics', { token: metricsToken });
    if (r.status !== 200 || typeof r.body !== 'string') continue;
    for (const m of r.body.matchAll(/^http_request_duration_seconds_bucket\{([^}]*)\} (\d+)/gm)) {
      const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      const key = `${labels.method} ${labels.route}`;
      const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
      const per = buckets.get(key) ?? new Map<number, number>();
      per.set(le, (per.get(le) ?? 0) + Number(m[2]));
      buckets.set(key, per);
    }
  }
  const out: string[] = [];
  for (const [i, c] of clients.entries()) {
    const r = await c.request('GET', '/metrics', { token: metricsToken });
    if (r.status !== 200 || typeof r.body !== 'string') continue;
    const value = (name: string) => [...r.body.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? ([\\d.e+-]+)`, 'gm'))].reduce((a, m) => a + Number(m[2]), 0);
    out.push(`api${i ? i + 1 : ''} GC ${value('nodejs_gc_duration_seconds_sum').toFixed(1)} s in ${value('nodejs_gc_duration_seconds_count')} pauses, event-loop lag max ${(value('nodejs_eventloop_lag_max_seconds') * 1000).toFixed(0)} ms`);
  }
  for (const [name, key] of Object.entries(routes)) {
    const per = buckets.get(key);
    if (!per) continue;
    const sorted = [...per].sort((a, b) => a[0] - b[0]);
    const total = sorted.at(-1)![1];
    const le = sorted.find(([, count]) => count >= 0.99 * total)?.[0];
    if (total > 0 && le !== undefined) out.push(`${name} <= ${Number.isFinite(le) ? `${le * 1000} ms` : 'over 10 s'}`);
  }
  return out;
}

/** The seat-claiming script's in-Redis time histogram (seat_allocator_redis_seconds) for one mode, summed over the API processes. */
async function allocatorBuckets(clients: HttpClient[], metricsToken: string, mode: SaleMode): Promise<Map<number, number>> {
  const per = new Map<number, number>();
  for (const c of clients) {
    const r = await c.request('GET', '/metrics', { token: metricsToken });
    if (r.status !== 200 || typeof r.body !== 'string') continue;
    for (const m of r.body.matchAll(/^seat_allocator_redis_seconds_bucket\{([^}]*)\} (\d+)/gm)) {
      const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (labels.mode !== mode) continue;
      const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
      per.set(le, (per.get(le) ?? 0) + Number(m[2]));
    }
  }
  return per;
}

/** p50/p99 in ms of the calls between two snapshots, interpolated linearly inside a bucket. */
function allocatorPercentiles(before: Map<number, number>, after: Map<number, number>): { p50: number; p99: number } {
  const sorted = [...after].map(([le, n]): [number, number] => [le, n - (before.get(le) ?? 0)]).sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  const at = (q: number) => {
    if (total === 0) return NaN;
    let prevLe = 0;
    let prevN = 0;
    for (const [le, n] of sorted) {
      if (n >= q * total) {
        if (!Number.isFinite(le)) return prevLe * 1000;
        return (prevLe + ((q * total - prevN) / Math.max(1, n - prevN)) * (le - prevLe)) * 1000;
      }
      prevLe = le;
      prevN = n;
    }
    return NaN;
  };
  return { p50: at(0.5), p99: at(0.99) };
}

/** Rows of a schedule, and those left with exactly one free seat between taken seats or a row end. */
async function strandedRows(db: mysql.Pool, scheduleId: number): Promise<{ rows: number; stranded: number }> {
  const [rows] = (await db.query(`SELECT section, row_label r, ss.status FROM seats s JOIN seat_status ss ON ss.seat_id = s.id WHERE s.schedule_id = ? ORDER BY section, row_label, seat_number`, [scheduleId])) as unknown as [
    Array<{ section: string; r: string; status: string }>,
  ];
  const maps = new Map<string, string>();
  for (const s of rows) maps.set(`${s.section}/${s.r}`, (maps.get(`${s.section}/${s.r}`) ?? '') + (s.status === 'AVAILABLE' ? '1' : '0'));
  const stranded = [...maps.values()].filter((m) => m.includes('0') && /(^|0)1(0|$)/.test(m)).length;
  return { rows: maps.size, stranded };
}

function printSideBySide(summaries: SaleSummary[]) {
  const f = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '-');
  const lines: Array<[string, (s: SaleSummary) => string, string]> = [
    ['failed hold attempts (409 SEAT_UNAVAILABLE) per purchase', (s) => f(s.failedHolds / Math.max(1, s.purchases), 3), '< 0.05'],
    ['buyers turned away while seats were free', (s) => String(s.turnedAwayWhileFree), '0'],
    ['time to sell out', (s) => (s.sellOutMs === undefined ? 'not sold out' : `${f(s.sellOutMs / 1000)} s`), ''],
    ['multi-seat orders seated together', (s) => `${s.multiSeatTogether}/${s.multiSeatOrders} (${f((100 * s.multiSeatTogether) / Math.max(1, s.multiSeatOrders), 1)} %)`, '>= 95 %'],
    ['rows with a single stranded seat at 90 % taken', (s) => `${s.strandedAt90.stranded}/${s.strandedAt90.rows} (${f((100 * s.strandedAt90.stranded) / Math.max(1, s.strandedAt90.rows), 1)} %)`, '<= 2 %'],
    ['rows left with a single stranded seat at the end', (s) => `${s.strandedRows}/${s.rows} (${f((100 * s.strandedRows) / Math.max(1, s.rows), 1)} %)`, '<= 2 %'],
    ['allocator in Redis p50 / p99', (s) => `${f(s.allocatorP50Ms, 3)} / ${f(s.allocatorP99Ms, 3)} ms`, 'p99 < 5 ms'],
    ['hold p99 (client)', (s) => `${f(s.holdP99Ms, 1)} ms`, ''],
    ['hold refusals by code', (s) => s.refusals, ''],
    ['purchases', (s) => String(s.purchases), ''],
    ['double sales', (s) => String(s.doubles), '0'],
  ];
  const names = summaries.map((s) => (s.mode === 'pick' ? 'pick your seats' : 'best available'));
  const w0 = Math.max(...lines.map(([l]) => l.length));
  const cols = summaries.map((s, i) => Math.max(names[i]!.length, ...lines.map(([, get]) => get(s).length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w0) : c.padEnd(i <= summaries.length ? cols[i - 1]! : 0))).join('  |  ');
  console.log('\n== side by side (same run, same stack)');
  console.log(row(['', ...names, 'target']));
  for (const [label, get, target] of lines) console.log(row([label, ...summaries.map(get), target]));
}
