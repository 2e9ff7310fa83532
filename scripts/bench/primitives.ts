/**
 * The primitives under the booking path, measured in the same run as the benchmark that prints them
 * (absolute rates vary between runs on a shared machine; ratios against these do not):
 *  - an empty workflow's Update-with-Start (what a hold costs in Temporal alone);
 *  - the bare purchase: an empty workflow started by Update-with-Start, then given one more update
 *    (two Temporal round trips: what hold + pay cost in Temporal alone);
 *  - the hold transaction in-process (the production repository's, on the worker's pool size), a
 *    Redis SET NX, a bare HTTP GET.
 *
 * Also a CLI for the Temporal ones alone (no API, no database):
 *   npx tsx scripts/bench/primitives.ts [--address 127.0.0.1:7233] [--n1 100] [--n5 300] [--purchases 200]
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Redis } from '../../src/platform/redis.js';
import { ReservationRepository } from '../../src/booking/repository.js';
import type { Db } from '../../src/platform/db/client.js';
import { encryptedDataConverter } from '../../src/platform/temporal-codec.js';
import type { CpuSampler, CpuDelta } from './cpu.js';
import { confirmUpdate, emptyPurchaseWorkflow, emptyWorkflow, nudgeSignal, pingUpdate } from './empty-workflow.js';
import { runPool, Samples } from './stats.js';

/** Latencies of `count` calls at a fixed number in flight (closed loop), with the wall time. */
export class Measurement {
  constructor(
    readonly samples: Samples,
    readonly elapsedMs: number,
    readonly concurrency: number,
    /** CPU per process over the measurement, when a sampler was given. */
    readonly cpu?: CpuDelta,
  ) {}

  get count() {
    return this.samples.count;
  }

  /** Completed calls per second. */
  get rate() {
    return this.samples.count / (this.elapsedMs / 1000);
  }

  p(pct: number) {
    return this.samples.percentile(pct);
  }

  line(): string {
    return this.samples.line(this.elapsedMs);
  }

  /** CPU ms per call, per process: `temporal 12.1, bench 5.3`. */
  cpuPerCall(names?: string[]): string {
    if (!this.cpu) return '';
    return this.cpu.perOp(this.count, names);
  }
}

/** Closed loop: `count` calls of `job` with `concurrency` in flight (a call that throws still counts its latency; see runPool). */
export async function measure(name: string, count: number, concurrency: number, job: (i: number) => Promise<unknown>, cpu?: CpuSampler): Promise<Measurement> {
  const samples = new Samples(name);
  const mark = cpu?.mark();
  const elapsed = await runPool(count, concurrency, async (i) => {
    await samples.time(() => job(i));
  });
  return new Measurement(samples, elapsed, concurrency, mark?.());
}

let runtimeInstalled = false;
/** Installs a quiet Temporal Core runtime once per process (must precede any worker or native connection). */
export function installQuietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  try {
    Runtime.install({ logger: quiet });
  } catch {
    /* already installed by someone else in this process */
  }
}

/**
 * An empty-workflow worker and a client on its own task queue, with the product's payload codec on
 * both sides so the comparison with a hold is fair.
 */
export class EmptyTemporal {
  private constructor(
    private readonly client: Client,
    private readonly worker: Worker,
    private readonly running: Promise<void>,
    private readonly native: NativeConnection,
    readonly taskQueue: string,
    private readonly idPrefix: string,
  ) {}

  static async start(opts: { address: string; namespace?: string; dataEncryptionKey: string; runId?: string }): Promise<EmptyTemporal> {
    installQuietRuntime();
    const runId = opts.runId ?? `prim${randomBytes(3).toString('hex')}`;
    const namespace = opts.namespace ?? 'default';
    const dataConverter = encryptedDataConverter(opts.dataEncryptionKey);
    const native = await NativeConnection.connect({ address: opts.address });
    const taskQueue = `empty-${runId}`;
    const worker = await Worker.create({
      connection: native,
      namespace,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./empty-workflow.ts', import.meta.url)),
      dataConverter,
      bundlerOptions: { ignoreModules: [] },
    });
    const running = worker.run();
    const client = new Client({ connection: await Connection.connect({ address: opts.address }), namespace, dataConverter });
    return new EmptyTemporal(client, worker, running, native, taskQueue, `${runId}-empty`);
  }

  private seq = 0;

