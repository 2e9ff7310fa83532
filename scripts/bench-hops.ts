/**
 * The network round trips one hold and one payment make, counted per hop (issue 24 item 4):
 *   npm run bench:hops [-- --holds 40 --gap-ms 1000 --idle-ms 5000]
 *
 * Spawns the real API, worker and relay on a throwaway database, task queue and topic prefix, each
 * of them talking to MySQL, Redis and Temporal through its own counting proxy
 * (scripts/bench/hop-counter.ts), and the load generator reaching the API through one too. The
 * relay's requests to Kafka are counted by its producer (`relay_kafka_requests_total`: kafkajs
 * connects to the broker the cluster advertises, so a proxy would only see the metadata).
 *
 * Holds, then their payments (wallet), one at a time and `--gap-ms` apart. Each round trip is filed
 * under "on the request's path" when it starts while the HTTP request is in flight, and "after the
 * answer" otherwise (events to publish, workflow timers, the relay's polls). The background (the
 * relay's outbox polls, the waiting room's snapshot ticks, Temporal's long polls) is counted in idle
 * windows (one first, then one `--gap-ms` long after each operation's tail) and subtracted at its
 * rate, so the table is what one operation adds.
 */
import { parseArgs } from 'node:util';
import { Children, HttpClient, makeSchedule, makeUsers, newRun, openDatabase, prepareWorkflowBundle, sleep, teardown, waitReady } from './bench/harness.js';
import { HopCounter, Phases, type HopCount } from './bench/hop-counter.js';
import { exitWithVerdict } from './bench/harness.js';

const { values: args } = parseArgs({
  options: {
    holds: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '5' },
    'gap-ms': { type: 'string', default: '1000' },
    'idle-ms': { type: 'string', default: '5000' },
    port: { type: 'string', default: '3980' },
    keep: { type: 'boolean', default: false },
  },
});
const n = (k: keyof typeof args) => Number(args[k]);
const run = newRun({ prefix: 'hops', port: n('port'), env: { QUEUE_ENFORCED: 'false', RATE_LIMIT_ENABLED: 'false', REQUEST_DEADLINE_MS: '60000', QUEUE_SNAPSHOT_MS: '10000' } });
// A slow answer on a busy machine is still counted whole: the deadline is not what this measures.
// The waiting room's snapshot ticks (2 scripts per API every 250 ms) are background that no hold
// makes, and on a loaded machine their rate drifts: slowed to one per 10 s, so little is subtracted.
run.env.KAFKA_TOPIC_PREFIX = `${run.runId}.`;
const relayMetricsPort = n('port') + 5;

const tiers = ['api', 'worker', 'relay'] as const;
const services = ['mysql', 'redis', 'temporal'] as const;

