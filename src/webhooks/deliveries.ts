import { and, asc, desc, eq, lt, sql } from 'drizzle-orm';
import { isDuplicateKey, type Db } from '../platform/db/client.js';
import { webhookAttempts, webhookDeliveries } from './schema.js';

export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;
export type DeliveryStatus = DeliveryRow['status'];

/** One HTTP attempt's result: the answer's status, or the error when there was none (timeout, refused). */
export interface AttemptResult {
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** Deliveries and their attempt log, on webhooks' own database. */
export class WebhookDeliveries {
  constructor(private readonly db: Db) {}

  /** Makes the delivery of one event to one endpoint, or finds the one a previous reading made. */
  async open(input: { endpointId: number; eventId: string; eventType: string; messageId: string; body: unknown; workflowId: string }): Promise<DeliveryRow> {
    try {
      await this.db.insert(webhookDeliveries).values(input);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const [row] = await this.db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, input.endpointId), eq(webhookDeliveries.eventId, input.eventId)))
      .limit(1);
    return row!;
  }

  async find(id: number): Promise<DeliveryRow | undefined> {
    const [row] = await this.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).limit(1);
    return row;
  }

  /** Newest first, keyset-paged by id. */
  forEndpoint(endpointId: number, opts: { before?: number | undefined; limit: number }): Promise<DeliveryRow[]> {
    const where = opts.before ? and(eq(webhookDeliveries.endpointId, endpointId), lt(webhookDeliveries.id, opts.before)) : eq(webhookDeliveries.endpointId, endpointId);
    return this.db.select().from(webhookDeliveries).where(where).orderBy(desc(webhookDeliveries.id)).limit(opts.limit);
  }

  attemptsOf(deliveryId: number): Promise<AttemptRow[]> {
    return this.db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, deliveryId)).orderBy(asc(webhookAttempts.id));
  }

  /**
   * Logs one request of a run (append-only: a retried activity's request is logged again) and sets
   * the delivery's summary: attempts so far, the last answer, and either the next attempt's time or
   * the final status.
   */
  async recordAttempt(deliveryId: number, run: number, attempt: number, result: AttemptResult, next: { nextAttemptAt: Date } | { status: Exclude<DeliveryStatus, 'PENDING'> }): Promise<void> {
    const error = result.error?.slice(0, 300) ?? null;
    await this.db
      .insert(webhookAttempts)
      .values({ deliveryId, run, attempt, statusCode: result.statusCode, latencyMs: result.latencyMs, error });
    const counted = sql`(SELECT COUNT(*) FROM ${webhookAttempts} WHERE ${webhookAttempts.deliveryId} = ${deliveryId})`;
    await this.db
      .update(webhookDeliveries)
      .set({
        attempts: counted,
        lastStatusCode: result.statusCode,
        lastLatencyMs: result.latencyMs,
        lastError: error,
        ...('status' in next ? { status: next.status, nextAttemptAt: null, finishedAt: new Date() } : { nextAttemptAt: next.nextAttemptAt }),
      })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'PENDING')));
  }

  /** Ends a pending delivery without another attempt (its endpoint was disabled or deleted). */
  async cancel(deliveryId: number): Promise<void> {
    await this.db
      .update(webhookDeliveries)
      .set({ status: 'CANCELLED', nextAttemptAt: null, finishedAt: new Date() })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.status, 'PENDING')));
  }

  /** Cancels every pending delivery of an endpoint; returns the workflows that drive them (to stop them). */
  async cancelPendingOf(endpointId: number): Promise<string[]> {
    const pending = await this.db
      .select({ id: webhookDeliveries.id, workflowId: webhookDeliveries.workflowId })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, 'PENDING')));
    for (const d of pending) await this.cancel(d.id);
    return pending.map((d) => d.workflowId);
  }

  /**
   * Starts a replay: the delivery is pending again under a new run (its number is `replays`), driven
   * by a new workflow; its message id and body stay, so the receiver sees the same `webhook-id`.
   * Refused (undefined) while a run is still pending.
   */
  async beginReplay(deliveryId: number, workflowIdFor: (replay: number) => string): Promise<DeliveryRow | undefined> {
    const current = await this.find(deliveryId);
    if (!current || current.status === 'PENDING') return undefined;
    const replay = current.replays + 1;
    const [res] = await this.db
      .update(webhookDeliveries)
      .set({ status: 'PENDING', replays: replay, workflowId: workflowIdFor(replay), nextAttemptAt: new Date(), finishedAt: null })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.replays, current.replays), eq(webhookDeliveries.status, current.status)));
    return res.affectedRows > 0 ? this.find(deliveryId) : undefined;
  }
}
