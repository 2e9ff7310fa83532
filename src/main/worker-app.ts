import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { NativeConnection} from '@temporalio/worker';
import { bundleWorkflowCode, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, recipientTicketLimit, transferActivities, transferredTicketCount, type BookingActivities, type TransferActivities } from '../../activities/index.js';
import { SWEEPER_SCHEDULE_ID, SWEEPER_WORKFLOW_ID, SWEEPER_WORKFLOW_TYPE } from '../../workflows/booking/sweeper-contract.js';
import { RECONCILIATION_SCHEDULE_ID, RECONCILIATION_WORKFLOW_TYPE } from '../../workflows/payment/reconciliation-contract.js';
import { ReservationRepository } from '../booking/repository.js';
import { ReservationWorkflows } from '../booking/reservation-workflows.js';
import { SeatStatusRepository } from '../booking/seat-status-repository.js';
import { RedisSeatLocks } from '../booking/seat-locks.js';
import { CatalogRepository } from '../catalog/repository.js';
import type { Config } from '../config.js';
import type { PaymentProvider } from '../payment/provider.js';
import { createPaymentProvider } from '../payment/provider-factory.js';
import { CardOutcomeDelivery } from '../payment/card-outcome-delivery.js';
import { createPaymentModule } from '../payment/module.js';
import { paymentActivities, type PaymentActivities } from '../../activities/payment.js';
import type { Db } from '../platform/db/client.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { Redis } from '../platform/redis.js';
import { encryptedDataConverter } from '../platform/temporal-codec.js';
import { queueCloser, queueSettledHook } from '../queue/wiring.js';
import { ScheduleLifecycle } from '../catalog/lifecycle.js';
import { TicketRepository } from '../ticketing/repository.js';
import { TransferRepository } from '../ticketing/transfer-repository.js';
import { transferSettingsOf } from '../ticketing/transfer-domain.js';
import { WaitlistRepository } from '../waitlist/repository.js';

export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

/** Bundles the workflow code once (saves a webpack run and ~100 MB per worker start). */
export const bundleWorkflows = () => bundleWorkflowCode({ workflowsPath, logger: { log() {}, info() {}, warn() {}, error: console.error, debug() {}, trace() {} } });

/** Where `npm run build` puts the bundle, seen from the compiled file (dist/workflow-bundle.js). */
const builtBundlePath = fileURLToPath(new URL('../../workflow-bundle.js', import.meta.url));

/**
 * The workflow code a worker runs: WORKFLOW_BUNDLE_PATH when set, else the build's bundle when this
 * file runs from dist/, else a bundle made now from workflows/ (development through tsx).
 */
export async function workflowBundleFor(config: Pick<Config, 'WORKFLOW_BUNDLE_PATH'>): Promise<NonNullable<WorkerOptions['workflowBundle']>> {
  const codePath = config.WORKFLOW_BUNDLE_PATH ?? (existsSync(builtBundlePath) ? builtBundlePath : undefined);
  return codePath ? { codePath } : bundleWorkflows();
}

export interface WorkerDeps {
  config: Config;
  db: Db;
  /**
   * Payment's own database (its own user): given only when this process serves payment's queue too
   * (WORKER_SERVES_PAYMENTS); booking's activities then also serve the payment steps of workflows
   * started before those steps moved to payment's queue.
   */
  paymentDb?: Db | undefined;
  /** The waiting list's own database (its own user): released seats go to its offers first. */
  waitlistDb: Db;
  redis: Redis;
  client: Client;
  connection: NativeConnection;
  metrics: Metrics;
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Tests replace single activities (fault injection); production passes nothing. */
  overrideActivities?: (activities: BookingActivities) => Partial<BookingActivities>;
  onReservationSettled?: (r: { reservationId: string; scheduleId: number; userId: number; outcome: 'CONFIRMED' | 'RELEASED' }) => Promise<void>;
  /** The card payment provider; by default the configured one (PAYMENT_PROVIDER). */
  paymentProvider?: PaymentProvider | undefined;
}

