/**
 * What the booking benchmarks share: a throwaway database, Redis prefix and task queue per run; the
 * real API and worker spawned as child processes on them; accounts, wallets and access tokens
 * written in bulk (not timed); a schedule with exactly N seats; a keep-alive HTTP client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { inArray } from 'drizzle-orm';
import mysql from 'mysql2/promise';
import { CatalogRepository } from '../../src/catalog/repository.js';
import { SeatStatusRepository } from '../../src/booking/seat-status-repository.js';
import { loadConfig, type Config } from '../../src/config.js';
import { eventCatalog } from '../../src/events/catalog.js';
import { hashPassword } from '../../src/identity/passwords.js';
import { PersonalDataCipher } from '../../src/identity/personal-data.js';
import { AccessTokens, type Role } from '../../src/identity/tokens.js';
import { createDatabase, type Database } from '../../src/platform/db/client.js';
import { createRedis, redisEndpointOf, scanKeys } from '../../src/platform/redis.js';
import { migrateAllDatabases } from '../../src/main/migrations.js';
import { registerDomainPools } from '../../test/support/invariants.js';
import { domainEvents } from '../../src/events/outbox-schema.js';
import { users } from '../../src/identity/schema.js';
import { walletLedger, wallets } from '../../src/payment/schema.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
/**
 * Where the load generator reaches the API: loopback, or the API tier's address when the tiers run
 * in network namespaces (scripts/netem.sh sets BENCH_API_HOST, and BENCH_NETNS_API /
 * BENCH_NETNS_WORKER / BENCH_NETNS_RELAY to the namespaces the children start in).
 */
export const apiHost = process.env.BENCH_API_HOST ?? '127.0.0.1';

/** The namespace a child of this kind ('api', 'worker', 'relay') starts in, if any. */
function netnsOf(kind: string): string | undefined {
  return process.env[`BENCH_NETNS_${kind.toUpperCase().replace(/[^A-Z]/g, '_')}`] || undefined;
}

/** The native stack's run folder (pid files) of the profile in use. */
export const stackRunDir = `${process.env.STACK_DIR ?? `${root}.stack`}/${process.env.STACK_PROFILE ?? 'dev'}/run`;

export interface BenchRun {
  runId: string;
  base: Config;
  /** The child processes' environment. */
  env: Record<string, string>;
  /** The API's base URL. */
  api: string;
  mysqlUrl: string;
  /** Payment's database of the run (`<run>_payment`, the same MySQL account). */
  paymentMysqlUrl: string;
  /** The waiting list's database of the run (`<run>_waitlist`, the same MySQL account). */
  waitlistMysqlUrl: string;
  /** Identity's database of the run (`<run>_identity`, the same MySQL account): the accounts. */
  identityMysqlUrl: string;
  /** The read models' databases of the run (`<run>_events`: the sales read model; `<run>_recommendations`), the same MySQL account. */
  eventsMysqlUrl: string;
  recommendationsMysqlUrl: string;
}

/**
 * Bundles the workflow code once for the run and points the children at it (WORKFLOW_BUNDLE_PATH),
 * as production loads the build's bundle: no worker spends seconds in webpack at start.
 */
export async function prepareWorkflowBundle(run: BenchRun): Promise<void> {
  const { bundleWorkflows } = await import('../../src/main/worker-app.js');
  const dir = `${root}/.stack/bench`;
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/workflow-bundle-${run.runId}.js`;
  writeFileSync(path, (await bundleWorkflows()).code);
  run.env.WORKFLOW_BUNDLE_PATH = path;
}

/**
 * Starts `workers` workers and `apis` API processes (ports `port`, `port + 10`, ...; each worker's
 * SDK metrics on its own port) and waits until every API is ready. Returns the API base URLs.
 */
export async function startProcesses(run: BenchRun, children: Children, o: { apis: number; workers: number; port: number }): Promise<string[]> {
  await prepareWorkflowBundle(run);
  for (let k = 0; k < o.workers; k++) children.start(k === 0 ? 'worker' : `worker${k + 1}`, { WORKER_SDK_METRICS_PORT: String(o.port + 1 + 10 * k) });
  const urls: string[] = [];
  for (let k = 0; k < o.apis; k++) {
    const port = o.port + 10 * k;
    children.start(k === 0 ? 'api' : `api${k + 1}`, { API_PORT: String(port) });
    urls.push(`http://${apiHost}:${port}`);
  }
  for (const url of urls) await waitReady(url);
  return urls;
}

