/**
 * Chaos under load (issue 13): `npm run chaos [-- --faults mysql,redis --rate 4 --keep]`
 *
 * Brings up its own native stack (scripts/stack.sh, profile "chaos", ports + CHAOS_PORT_BASE,
 * default 30000), two API processes, a worker and two outbox relays as child processes, then runs a
 * steady open-loop booking load through the waiting room (join, wait for ACTIVE, hold one seat, then
 * pay, cancel or abandon it; holds last HOLD_TTL_SECONDS=5) and applies each fault in turn:
 *   mysql     kill -9 MariaDB, restart it            redis   kill -9 Redis, restart it with no data
 *   temporal  kill -9 the Temporal server, restart it on its database
 *   kafka     kill -9 the broker, restart it          api     kill -9 one of the two API processes
 *   relay     kill -9 the relay leader (a second relay runs)
 *   worker    kill -9 the worker mid-payment, a new one started at once
 *   mysql-stop  SIGSTOP MariaDB for 10 s, then SIGCONT (the database hangs rather than dies)
 *   redis-partition  (not by default; root) api2 cut off from Redis for 10 s: its packets dropped, no reset
 *   provider  kill -9 the payment emulator (localstripe) while a card payment is in flight, restart it
 *   webhook-drop  for 10 s the emulator's webhooks never reach the API (a proxy between them drops them)
 *   webhook-dup   for 10 s every webhook reaches the API three times (two at once, one a second later)
 * On the cluster topology (STACK_TOPOLOGY=cluster, docs/production.md "The cluster topology"), four more:
 *   kafka-broker   kill -9 Kafka node 2 of 3, restart it   mysql-replica  kill -9 the MariaDB replica, restart it
 *   temporal-node  kill -9 Temporal server node 2 (node 1 takes its shards), restart it
 *   redis-master   kill -9 the Redis Cluster master serving the sale's waiting room; its replica is
 *                  promoted; the old master rejoins as a replica
 * and prints one row per fault (README, "Chaos under load", says how to read it). Some payers pay by
 * card (--card-share of them): the API creates the PaymentIntent, the buyer confirms it at the
 * emulator and polls the reservation until the webhook's outcome CONFIRMED it. The emulator delivers
 * its webhooks to a forwarding proxy in this process (scripts/bench/webhook-proxy.ts), which passes
 * them to the APIs, or drops or duplicates them during the webhook faults. The run ends with the
 * payment reconciliation over the run's window (scripts/reconcile.ts: it repairs what lost webhooks
 * left), then the invariants again, with invariant 9 (our card payments against the provider's).
 * Exits 1 when any invariant break, lost event or double sale is found, or a fault got a 500 or a
 * hung request.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { promisify, parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { allAggregateTypes, topicFor } from '../src/events/catalog.js';
import { CARDS, emulatorClient } from '../test/support/card.js';
import { checkInvariants, checkProviderAgreement } from '../test/support/invariants.js';
import { WebhookProxy } from './bench/webhook-proxy.js';
import { Tally } from './bench/stats.js';
import { Children, HttpClient, makeSchedule, makeUsers, newRun, openDatabase, prepareWorkflowBundle, root, sleep, soldAndDoubles, teardown, waitReady, type BenchUser } from './bench/harness.js';

const FAULTS = ['mysql', 'redis', 'temporal', 'kafka', 'api', 'relay', 'worker', 'mysql-stop', 'provider', 'webhook-drop', 'webhook-dup', 'redis-partition', 'kafka-broker', 'mysql-replica', 'temporal-node', 'redis-master'] as const;
/** Faults of the cluster topology's extra nodes: not in the default list, and only with STACK_TOPOLOGY=cluster. */
const CLUSTER_FAULTS: readonly string[] = ['kafka-broker', 'mysql-replica', 'temporal-node', 'redis-master'];
/** Faults of the card path: their recovery is the first card purchase after the fault ended. */
const CARD_FAULTS: readonly string[] = ['provider', 'webhook-drop', 'webhook-dup'];
/**
 * The partition cuts the second API process off from Redis while everything else still reaches it:
 * that process runs as another user (nobody), and an iptables rule drops that user's packets to
 * Redis's ports, silently (no reset), as a partition does. Needs root, as the namespaces of netem.sh.
 */