function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** `url` with its host and port replaced by the proxy's. */
function via(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

async function kafkaRequests(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${relayMetricsPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('relay_kafka_requests_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

async function main() {
  const { runId, base } = run;
  console.log(`hop count ${runId}: MySQL ${hostPort(base.MYSQL_URL).port}, Redis ${base.REDIS_URL}, Temporal ${base.TEMPORAL_ADDRESS}, Kafka ${base.KAFKA_BROKERS.join(',')}, ${new Date().toISOString()}`);
  const database = await openDatabase(run);
  const children = new Children(run.env);
  const phases = new Phases();
  const counters: HopCounter[] = [];
  const targets = { mysql: hostPort(base.MYSQL_URL), redis: hostPort(base.REDIS_URL), temporal: hostPort(base.TEMPORAL_ADDRESS) };
  const envOf: Record<string, Record<string, string>> = {};
  for (const tier of tiers) {
    const ports: Record<string, number> = {};
    for (const service of services) {
      const counter = new HopCounter(`${tier} -> ${service}`, targets[service], phases);
      ports[service] = await counter.listen();
      counters.push(counter);
    }
    envOf[tier] = {
      MYSQL_URL: via(run.mysqlUrl, ports.mysql!),
      MYSQL_URL_PAYMENT: via(run.paymentMysqlUrl, ports.mysql!),
      MYSQL_URL_WAITLIST: via(run.waitlistMysqlUrl, ports.mysql!),
      MYSQL_URL_IDENTITY: via(run.identityMysqlUrl, ports.mysql!),
      MYSQL_URL_EVENTS: via(run.eventsMysqlUrl, ports.mysql!),
      MYSQL_URL_RECOMMENDATIONS: via(run.recommendationsMysqlUrl, ports.mysql!),
      REDIS_URL: via(base.REDIS_URL, ports.redis!),
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    };
  }
  const apiCounter = new HopCounter('load -> api', { host: '127.0.0.1', port: n('port') }, phases);
  counters.unshift(apiCounter);
  const http = new HttpClient(`http://127.0.0.1:${await apiCounter.listen()}`);
  try {
    await prepareWorkflowBundle(run);
    children.start('worker', envOf.worker);
    children.start('api', envOf.api);
    children.startScript('relay', 'src/main/relay.ts', { ...envOf.relay, RELAY_METRICS_PORT: String(relayMetricsPort) });
    await waitReady(run.api, 600); // minutes on a loaded machine

    const holds = n('holds');
    const warm = n('warmup');
    const users = await makeUsers(database, run, holds + warm, 100_000);
    const schedule = await makeSchedule(database, run, holds + warm);
    const hold = async (i: number) => {
      const r = await http.request('POST', '/api/v1/reservations', { token: users[i]!.token, body: { scheduleId: schedule.scheduleId, seatIds: [schedule.seatIds[i]] } });
      if (r.status !== 201) throw new Error(`hold ${i}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as string;
    };
    const pay = async (i: number, id: string) => {
      const r = await http.request('POST', `/api/v1/reservations/${id}/payment`, { token: users[i]!.token });
      if (r.status !== 200) throw new Error(`pay ${i}: ${r.status} ${JSON.stringify(r.body)}`);
    };

    // Warm-up: pools, prepared statements, the workflow cache, the producer's connection.
    phases.current = 'warmup';
    for (let i = 0; i < warm; i++) await pay(i, await hold(i)).catch((err: Error) => console.log(`warm-up: ${err.message}`));
    await sleep(2000);

    // Time spent in each phase, to subtract the background at its rate.
    const spent: Record<string, number> = {};
    const timed = async (phase: string, job: () => Promise<unknown>) => {
      phases.current = phase;
      const t = performance.now();
      try {
        return await job();
      } finally {
        spent[phase] = (spent[phase] ?? 0) + performance.now() - t;
      }
    };
    // The background is sampled in idle windows: one first, then one after every operation's tail,
    // so its rate is read under the same machine load as the operations (on a shared machine the
    // rate of clocked work drifts with the load).
    await timed('idle', () => sleep(n('idle-ms')));
    const kafka: Record<string, number> = {};
    const ids: string[] = [];
    let k0 = await kafkaRequests();
    for (const [op, job] of [
      ['hold', async (i: number) => void ids.push((await hold(warm + i)) as string)],
      ['pay', async (i: number) => pay(warm + i, ids[i]!)],
    ] as const) {
      for (let i = 0; i < holds; i++) {
        await timed(op, () => job(i));
        await timed(`${op} after`, () => sleep(n('gap-ms')));
        await timed('idle', () => sleep(n('gap-ms')));
      }
      // What is still on its way (the relay's next poll, the events it publishes) lands here.
      await timed(`${op} after`, () => sleep(3000));
      const k1 = await kafkaRequests();
      kafka[op] = (k1 - k0) / holds;
      k0 = k1;
    }
    phases.current = 'done';
    const idleMs = spent.idle!;

    const per = (c: HopCount, idle: HopCount, phase: string) => (c.trips - (idle.trips * (spent[phase] ?? 0)) / idleMs) / holds;
    const bytes = (c: HopCount, idle: HopCount, phase: string) => (c.bytesUp + c.bytesDown - ((idle.bytesUp + idle.bytesDown) * (spent[phase] ?? 0)) / idleMs) / holds;
    const cols = ['hold', 'hold after', 'pay', 'pay after'];
    const f = (v: number) => (Math.abs(v) < 0.05 ? '0' : v.toFixed(1)).padStart(10);
    console.log(`\nround trips per operation (${holds} holds, then their ${holds} wallet payments, one at a time; background subtracted at its rate over ${(idleMs / 1000).toFixed(1)} s of idle windows between them)`);
    console.log(`${'hop'.padEnd(20)}${'hold'.padStart(10)}${'after'.padStart(10)}${'pay'.padStart(10)}${'after'.padStart(10)}${'idle /s'.padStart(10)}${'kB/hold'.padStart(10)}${'kB/pay'.padStart(10)}`);
    const totals = cols.map(() => 0);
    for (const c of counters) {
      const idle = c.get('idle');
      const row = cols.map((phase) => per(c.get(phase), idle, phase));
      // The relay polls its outboxes on a clock (RELAY_POLL_MS, three outboxes) and publishes what it
      // finds in batches: its trips per event depend on how many events a poll finds, not on the hold.
      if (!c.name.startsWith('relay')) row.forEach((v, i) => (totals[i]! += v));
      const kb = (op: string) => (bytes(c.get(op), idle, op) + bytes(c.get(`${op} after`), idle, `${op} after`)) / 1024;
      console.log(`${c.name.padEnd(20)}${row.map(f).join('')}${f((idle.trips / idleMs) * 1000)}${f(kb('hold'))}${f(kb('pay'))}`);
    }
    console.log(`${'relay -> kafka'.padEnd(20)}${f(0)}${f(kafka.hold!)}${f(0)}${f(kafka.pay!)}${f(0)}   (requests the producer sent)`);
    console.log(`${'total (not relay)'.padEnd(20)}${totals.map(f).join('')}`);
    console.log('relay: polls on a clock and publishes in batches (one Produce per batch at 1 in flight here); not on any request\'s path');
    console.log(`on the request's path: hold ${totals[0]!.toFixed(1)}, pay ${totals[2]!.toFixed(1)} round trips (these add to the answer's latency); after the answer: hold ${totals[1]!.toFixed(1)}, pay ${totals[3]!.toFixed(1)}`);
  } finally {
    await teardown(run, { keep: args.keep!, children, database, close: counters.map((c) => () => c.close()) });
  }
}

exitWithVerdict(main());