/** A run id, a database / Redis prefix / task queue named after it, and the children's environment. */
export function newRun(opts: { prefix: string; port: number; env: Record<string, string> }): BenchRun {
  const base = loadConfig();
  const runId = `${opts.prefix}${randomBytes(3).toString('hex')}`;
  const url = new URL(base.MYSQL_URL);
  url.pathname = `/${runId}`;
  // Each domain's database on the same server (the run's root account), named <run>_<domain>.
  const domainUrl = (domain: string) => Object.assign(new URL(url), { pathname: `/${runId}_${domain}` }).toString();
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    MYSQL_URL: url.toString(),
    MYSQL_URL_PAYMENT: domainUrl('payment'),
    MYSQL_URL_WAITLIST: domainUrl('waitlist'),
    MYSQL_URL_IDENTITY: domainUrl('identity'),
    MYSQL_URL_EVENTS: domainUrl('events'),
    MYSQL_URL_RECOMMENDATIONS: domainUrl('recommendations'),
    MYSQL_POOL_SIZE: '60',
    REDIS_PREFIX: `${runId}:`,
    TEMPORAL_TASK_QUEUE: `booking-${runId}`,
    API_PORT: String(opts.port),
    WORKER_METRICS_PORT: '0',
    WORKER_SDK_METRICS_PORT: String(opts.port + 1),
    SWEEPER_ENABLED: 'false',
    NOTIFICATIONS_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    ...opts.env,
  };
  return { runId, base, env, api: `http://${apiHost}:${opts.port}`, mysqlUrl: url.toString(), paymentMysqlUrl: env.MYSQL_URL_PAYMENT!, waitlistMysqlUrl: env.MYSQL_URL_WAITLIST!, identityMysqlUrl: env.MYSQL_URL_IDENTITY!, eventsMysqlUrl: env.MYSQL_URL_EVENTS!, recommendationsMysqlUrl: env.MYSQL_URL_RECOMMENDATIONS! };
}

/**
 * A benchmark or chaos run stopped from outside (Ctrl-C, `kill`) must not leave its API, worker and
 * relay children running: Node runs 'exit' handlers on process.exit but not when a signal's default
 * action ends the process, and orphans keep the run's ports (the next run dies with EADDRINUSE).
 */