  /** One Update-with-Start of an empty workflow; resolves with the update's answer. */
  uwsOnce(): Promise<string> {
    return this.client.workflow.executeUpdateWithStart(pingUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation(emptyWorkflow, {
        workflowId: `${this.idPrefix}-${this.seq++}`,
        taskQueue: this.taskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
  }

  /** The bare purchase: Update-with-Start (ping), then one more update (confirm) on the same workflow. */
  async purchaseOnce(): Promise<void> {
    const workflowId = `${this.idPrefix}-p${this.seq++}`;
    await this.client.workflow.executeUpdateWithStart(pingUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation(emptyPurchaseWorkflow, { workflowId, taskQueue: this.taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' }),
    });
    await this.client.workflow.getHandle(workflowId).executeUpdate(confirmUpdate);
  }

  /** A signal to a running workflow (what the card webhook sends), `count` at `concurrency` in flight. */
  async signals(count: number, concurrency: number, cpu?: CpuSampler): Promise<Measurement> {
    const workflowId = `${this.idPrefix}-s${this.seq++}`;
    await this.client.workflow.executeUpdateWithStart(pingUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation(emptyPurchaseWorkflow, { workflowId, taskQueue: this.taskQueue, workflowIdConflictPolicy: 'USE_EXISTING' }),
    });
    const handle = this.client.workflow.getHandle(workflowId);
    const m = await measure(`workflow signal @${concurrency}`, count, concurrency, () => handle.signal(nudgeSignal), cpu);
    await handle.executeUpdate(confirmUpdate);
    return m;
  }

  /** Empty Update-with-Start, `count` calls at `concurrency` in flight. */
  uws(count: number, concurrency: number, cpu?: CpuSampler): Promise<Measurement> {
    return measure(`empty UWS @${concurrency}`, count, concurrency, () => this.uwsOnce(), cpu);
  }

  /** Bare purchases (UWS + one update), `count` at `concurrency` in flight; rate = purchases/s. */
  purchases(count: number, concurrency: number, cpu?: CpuSampler): Promise<Measurement> {
    return measure(`bare purchase (UWS+update) @${concurrency}`, count, concurrency, () => this.purchaseOnce(), cpu);
  }

  async close() {
    this.worker.shutdown();
    await this.running;
    await this.client.connection.close();
    await this.native.close();
  }
}

/**
 * The hold's database work alone: the production ReservationRepository.hold(), which is the very
 * transaction the worker's hold activity runs (read the seats, the optimistic UPDATE, the
 * reservation, its seats and its first event, all in one transaction), called in-process on a pool
 * the size of the worker's. No HTTP, no Temporal, no Redis lock: hold / this is the price of
 * everything around the transaction. Each call takes a fresh seat, so `seats` must hold `count`.
 */
export function transactionalHold(
  db: Db,
  target: { concertId: number; scheduleId: number; seatIds: number[] },
  userIds: number[],
  count: number,
  concurrency: number,
): Promise<Measurement> {
  if (target.seatIds.length < count) throw new Error(`transactionalHold needs ${count} seats, got ${target.seatIds.length}`);
  const repository = new ReservationRepository(db);
  const tag = randomBytes(4).toString('hex');
  const samples = new Samples(`hold transaction (in-process) @${concurrency}`);
  return (async () => {
    const elapsed = await runPool(count, concurrency, async (i) => {
      const result = await samples.time(() =>
        repository.hold({
          reservationId: `bench${tag}${i}`,
          userId: userIds[i % userIds.length]!,
          scheduleId: target.scheduleId,
          concertId: target.concertId,
          seatIds: [target.seatIds[i]!],
          holdTtlMs: 600_000,
        }),
      );
      if (!result.ok) throw new Error(`hold transaction refused seat ${target.seatIds[i]}: ${result.code}`);
    });
    return new Measurement(samples, elapsed, concurrency);
  })();
}

/** Redis SET NX PX on fresh keys (the per-seat lock's fast path). */
export function redisSetNx(redis: Redis, count: number, concurrency: number, keyPrefix = 'nx:'): Promise<Measurement> {
  return measure(`Redis SET NX PX @${concurrency}`, count, concurrency, (i) => redis.set(`${keyPrefix}${i}`, 'x', 'PX', 60_000, 'NX'));
}

/** A bare HTTP GET (e.g. /healthz): the HTTP stack's floor in the API process. */
export function httpGet(url: string, count: number, concurrency: number, cpu?: CpuSampler): Promise<Measurement> {
  const path = new URL(url).pathname;
  return measure(`HTTP GET ${path} @${concurrency}`, count, concurrency, async () => {
    const res = await fetch(url);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  }, cpu);
}

/** Formats p50 in ms with one decimal. */
export const ms = (v: number) => `${v.toFixed(1)} ms`;

// ---- CLI: the Temporal primitives alone ----------------------------------------------------------
async function cli() {
  const { values } = parseArgs({
    options: {
      address: { type: 'string', default: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' },
      n1: { type: 'string', default: '100' },
      n5: { type: 'string', default: '300' },
      purchases: { type: 'string', default: '200' },
      warmup: { type: 'string', default: '20' },
    },
  });
  const { loadConfig } = await import('../../src/config.js');
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const { CpuSampler, describeTemporalTuning, findTemporalPid } = await import('./cpu.js');
  const runDir = fileURLToPath(new URL(`../../.stack/${process.env.STACK_PROFILE ?? 'dev'}/run`, import.meta.url));
  const cpu = new CpuSampler({ temporal: findTemporalPid(values.address!, runDir), bench: process.pid });
  const t = await EmptyTemporal.start({ address: values.address!, dataEncryptionKey: config.DATA_ENCRYPTION_KEY });
  try {
    await t.uws(Number(values.warmup), 5);
    const one = await t.uws(Number(values.n1), 1, cpu);
    const five = await t.uws(Number(values.n5), 5, cpu);
    const buy = await t.purchases(Number(values.purchases), 5, cpu);
    console.log(`Temporal ${values.address} (${cpu.describe()})`);
    console.log(`  ${describeTemporalTuning(cpu.pids.temporal)}`);
    for (const m of [one, five, buy]) console.log(`  ${m.line()}   CPU ms/op: ${m.cpuPerCall()}`);
  } finally {
    await t.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