const PARTITIONED_USER = { uid: 65534, gid: 65534 };
type Fault = (typeof FAULTS)[number];

const { values: args } = parseArgs({
  options: {
    // The default list: every fault but the cluster's and the partition (root only).
    faults: { type: 'string', default: FAULTS.filter((f) => !CLUSTER_FAULTS.includes(f) && f !== 'redis-partition').join(',') },
    rate: { type: 'string', default: '4' }, // buyers arriving per second
    'card-share': { type: 'string', default: '0.4' }, // of the buyers who pay, those who pay by card
    outage: { type: 'string', default: '5' }, // seconds a killed service stays down
    port: { type: 'string', default: '3950' },
    keep: { type: 'boolean', default: false },
  },
});
const faults = args.faults!.split(',').map((f) => f.trim()) as Fault[];
for (const f of faults) if (!FAULTS.includes(f)) throw new Error(`unknown fault ${f}; one of ${FAULTS.join(', ')}`);
if (faults.some((f) => CLUSTER_FAULTS.includes(f)) && process.env.STACK_TOPOLOGY !== 'cluster') throw new Error(`${CLUSTER_FAULTS.join(', ')} need STACK_TOPOLOGY=cluster`);
const RATE = Number(args.rate);
const OUTAGE_MS = Number(args.outage) * 1000;
const CARD_SHARE = Number(args['card-share']);
const HOLD_TTL_SECONDS = 5;
/** A hold must end within its TTL plus this. */
const GRACE_MS = 30_000;
/** Longest acceptable answer while a dependency is down (the API's deadline is 4 s). */
const ANSWER_WITHIN_MS = 5_000;

// ---- the stack ---------------------------------------------------------------------------------
const port = Number(args.port);
// The emulator delivers webhooks to the proxy (stack.sh registers this URL at every start of it).
const webhookProxyPort = port + 8;
const stackEnv = {
  ...process.env,
  STACK_PROFILE: 'chaos',
  STACK_PORT_BASE: process.env.CHAOS_PORT_BASE ?? '30000',
  STRIPE_WEBHOOK_URL: `http://127.0.0.1:${webhookProxyPort}/webhooks/stripe`,
} as Record<string, string>;
const stackDir = `${process.env.STACK_DIR ?? `${root}.stack`}/chaos`;
const stack = (...a: string[]) => promisify(execFile)('bash', [`${root}scripts/stack.sh`, ...a], { env: stackEnv, timeout: 300_000 });
const pidOf = (svc: string) => Number(readFileSync(`${stackDir}/run/${svc}.pid`, 'utf8').trim());
const redisCluster = (...a: string[]) => promisify(execFile)('bash', [`${root}scripts/topology/redis-cluster.sh`, ...a], { env: stackEnv, timeout: 60_000 });
if (faults.includes('redis-master') && stackEnv.STACK_TOPOLOGY !== 'cluster') throw new Error('the redis-master fault needs STACK_TOPOLOGY=cluster (a Redis Cluster)');

console.log('starting the chaos stack (profile chaos)...');
// The emulator starts empty unless it is still running (--keep): its saved payments of earlier runs
// would only make every write slower (it saves the whole store each time).
if (!existsSync(`${stackDir}/run/stripe.pid`)) rmSync(`${stackDir}/stripe`, { recursive: true, force: true });
await stack('start');
const urls = Object.fromEntries((await stack('urls')).stdout.trim().split('\n').map((l) => l.split('=') as [string, string]));
Object.assign(process.env, { MYSQL_URL: urls.MYSQL_URL, REDIS_URL: urls.REDIS_URL, TEMPORAL_ADDRESS: urls.TEMPORAL_ADDRESS, KAFKA_BROKERS: urls.KAFKA_BROKERS, STRIPE_API_BASE: urls.STRIPE_API_BASE, ...(urls.SMTP_URL ? { SMTP_URL: urls.SMTP_URL } : {}) });
// The cluster topology: every child's Redis client is a Cluster client.
if (urls.REDIS_CLUSTER_NODES) process.env.REDIS_CLUSTER_NODES = urls.REDIS_CLUSTER_NODES;
// The cluster topology's replica: the APIs' lag-tolerant reads go there (docs/production.md "Replica reads").
if (urls.MYSQL_REPLICA_URL) process.env.MYSQL_REPLICA_URL = urls.MYSQL_REPLICA_URL;
const runStartedAt = new Date();