let stopSignalsHandled = false;
function exitOnStopSignals(): void {
  if (stopSignalsHandled) return;
  stopSignalsHandled = true;
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

/** The API and worker as child processes (`node --import tsx src/main/<name>.ts`). */
/** Another user for a child (root only): chaos's Redis partition drops that user's packets by owner. */
export interface RunAs {
  uid: number;
  gid: number;
}

export class Children {
  private readonly list: Array<{ name: string; child: ChildProcess }> = [];
  constructor(private readonly env: Record<string, string>) {
    process.on('exit', () => this.stopAll());
    exitOnStopSignals();
  }

  /** `name` is 'api' or 'worker', or 'api2', 'api3', ... for more API processes (`env` sets their port). */
  start(name: string, env: Record<string, string> = {}, as?: RunAs): ChildProcess {
    // 'api2', 'worker3': further processes of the same kind.
    const main = name.replace(/\d+$/, '');
    return this.startScript(name, `src/main/${main}.ts`, env, as);
  }

  /** Any TypeScript entry point of the repo (path relative to the root) as a named child. */
  startScript(name: string, script: string, env: Record<string, string> = {}, as?: RunAs): ChildProcess {
    // BENCH_CPU_PROFILE=<dir> writes V8 CPU profiles of the children there (open in Chrome DevTools).
    const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
    const argv = [...profile, '--import', 'tsx', script];
    // `ip netns exec` execs the command in place: the pid stays the process's, for the CPU sampler.
    const netns = netnsOf(script.replace(/^.*\/|\.ts$/g, ''));
    const [command, ...commandArgs] = netns ? ['ip', 'netns', 'exec', netns, process.execPath, ...argv] : [process.execPath, ...argv];
    const child = spawn(command!, commandArgs, { cwd: root, env: { ...this.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'], ...as });
    child.on('exit', (code, signal) => {
      if (code && code !== 0) console.error(`${name} exited with ${code}`);
      else if (signal && signal !== 'SIGTERM') console.error(`${name} killed by ${signal}`);
    });
    this.list.push({ name, child });
    return child;
  }

  pid(name: string): number | undefined {
    return this.list.find((c) => c.name === name)?.child.pid;
  }

  /** Every child's pid by name (for the CPU sampler). */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.list.map(({ name, child }) => [name, child.pid]));
  }

  stopAll() {
    for (const { child } of this.list) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }

  /** SIGTERM, then wait up to `ms` for every child to exit (SIGKILL after that). */
  async stop(ms = 15_000) {
    this.stopAll();
    const deadline = Date.now() + ms;
    for (const { child } of this.list) {
      while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) await sleep(100);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitReady(api: string, seconds = 90) {
  for (let i = 0; i < seconds * 2; i++) {
    try {
      if ((await fetch(`${api}/readyz`)).ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(500);
  }
  throw new Error('API did not become ready');
}

/** Creates the run's databases (booking's, payment's, the waiting list's, identity's, the read models' events and recommendations; migrations) and a drizzle handle on the ones the benchmarks write. */
export async function openDatabase(run: BenchRun, poolSize = 20): Promise<Database & { payment: Database; identity: Database }> {
  await migrateAllDatabases({ ...run.base, MYSQL_URL: run.mysqlUrl, MYSQL_URL_PAYMENT: run.paymentMysqlUrl, MYSQL_URL_WAITLIST: run.waitlistMysqlUrl, MYSQL_URL_IDENTITY: run.identityMysqlUrl, MYSQL_URL_EVENTS: run.eventsMysqlUrl, MYSQL_URL_RECOMMENDATIONS: run.recommendationsMysqlUrl, MYSQL_ADMIN_URL: run.base.MYSQL_URL });
  const database = createDatabase(run.mysqlUrl, poolSize);
  const payment = createDatabase(run.paymentMysqlUrl, Math.max(2, Math.floor(poolSize / 2)));
  const waitlist = createDatabase(run.waitlistMysqlUrl, 2);
  const identity = createDatabase(run.identityMysqlUrl, Math.max(2, Math.floor(poolSize / 2)));
  // checkInvariants reads payment's, the waiting list's and identity's databases through these pools.
  registerDomainPools(database.pool, { payment: payment.pool, waitlist: waitlist.pool, identity: identity.pool });
  return { ...database, payment, identity, close: async () => void (await Promise.all([database.close(), payment.close(), waitlist.close(), identity.close()])) };
}

export async function dropDatabase(run: BenchRun) {
  const admin = await mysql.createConnection({ uri: run.base.MYSQL_URL });
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${run.runId}\``);
    await admin.query(`DROP DATABASE IF EXISTS \`${run.runId}_payment\``);
    await admin.query(`DROP DATABASE IF EXISTS \`${run.runId}_waitlist\``);
    await admin.query(`DROP DATABASE IF EXISTS \`${run.runId}_identity\``);
    await admin.query(`DROP DATABASE IF EXISTS \`${run.runId}_events\``);
    await admin.query(`DROP DATABASE IF EXISTS \`${run.runId}_recommendations\``);
  } finally {
    await admin.end();
  }
}

/** Deletes the run's Redis keys (everything under its prefix). */
export async function cleanRedis(run: BenchRun) {
  // No prefix: SCAN returns whole keys, and UNLINK gets them as they are (one per slot on a Cluster).
  const redis = createRedis(redisEndpointOf(run.base), '');
  try {
    await Promise.all((await scanKeys(redis, `${run.runId}:*`)).map((k) => redis.unlink(k)));
  } finally {
    redis.disconnect();
  }
}

export interface BenchUser {
  id: number;
  token: string;
}

/**
 * `count` users with wallets topped up to `balance`, written in bulk (one precomputed password hash,
 * multi-row INSERTs) exactly as sign-up plus one wallet charge would leave them: the user row, its
 * wallet, a CHARGE ledger row whose balance_after is the wallet's balance, and the UserRegistered
 * and WalletCharged events (sequence 1 of their fresh aggregates), each chunk in one transaction.
 * Access tokens are minted with the token service (no login).
 */
export async function makeUsers(database: Database & { payment: Database; identity: Database }, run: BenchRun, count: number, balance: number, role: Role = 'USER'): Promise<BenchUser[]> {
  const cipher = new PersonalDataCipher(run.base.DATA_ENCRYPTION_KEY);
  const tokens = new AccessTokens(run.base.JWT_SECRET, 4 * 3600);
  const hash = await hashPassword('bench-password-1');
  const tag = randomBytes(3).toString('hex');
  const reference = 'charge:bench';
  const registered = eventCatalog.UserRegistered;
  const charged = eventCatalog.WalletCharged;
  const out: BenchUser[] = [];
  for (let start = 0; start < count; start += 1000) {
    const n = Math.min(1000, count - start);
    const rows = Array.from({ length: n }, (_, k) => {
      const email = `${run.runId}-${tag}-${role.toLowerCase()}-${start + k}@bench.example`;
      return { emailCipher: cipher.encrypt(email), emailIndex: cipher.emailIndex(email), name: 'Bench', passwordHash: hash, role };
    });
    // Identity's side in identity's own database: the accounts and their UserRegistered events.
    const created = await database.identity.db.transaction(async (tx) => {
      await tx.insert(users).values(rows);
      const found = await tx
        .select({ id: users.id, emailIndex: users.emailIndex })
        .from(users)
        .where(
          inArray(
            users.emailIndex,
            rows.map((r) => r.emailIndex),
          ),
        );
      const byIndex = new Map(found.map((f) => [f.emailIndex, f.id]));
      const ids = rows.map((r) => byIndex.get(r.emailIndex)!);
      const now = new Date();
      await tx.insert(domainEvents).values(
        ids.map((userId) => ({
            id: randomUUID(),
            type: 'UserRegistered',
            schemaVersion: registered.schemaVersion,
            aggregateType: registered.aggregateType,
            aggregateId: String(userId),
            sequence: 1,
            userId,
            payload: registered.payload.parse({ userId, role }),
            occurredAt: now,
        })),
      );
      return { ids, now };
    });
    // Payment's side in payment's own database, as sign-up's wallet call and a charge leave it.
    await database.payment.db.transaction(async (tx) => {
      const { now } = created;
      await tx.insert(wallets).values(created.ids.map((userId) => ({ userId, balance, updatedAt: now })));
      await tx.insert(walletLedger).values(created.ids.map((userId) => ({ userId, kind: 'CHARGE' as const, amount: balance, balanceAfter: balance, reference })));
      await tx.insert(domainEvents).values(
        created.ids.flatMap((userId) => [
          {
            id: randomUUID(),
            type: 'WalletCharged',
            schemaVersion: charged.schemaVersion,
            aggregateType: charged.aggregateType,
            aggregateId: String(userId),
            sequence: 1,
            userId,
            payload: charged.payload.parse({ userId, amount: balance, balance, reference }),
            occurredAt: now,
          },
        ]),
      );
    });
    for (const id of created.ids) out.push({ id, token: (await tokens.issue({ id, role, tokenVersion: 0 })).accessToken });
  }
  return out;
}

/**
 * A concert with one schedule of exactly `seats` seats (rows of 50 in section A, the rest in one row
 * of section B), sale open since a minute ago.
 */
export async function makeSchedule(database: Database, run: BenchRun, seats: number, price = 10_000): Promise<{ concertId: number; scheduleId: number; seatIds: number[] }> {
  const now = Date.now();
  const full = Math.floor(seats / 50);
  const rest = seats % 50;
  const sections = [
    ...(full > 0 ? [{ name: 'A', tier: 'R', price, rows: full, seatsPerRow: 50 }] : []),
    ...(rest > 0 ? [{ name: 'B', tier: 'S', price, rows: 1, seatsPerRow: rest }] : []),
  ];
  const catalog = new CatalogRepository(database.db, new SeatStatusRepository(database.db));
  const c = await catalog.createConcert(
    {
      title: `Bench ${run.runId}`,
      artist: 'Bench',
      description: '',
      venue: 'Bench Hall',
      schedules: [{ startsAt: new Date(now + 30 * 86_400_000), saleOpensAt: new Date(now - 60_000), saleClosesAt: new Date(now + 29 * 86_400_000) }],
      sections,
    },
    null,
  );
  const scheduleId = c.scheduleIds[0]!;
  return { concertId: c.concertId, scheduleId, seatIds: (await catalog.seatsOfSchedule(scheduleId)).map((s) => s.id) };
}

export interface HttpResult {
  status: number;
  body: any;
  /** Milliseconds from sending to the whole body received. */
  ms: number;
  /** Why there was no answer (status 0): the socket error's code (ECONNRESET, EMFILE, ...) or TIMEOUT. */
  error?: string;
}

/** A network error's code for the report: the errno name when there is one, else the message. */
export const errorCode = (err: unknown): string => (err as NodeJS.ErrnoException)?.code ?? String((err as Error)?.message ?? err).slice(0, 60);

/**
 * A lean JSON client over node:http with keep-alive sockets (cheaper per request than fetch, which
 * matters when the load generator shares 2 cores with the system under test). Network errors come
 * back as status 0.
 */
export class HttpClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(base: string, maxSockets = 4096) {
    const u = new URL(base);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  }

  /** Requests that take longer than this are abandoned and reported as status 0. */
  timeoutMs = 30_000;

  request(method: string, path: string, opts: { token?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<HttpResult> {
    const t = performance.now();
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve) => {
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: any = text;
          if (/json/.test(String(res.headers['content-type'] ?? ''))) {
            try {
              body = JSON.parse(text);
            } catch {
              /* leave as text */
            }
          }
          resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t });
        });
        res.on('error', (err) => resolve({ status: 0, body: String(err), ms: performance.now() - t, error: errorCode(err) }));
      });
      req.on('error', (err) => resolve({ status: 0, body: String(err), ms: performance.now() - t, error: errorCode(err) }));
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error(`timeout after ${this.timeoutMs} ms`), { code: 'TIMEOUT' })));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /**
   * Reads a Server-Sent Events stream on its own connection: `onEvent(name, data)` for every event
   * until it returns true (then the stream is closed), the server ends it, or `timeoutMs` passes.
   * Resolves with the HTTP status (0 on a network error or timeout).
   */
  stream(path: string, opts: { token?: string; headers?: Record<string, string>; timeoutMs: number }, onEvent: (event: string, data: string) => boolean): Promise<number> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    return new Promise((resolve) => {
      let status = 0;
      const req = http.request({ host: this.host, port: this.port, method: 'GET', path, headers, agent: false }, (res) => {
        status = res.statusCode ?? 0;
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
            const block = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (data !== undefined && onEvent(event, data)) return void req.destroy();
          }
        });
        res.on('end', () => resolve(status));
        res.on('close', () => resolve(status));
        res.on('error', () => resolve(status));
      });
      req.on('error', () => resolve(status));
      req.on('close', () => resolve(status));
      req.setTimeout(opts.timeoutMs, () => req.destroy());
      req.end();
    });
  }

  /**
   * Opens about `sockets` keep-alive connections (that many GETs of `path` at once) so that a burst
   * measured next finds them open instead of queueing in the server's TCP accept backlog. The server
   * closes idle ones after its keep-alive timeout (Node: 5 s), so warm right before the burst.
   */
  async warm(sockets: number, path = '/healthz'): Promise<number> {
    await Promise.all(Array.from({ length: sockets }, () => this.request('GET', path)));
    return Object.values(this.agent.freeSockets).reduce((t, list) => t + (list?.length ?? 0), 0);
  }

  close() {
    this.agent.destroy();
  }
}