export function buildActivities(deps: Omit<WorkerDeps, 'connection' | 'workflowBundle'>): BookingActivities {
  const seatStatus = new SeatStatusRepository(deps.db);
  const catalog = new CatalogRepository(deps.db, seatStatus);
  // Released seats go to the schedule's waiting list first, asked while the release transaction is open (docs/waitlist.md).
  const waitlist = new WaitlistRepository(deps.waitlistDb, { offerTtlMs: deps.config.WAITLIST_OFFER_TTL_SECONDS * 1000 }, catalog);
  // A hold counts tickets received by transfer against the buyer's ticket limit (docs/tickets.md "Transfer").
  const reservations: ReservationRepository = new ReservationRepository(deps.db, waitlist, undefined, transferredTicketCount(() => reservations));
  const reservationWorkflows = new ReservationWorkflows(deps.client, deps.config.TEMPORAL_TASK_QUEUE, deps.config.PAYMENT_TASK_QUEUE);
  // Ticketing's admission check runs inside booking's refund-start transaction (same database today).
  const tickets = new TicketRepository(deps.db, reservations, catalog);
  // Payment's module only for steps of workflows started before payment's own queue (see legacyPayment).
  const legacy = deps.paymentDb ? paymentModuleFor(deps.config, deps.paymentDb, deps.client, deps.paymentProvider, 'paymentProvider' in deps) : undefined;
  const activities = createActivities({
    reservations,
    startOffer: (offer) => reservationWorkflows.startOffer(offer),
    offerLockTtlMs: deps.config.WAITLIST_OFFER_TTL_SECONDS * 1000 + 30_000,
    admissions: tickets,
    legacyPayment: legacy && { wallets: legacy.wallets, refunds: legacy.purchaseRefunds },
    legacyCards: legacy && { cards: legacy.cards },
    seatLocks: new RedisSeatLocks(deps.redis),
    temporal: deps.client,
    fixed: deps.metrics.counter('sweeper_released_holds_total', 'Orphaned holds released by the sweeper'),
    graceMs: 10_000,
    // Default: end the buyer's ACTIVE waiting-room token so the next waiter is admitted at once.
    // The token stays while the buyer holds other seats of the schedule (they may still pay them).
    onReservationSettled: deps.onReservationSettled ?? queueSettledHook({ ...deps, liveHolds: (userId, scheduleId) => reservations.liveHolds(userId, scheduleId) }),
    cancellation: {
      lifecycle: new ScheduleLifecycle(deps.db, seatStatus),
      holds: reservationWorkflows,
      refunds: reservationWorkflows,
      admitted: tickets,
      closeQueue: queueCloser(deps),
      waitingList: { close: async (scheduleId) => void (await waitlist.closeWaitingList(scheduleId)) },
    },
  });
  return { ...activities, ...(deps.overrideActivities?.(activities) ?? {}) };
}

/** Ticketing's transfer steps (workflows/ticketing/transfer.ts), on booking's queue: ticketing's tables are in its database. */
export function buildTransferActivities(deps: Pick<WorkerDeps, 'config' | 'db'>): TransferActivities {
  const catalog = new CatalogRepository(deps.db);
  const reservations = new ReservationRepository(deps.db);
  return transferActivities({ transfers: new TransferRepository(deps.db, reservations, catalog, recipientTicketLimit(reservations), transferSettingsOf(deps.config)) });
}

export async function createBookingWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    // Payloads are AES-256-GCM encrypted (src/platform/temporal-codec.ts), like the clients'.
    dataConverter: encryptedDataConverter(deps.config.DATA_ENCRYPTION_KEY, deps.config.DATA_ENCRYPTION_KEY_PREVIOUS),
    workflowBundle: deps.workflowBundle ?? (await workflowBundleFor(deps.config)),
    activities: { ...buildActivities(deps), ...buildTransferActivities(deps) },
    maxConcurrentActivityTaskExecutions: deps.config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: deps.config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    shutdownGraceTime: '10s',
  });
}