const run = newRun({
  prefix: 'chaos',
  port,
  env: {
    QUEUE_ENFORCED: 'true',
    QUEUE_ADMISSION_MODE: 'manual',
    QUEUE_MAX_ACTIVE: '500',
    QUEUE_ADMIT_RATE_PER_SEC: '100',
    QUEUE_TICK_MS: '100',
    RATE_LIMIT_ENABLED: 'false',
    HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS),
    SWEEPER_ENABLED: 'true',
    KAFKA_TOPIC_PREFIX: `chaos-${Date.now().toString(36)}.`,
    RELAY_POLL_MS: '100',
    // The children's logs would drown the table (every refused request is logged); CHAOS_LOG_LEVEL=warn shows them.
    LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'fatal',
  },
});
const database = await openDatabase(run);
const children = new Children(run.env);
await prepareWorkflowBundle(run);
const apiUrls = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 10}`];
let workerSeq = 0;
const startWorker = () => children.start(`worker${++workerSeq}`, { WORKER_SDK_METRICS_PORT: String(port + 1 + workerSeq * 10) });
const partitionable = faults.includes('redis-partition');
if (partitionable && process.getuid?.() !== 0) throw new Error('the redis-partition fault needs root (iptables, and the second API run as another user)');
const startApi = (k: number) => children.start(k === 0 ? 'api' : 'api2', { API_PORT: String(port + 10 * k) }, k === 1 && partitionable ? PARTITIONED_USER : undefined);
const startRelay = (k: number) => children.startScript(`relay${k}`, 'src/main/relay.ts', { RELAY_METRICS_PORT: String(port + 5 + k) });
startWorker();
startApi(0);
startApi(1);
startRelay(1);
startRelay(2);
for (const url of apiUrls) await waitReady(url, 300); // the first start bundles and connects everything: slow on a busy machine
const proxy = new WebhookProxy(apiUrls);
await proxy.listen(webhookProxyPort);
// The buyer's client at the provider (Stripe.js in a browser); the children use the same key.
const emulator = emulatorClient(urls.STRIPE_API_BASE!, run.base.STRIPE_SECRET_KEY);

const users = await makeUsers(database, run, 3000, 10_000_000);
const [admin] = await makeUsers(database, run, 1, 0, 'ADMIN');
const clients = apiUrls.map((u) => new HttpClient(u));
// The client waits longer than the API's longest answer by design, a join's QUEUE_JOIN_DEADLINE_MS
// (30 s: a started join waits that long for Redis's reply), so "no answer" (0) means a hang.
for (const c of clients) c.timeoutMs = 40_000;

// Every event id that reached Kafka (any topic of the run), for the "lost events" column.
const kafka = new Kafka({ brokers: urls.KAFKA_BROKERS!.split(','), clientId: 'chaos-audit', logLevel: logLevel.NOTHING });
const seenOnKafka = new Set<string>();
const consumer = kafka.consumer({ groupId: `chaos-audit-${run.runId}`, sessionTimeout: 30_000 });
const admin0 = kafka.admin();
await admin0.connect();
const topics = allAggregateTypes.map((t) => topicFor(run.env.KAFKA_TOPIC_PREFIX!, t));
await admin0.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
await admin0.disconnect();
await consumer.connect();
// Fresh topics may not be in the broker's metadata yet: retry the subscription for a while.
for (let attempt = 1; ; attempt++) {
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    break;
  } catch (err) {
    if (attempt >= 30) throw err;
    await sleep(1000);
  }
}
await consumer.run({ eachMessage: async ({ message }) => void seenOnKafka.add(JSON.parse(message.value!.toString()).id) });

// ---- the load ----------------------------------------------------------------------------------
interface Answer {
  at: number;
  /** Which API process answered (0 or 1), and the path asked. */
  api: number;
  path: string;
  status: number;
  ms: number;
  /** A 503 that is a problem document (the HTTP client does not keep headers; the tests check Retry-After). */
  problem: boolean;
}
let answers: Answer[] = [];
let purchases: number[] = [];
let cardPurchases: number[] = [];
/** The fault's card payments: provider payment id -> reservation id (counted against the provider after the fault). */
let cardIntents = new Map<string, string>();
let rr = 0;
let paymentsInFlight = 0;
let cardPaymentsInFlight = 0;
/** Round robin over the API processes; a refused connection goes to the other one, as a load balancer would. */
async function call(method: string, path: string, user: BenchUser, headers: Record<string, string> = {}, body?: unknown) {
  const at = Date.now();
  let api = rr++ % clients.length;
  let res = await clients[api]!.request(method, path, { token: user.token, headers, body });
  if (res.status === 0 && /ECONNREFUSED|ECONNRESET|socket hang up/.test(String(res.body))) {
    api = (api + 1) % clients.length;
    res = await clients[api]!.request(method, path, { token: user.token, headers, body });
  }
  const problem = res.status !== 503 || (typeof res.body === 'object' && res.body?.status === 503);
  answers.push({ at, api, path: `${method} ${path}`, status: res.status, ms: Date.now() - at, problem });
  return res;
}

/** One buyer: join the waiting room, wait to be ACTIVE, hold a seat, then pay (60 %), cancel (20 %) or walk away. */
async function buyer(scheduleId: number, seatIds: number[]) {
  const user = users[Math.floor(Math.random() * users.length)]!;
  const joined = await call('POST', '/api/v1/queue/tokens', user, {}, { scheduleId });
  if (joined.status !== 200 && joined.status !== 201) return;
  const qt = joined.body.token as string;
  const waitUntil = Date.now() + 20_000;
  for (let status = joined.body.status; status !== 'ACTIVE'; ) {
    if (Date.now() > waitUntil || status === 'EXPIRED') return;
    await sleep(300);
    const polled = await call('GET', '/api/v1/queue/tokens/current', user, { 'x-queue-token': qt });
    status = polled.body?.status;
  }
  const seat = seatIds[Math.floor(Math.random() * seatIds.length)]!;
  const held = await call('POST', '/api/v1/reservations', user, { 'x-queue-token': qt, 'idempotency-key': `h-${Math.random().toString(36).slice(2)}` }, { scheduleId, seatIds: [seat] });
  if (held.status !== 201) return;
  const roll = Math.random();
  if (roll < 0.6 && Math.random() < CARD_SHARE) await payByCard(held.body.id, user, qt);
  else if (roll < 0.6) {
    paymentsInFlight++;
    const paid = await call('POST', `/api/v1/reservations/${held.body.id}/payment`, user, { 'x-queue-token': qt, 'idempotency-key': `p-${held.body.id}` });
    paymentsInFlight--;
    if (paid.status === 200) purchases.push(Date.now());
  } else if (roll < 0.8) await call('DELETE', `/api/v1/reservations/${held.body.id}`, user, { 'idempotency-key': `c-${held.body.id}` });
}

/**
 * A card purchase as a browser makes it: the PaymentIntent from the API (202), the buyer's
 * confirmation at the provider, then the reservation polled until the webhook's outcome lands.
 */
async function payByCard(reservationId: string, user: BenchUser, qt: string) {
  cardPaymentsInFlight++;
  try {
    const started = await call('POST', `/api/v1/reservations/${reservationId}/payment`, user, { 'x-queue-token': qt, 'idempotency-key': `p-${reservationId}` }, { method: 'card' });
    if (started.status !== 202) return;
    cardIntents.set(started.body.providerPaymentId, reservationId);
    // The provider down: the buyer's client cannot confirm; the hold expires (or is paid by another try).
    const confirmed = await emulator.confirm(started.body.providerPaymentId, CARDS.success).catch(() => 0);
    if (confirmed !== 200) return;
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      await sleep(300);
      const r = await call('GET', `/api/v1/reservations/${reservationId}`, user);
      if (r.body?.status === 'CONFIRMED') {
        purchases.push(Date.now());
        cardPurchases.push(Date.now());
        return;
      }
      if (r.status === 200 && r.body?.status !== 'HELD') return;
    }
  } finally {
    cardPaymentsInFlight--;
  }
}

// ---- the faults --------------------------------------------------------------------------------
const kill9 = (pid: number | undefined) => pid && process.kill(pid, 'SIGKILL');
async function relayLeader(): Promise<string> {
  for (const k of [1, 2]) {
    const text = await fetch(`http://127.0.0.1:${port + 5 + k}/metrics`).then((r) => r.text(), () => '');
    if (/^outbox_relay_leader(\{[^}]*\})? 1$/m.test(text)) return `relay${k}`;
  }
  return 'relay1';
}
let relayRestarts = 0;
/** Applies the fault; resolves with the moment the service is back (restarted, resumed or replaced). */
async function apply(fault: Fault, scheduleId: number, notes: string[]): Promise<number> {
  switch (fault) {
    case 'redis-master': {
      // The master of the sale's waiting-room slot. Recovery counts from the kill: the replica's
      // promotion (node timeout 2 s, then an election) is part of the outage.
      const at = Date.now();
      const { stdout } = await redisCluster('kill-master', `${run.runId}:q:{${scheduleId}}:wait`);
      notes.push(stdout.trim());
      await sleep(OUTAGE_MS);
      await redisCluster('start'); // the killed node rejoins as a replica of the promoted one
      return at;
    }
    case 'mysql':
    case 'redis':
    case 'temporal':
    case 'kafka': {
      kill9(pidOf(fault));
      await sleep(OUTAGE_MS);
      // Redis comes back with no data: its snapshot (if any) goes first.
      if (fault === 'redis') rmSync(`${stackDir}/redis/dump.rdb`, { force: true });
      const at = Date.now();
      await stack(fault === 'temporal' ? 'restart-one' : 'start-one', fault);
      return at;
    }
    case 'api': {
      kill9(children.pid('api2'));
      await sleep(OUTAGE_MS);
      const at = Date.now();
      startApi(1);
      await waitReady(apiUrls[1]!);
      return at;
    }
    case 'relay': {
      const leader = await relayLeader();
      kill9(children.pid(leader));
      // The other relay takes the lock once MySQL sees the dead one's connection close.
      await sleep(OUTAGE_MS);
      const at = Date.now();
      children.startScript(`${leader}-r${++relayRestarts}`, 'src/main/relay.ts', { RELAY_METRICS_PORT: '0' });
      return at;
    }
    case 'worker': {
      // Mid-payment: wait for a payment in flight, then kill and start a new worker at once.
      while (paymentsInFlight === 0) await sleep(5);
      kill9(children.pid(`worker${workerSeq}`));
      const at = Date.now();
      startWorker();
      return at;
    }
    case 'mysql-stop': {
      const pid = pidOf('mysql');
      process.kill(pid, 'SIGSTOP');
      await sleep(10_000);
      const at = Date.now();
      process.kill(pid, 'SIGCONT');
      return at;
    }
    case 'provider': {
      // Mid-sale: a card payment in flight (created, being confirmed, or waiting for its webhook).
      while (cardPaymentsInFlight === 0) await sleep(5);
      kill9(pidOf('stripe'));
      await sleep(OUTAGE_MS);
      const at = Date.now();
      // It loads its saved payments and registers the proxy's URL again (it forgets webhooks).
      await stack('start-one', 'stripe');
      return at;
    }
    case 'kafka-broker':
    case 'mysql-replica':
    case 'temporal-node': {
      // Node 2 of each (scripts/topology/): node 1 keeps serving; the restart is stack.sh's start-one.
      const svc = { 'kafka-broker': 'kafka-2', 'mysql-replica': 'mysql-replica', 'temporal-node': 'temporal-2' }[fault];
      kill9(pidOf(svc));
      await sleep(OUTAGE_MS);
      const at = Date.now();
      await stack('start-one', { 'kafka-broker': 'kafka_2', 'mysql-replica': 'mysql_replica', 'temporal-node': 'temporal_node2' }[fault]);
      return at;
    }
    case 'redis-partition': {
      // Both directions are cut by dropping the partitioned user's packets to Redis (its replies
      // then never come either); nothing is reset, so the API's connections hang as in a real partition.
      const rules = redisPorts().map((p) => ['OUTPUT', '-p', 'tcp', '-d', '127.0.0.1', '--dport', String(p), '-m', 'owner', '--uid-owner', String(PARTITIONED_USER.uid), '-j', 'DROP']);
      for (const r of rules) await iptables('-I', ...r);
      notes.push(`api2 cut off from Redis (${redisPorts().join(', ')}) for ${(2 * OUTAGE_MS) / 1000} s`);
      try {
        await sleep(2 * OUTAGE_MS);
      } finally {
        for (const r of rules) await iptables('-D', ...r).catch(() => undefined);
      }
      return Date.now();
    }
    case 'webhook-drop':
    case 'webhook-dup': {
      proxy.mode = fault === 'webhook-drop' ? 'drop' : 'duplicate';
      await sleep(2 * OUTAGE_MS);
      proxy.mode = 'pass';
      return Date.now();
    }
  }
}