/**
 * The kernel's count of connections dropped because a listen queue was full (TcpExt ListenOverflows):
 * a burst of new connections beyond the server's accept backlog (Node's default is 511) loses SYNs,
 * and clients retry after 1 s, 3 s, 7 s... which shows as seconds of latency with idle CPUs.
 */
export function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      if (!lines[i]!.startsWith('TcpExt:')) continue;
      const names = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/);
      const k = names.indexOf('ListenOverflows');
      if (k > 0) return Number(values[k]);
    }
  } catch {
    /* not Linux */
  }
  return NaN;
}

/** Seats sold on a schedule and seats in more than one CONFIRMED reservation (must be 0). */
export async function soldAndDoubles(pool: mysql.Pool, scheduleId: number): Promise<{ sold: number; doubles: number }> {
  const [sold] = await pool.query(`SELECT COUNT(*) n FROM seat_status WHERE schedule_id = ? AND status = 'SOLD'`, [scheduleId]);
  const [doubles] = await pool.query(
    `SELECT COUNT(*) n FROM (SELECT rs.seat_id FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id WHERE r.status = 'CONFIRMED' GROUP BY rs.seat_id HAVING COUNT(*) > 1) d`,
  );
  return { sold: Number((sold as Array<{ n: number }>)[0]!.n), doubles: Number((doubles as Array<{ n: number }>)[0]!.n) };
}