export interface PaymentWorkerDeps {
  config: Config;
  paymentDb: Db;
  connection: NativeConnection;
  /** For the reconciliation's repairs (signals to reservation workflows, late-payment workflows). */
  client: Client;
  metrics: Metrics;
  /** The card payment provider; by default the configured one (PAYMENT_PROVIDER). */
  paymentProvider?: PaymentProvider | undefined;
  /** Tests replace single activities (fault injection); production passes nothing. */
  overrideActivities?: (activities: PaymentActivities) => Partial<PaymentActivities>;
}

/** Payment's module with the configured provider (or the given one, `undefined` meaning none). */
function paymentModuleFor(config: Config, db: Db, client: Client, provider: PaymentProvider | undefined, given: boolean) {
  const module = createPaymentModule(db, { maxBalance: config.WALLET_MAX_BALANCE }, given ? provider : createPaymentProvider(config));
  return { ...module, delivery: new CardOutcomeDelivery(client, config.TEMPORAL_TASK_QUEUE, config.PAYMENT_TASK_QUEUE) };
}

export function buildPaymentActivities(deps: Omit<PaymentWorkerDeps, 'connection'>): PaymentActivities {
  const payment = paymentModuleFor(deps.config, deps.paymentDb, deps.client, deps.paymentProvider, 'paymentProvider' in deps);
  const mismatches = reconciliationMismatches(deps.metrics);
  const reconciliation = payment.reconciliation(payment.delivery, (m) => mismatches.inc({ kind: m.kind }));
  const activities = paymentActivities({
    wallets: payment.wallets,
    refunds: payment.purchaseRefunds,
    cards: payment.cards,
    reconciliation: reconciliation && { run: (since, until) => reconciliation.run(since, until), windowMs: deps.config.RECONCILIATION_WINDOW_HOURS * 3_600_000 },
  });
  return { ...activities, ...(deps.overrideActivities?.(activities) ?? {}) };
}

/**
 * The payment worker: payment's activities on PAYMENT_TASK_QUEUE, on payment's database only. No
 * workflows: the reservation, refund, late-payment and reconciliation workflows (booking's queue)
 * call these across task queues.
 */
export async function createPaymentWorker(deps: PaymentWorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue: deps.config.PAYMENT_TASK_QUEUE,
    dataConverter: encryptedDataConverter(deps.config.DATA_ENCRYPTION_KEY, deps.config.DATA_ENCRYPTION_KEY_PREVIOUS),
    activities: buildPaymentActivities(deps),
    maxConcurrentActivityTaskExecutions: deps.config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    shutdownGraceTime: '10s',
  });
}

/** Creates the every-minute sweeper schedule once; an existing schedule is left as it is. */
export const ensureSweeperSchedule = (client: Client, taskQueue: string) => ensureSchedule(client, { id: SWEEPER_SCHEDULE_ID, workflowId: SWEEPER_WORKFLOW_ID, workflowType: SWEEPER_WORKFLOW_TYPE, every: '1m', taskQueue });

/** The hourly payment reconciliation (docs/payments.md). */
export const ensureReconciliationSchedule = (client: Client, taskQueue: string, paymentTaskQueue: string) =>
  ensureSchedule(client, { id: RECONCILIATION_SCHEDULE_ID, workflowId: RECONCILIATION_SCHEDULE_ID, workflowType: RECONCILIATION_WORKFLOW_TYPE, every: '1h', taskQueue, args: [{ paymentTaskQueue }] });

async function ensureSchedule(client: Client, s: { id: string; workflowId: string; workflowType: string; every: '1m' | '1h'; taskQueue: string; args?: unknown[] }): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: s.id,
      spec: { intervals: [{ every: s.every }] },
      action: { type: 'startWorkflow', workflowType: s.workflowType, taskQueue: s.taskQueue, workflowId: s.workflowId, ...(s.args ? { args: s.args } : {}) },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}

/** Found by the reconciliation and not repaired (docs/monitoring/alerts.yml PaymentReconciliationMismatch). */
export const reconciliationMismatches = (metrics: Metrics) =>
  metrics.counter('payment_reconciliation_mismatches_total', 'Card payments on which we and the provider disagree and that were not repaired', ['kind']);