const iptables = (...a: string[]) => promisify(execFile)('iptables-legacy', ['-w', ...a], { timeout: 30_000 });
/** Redis's ports in this stack: the one node's, or every Cluster node's. */
function redisPorts(): number[] {
  const nodes = urls.REDIS_CLUSTER_NODES ? urls.REDIS_CLUSTER_NODES.split(',') : [new URL(urls.REDIS_URL!).host];
  return nodes.map((n) => Number(n.split(':').pop()));
}
/** Requests that need Redis on the way (the waiting room and holds): what a partition from Redis stops. */
const needsRedis = (a: Answer) => /^(POST|GET) \/api\/v1\/queue\/|^POST \/api\/v1\/reservations$/.test(a.path);

async function count(sql: string, params: unknown[] = []) {
  const [rows] = await database.pool.query(sql, params);
  return Number((rows as Array<{ n: number }>)[0]!.n);
}

interface Row {
  fault: string;
  byStatus: Record<string, number>;
  longestMs: number;
  recoveryS: number | null;
  invariantBreaks: number;
  lostEvents: number;
  doubleSales: number;
  /** The fault's card payments at the provider: succeeded (captured), applied to a CONFIRMED reservation, refunded in full. */
  card: CardCounts;
  notes: string[];
}
interface CardCounts {
  captured: number;
  confirmed: number;
  refunded: number;
  /** Captured, but neither CONFIRMED nor refunded: money kept without a ticket (must be 0). */
  chargedWithoutTicket: number;
}