/**
 * The end of every benchmark run: closes the run's own clients, stops the children, and drops the
 * throwaway database and Redis keys unless `keep`.
 */
export async function teardown(run: BenchRun, o: { keep: boolean; children: Children; database: Database; close: Array<(() => unknown) | undefined> }) {
  await o.children.stop();
  for (const close of o.close) await Promise.resolve(close?.()).catch(() => {});
  if (!o.keep) {
    await dropDatabase(run);
    await cleanRedis(run);
  } else console.log(`kept database ${run.runId} and Redis prefix ${run.runId}:`);
  await o.database.close();
}

/**
 * Rules a benchmark run broke (invariant violations, double sales, a count that does not add up):
 * printed as they are found, and they make the run exit 1, as `npm run chaos` does, so a script or
 * CI that runs a benchmark cannot take a broken run for a good one.
 */
const brokenRules: string[] = [];
export function broken(rule: string): void {
  brokenRules.push(rule);
  console.log(`BROKEN: ${rule}`);
}

/** Reports the SPEC invariant check's result, recording each violation as a broken rule. */
export function reportInvariants(problems: string[]): void {
  console.log(`SPEC invariants: ${problems.length === 0 ? 'all hold' : `${problems.length} violated`}`);
  for (const p of problems) broken(`invariant: ${p}`);
}

/** The benchmark's end: exit 0 only when it finished and broke no rule. */
export function exitWithVerdict(run: Promise<void>): void {
  run.then(
    () => {
      if (brokenRules.length > 0) console.log(`\n${brokenRules.length} rule(s) broken: exit 1`);
      process.exit(brokenRules.length > 0 ? 1 : 0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