/** Each card payment of the fault as the provider sees it, beside our reservation's status. */
async function cardCounts(intents: Map<string, string>): Promise<CardCounts> {
  const counts: CardCounts = { captured: 0, confirmed: 0, refunded: 0, chargedWithoutTicket: 0 };
  for (const [paymentId, reservationId] of intents) {
    const pi = (await emulator.stripe('GET', `/v1/payment_intents/${paymentId}`)).body;
    if (pi?.status !== 'succeeded') continue;
    counts.captured += 1;
    const refunds = ((await emulator.stripe('GET', `/v1/refunds?payment_intent=${paymentId}`)).body?.data ?? []) as Array<{ amount: number }>;
    const refunded = refunds.reduce((sum, r) => sum + r.amount, 0) === pi.amount;
    const confirmed = (await count(`SELECT COUNT(*) n FROM reservations WHERE id = ? AND status = 'CONFIRMED'`, [reservationId])) === 1;
    if (refunded) counts.refunded += 1;
    if (confirmed && !refunded) counts.confirmed += 1;
    if (!confirmed && !refunded) counts.chargedWithoutTicket += 1;
  }
  return counts;
}
const rows: Row[] = [];

for (const fault of faults) {
  console.log(`\n== ${fault}`);
  const { scheduleId, seatIds } = await makeSchedule(database, run, 400, 1_000);
  answers = [];
  purchases = [];
  cardPurchases = [];
  cardIntents = new Map();
  const notes: string[] = [];
  const webhooksBefore = proxy.snapshot();
  // Open loop: a buyer arrives every 1/RATE s whether or not the earlier ones got answers.
  const inFlight = new Set<Promise<void>>();
  const arrivals = setInterval(() => {
    const p: Promise<void> = buyer(scheduleId, seatIds)
      .catch((err) => void notes.push(`buyer threw: ${String(err).slice(0, 120)}`))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, 1000 / RATE);
  let recoveryS: number | null = null;
  const faultAt = Date.now() + 5_000;
  let recoveredAt = 0;
  try {
    await sleep(5_000); // baseline
    const backAt = await apply(fault, scheduleId, notes);
    const deadline = Date.now() + 120_000;
    // The partition: api1 sells on throughout, so recovery is the partitioned API's first answer
    // again on a request that needs Redis.
    const api2Redis = () => answers.filter((a) => a.api === 1 && a.status >= 200 && a.status < 300 && needsRedis(a)).map((a) => a.at + a.ms);
    const recovered = CARD_FAULTS.includes(fault) ? () => cardPurchases : fault === 'redis-partition' ? api2Redis : () => purchases;
    while (!recovered().some((t) => t > backAt) && Date.now() < deadline) await sleep(100);
    const first = recovered().find((t) => t > backAt);
    recoveredAt = first ?? Date.now();
    recoveryS = first ? (first - backAt) / 1000 : null;
    if (!first) notes.push('no purchase within 120 s of the restart');
    await sleep(3_000);
  } catch (err) {
    notes.push(`fault failed: ${String(err).slice(0, 200)}`);
    await stack('start').catch(() => undefined);
  } finally {
    clearInterval(arrivals);
  }
  // Let everyone in flight finish.
  await Promise.race([Promise.all([...inFlight]), sleep(60_000)]);
  const during = answers.filter((a) => a.at >= faultAt && a.at <= recoveredAt);
  const byStatus: Record<string, number> = {};
  for (const a of during) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  const longestMs = Math.round(Math.max(0, ...during.map((a) => a.ms)));
  if (during.some((a) => !a.problem)) notes.push('503 without a problem body');
  const slow = during.filter((a) => a.ms >= ANSWER_WITHIN_MS);
  if (slow.length > 0) {
    // By route and API process: the route with its ids blanked.
    const where = new Tally<string>();
    for (const a of slow) where.add(`${a.path.replace(/\/[0-9a-f-]{6,}|\/\d+/g, '/:id')} on api${a.api + 1}`);
    notes.push(`${slow.length} answers slower than 5 s (${where})`);
  }

  // Every hold ends within TTL + grace; then the invariants, events and double sales.
  const endBy = Date.now() + HOLD_TTL_SECONDS * 1000 + GRACE_MS;
  while (Date.now() < endBy && (await count(`SELECT COUNT(*) n FROM reservations WHERE schedule_id = ? AND status = 'HELD'`, [scheduleId])) > 0) await sleep(500);
  const problems = await checkInvariants(database.pool, { expiryGraceMs: GRACE_MS });
  for (const p of problems.slice(0, 3)) notes.push(p.slice(0, 200));
  const sales = await clients[0]!.request('GET', `/api/v1/admin/schedules/${scheduleId}/sales`, { token: admin!.token });
  const truth = await count(`SELECT COUNT(*) n FROM seat_status WHERE schedule_id = ? AND status = 'SOLD'`, [scheduleId]);
  const readModelBreak = await (async () => {
    // The read model catches up through Kafka: give it a moment before calling it wrong.
    for (let i = 0; i < 60; i++) {
      const r = await clients[0]!.request('GET', `/api/v1/admin/schedules/${scheduleId}/sales`, { token: admin!.token });
      if (r.status === 200 && Number(r.body.seatsSold) === truth) return 0;
      await sleep(1000);
    }
    notes.push(`read model: ${JSON.stringify(sales.body).slice(0, 120)} vs ${truth} sold`);
    return 1;
  })();
  // Lost events: in the log but never on Kafka (the relay has a minute to catch up).
  let lost = 0;
  for (let i = 0; i < 60; i++) {
    const [ids] = await database.pool.query('SELECT id FROM domain_events');
    lost = (ids as Array<{ id: string }>).filter((r) => !seenOnKafka.has(r.id)).length;
    if (lost === 0) break;
    await sleep(1000);
  }
  const { doubles } = await soldAndDoubles(database.pool, scheduleId);
  const w = proxy.snapshot();
  notes.push(
    `card purchases ${cardPurchases.length} of ${purchases.length}; webhooks ${w.received - webhooksBefore.received}` +
      (w.dropped > webhooksBefore.dropped ? `, ${w.dropped - webhooksBefore.dropped} dropped` : '') +
      (w.duplicated > webhooksBefore.duplicated ? `, ${w.duplicated - webhooksBefore.duplicated} sent three times` : ''),
  );
  const card = await cardCounts(cardIntents);
  const row: Row = { fault, byStatus, longestMs, recoveryS, invariantBreaks: problems.length + readModelBreak, lostEvents: lost, doubleSales: doubles, card, notes };
  rows.push(row);
  console.log(JSON.stringify(row));
  // Whatever the fault left behind, the next one starts on a whole stack.
  await stack('start');
  for (const url of apiUrls) await waitReady(url);
}

// ---- the table ---------------------------------------------------------------------------------
const pad = (s: string, n: number) => s.padEnd(n);
console.log('\nfault        requests during the fault (status: count)        longest  recovery  invariant breaks  lost events  double sales  card captured/confirmed/refunded  charged without ticket');
for (const r of rows) {
  const statuses = Object.entries(r.byStatus).map(([k, v]) => `${k}:${v}`).join(' ');
  console.log(
    `${pad(r.fault, 12)} ${pad(statuses || '-', 48)} ${pad(`${(r.longestMs / 1000).toFixed(1)} s`, 8)} ${pad(r.recoveryS === null ? 'none' : `${r.recoveryS.toFixed(1)} s`, 9)} ${pad(String(r.invariantBreaks), 17)} ${pad(String(r.lostEvents), 12)} ${pad(String(r.doubleSales), 13)} ${pad(`${r.card.captured}/${r.card.confirmed}/${r.card.refunded}`, 33)} ${r.card.chargedWithoutTicket}`,
  );
  for (const n of r.notes) console.log(`             ! ${n}`);
}
console.log(`webhooks the API answered: ${proxy.answers}`);

// ---- the reconciliation, then invariant 9 -------------------------------------------------------
const reconciliation = await reconcile(runStartedAt);
console.log(`\nreconciliation over the run (${runStartedAt.toISOString()} to now): ${reconciliation.summary}`);
// What it handed to the workflows settles: nothing stays HELD, then every invariant and the provider's view.
const settleBy = Date.now() + HOLD_TTL_SECONDS * 1000 + GRACE_MS;
while (Date.now() < settleBy && (await count(`SELECT COUNT(*) n FROM reservations WHERE status = 'HELD'`)) > 0) await sleep(500);
const finalProblems = [...(await checkInvariants(database.pool, { expiryGraceMs: GRACE_MS })), ...(await checkProviderAgreement(database.pool, emulator.stripe))];
console.log(`after it, invariant breaks (1-9, with the provider's side of 9): ${finalProblems.length}`);
for (const p of finalProblems.slice(0, 5)) console.log(`             ! ${p.slice(0, 200)}`);

const bad = rows.filter((r) => r.invariantBreaks || r.lostEvents || r.doubleSales || r.card.chargedWithoutTicket || r.byStatus['500'] || r.byStatus['0'] || r.recoveryS === null);
const verdict = [...bad.map((r) => r.fault), ...(finalProblems.length || reconciliation.mismatches ? ['reconciliation'] : [])];
console.log(verdict.length ? `\n${verdict.length} fault(s) broke a rule: ${verdict.join(', ')}` : '\nevery fault: no 500, no hang, no invariant break, no lost event, no double sale; reconciled, and we agree with the provider');

await consumer.disconnect().catch(() => undefined);
await proxy.close();
for (const c of clients) c.close();
await teardown(run, { keep: args.keep!, children, database, close: [] });
if (!args.keep) await stack('stop');
process.exit(verdict.length ? 1 : 0);

/** `npm run reconcile` over the run's window, as an operator runs it (exit 2: mismatches it may not repair). */
async function reconcile(since: Date): Promise<{ summary: string; mismatches: number }> {
  const argv = ['--import', 'tsx', 'scripts/reconcile.ts', '--since', since.toISOString()];
  const out = await promisify(execFile)(process.execPath, argv, { cwd: root, env: run.env, timeout: 300_000 }).catch((err: { code?: number; stdout?: string; stderr?: string }) => {
    if (err.code === 2 && err.stdout) return { stdout: err.stdout };
    throw new Error(`reconcile failed: ${String(err.stderr ?? err).slice(0, 300)}`);
  });
  const report = JSON.parse(out.stdout) as { checked: number; applied: string[]; refunded: string[]; mismatches: Array<{ kind: string }> };
  return {
    summary: `checked ${report.checked}, applied ${report.applied.length} (webhook lost, success handed to its workflow), refunded ${report.refunded.length}, mismatches ${report.mismatches.length}${report.mismatches.length ? ` (${report.mismatches.map((m) => m.kind).join(', ')})` : ''}`,
    mismatches: report.mismatches.length,
  };
}
