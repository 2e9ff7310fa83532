import { asc, inArray, isNull, sql } from 'drizzle-orm';
import type mysql from 'mysql2/promise';
import type { Db } from '../platform/db/client.js';
import { domainEvents } from './outbox-schema.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import { toEnvelope, topicFor } from './catalog.js';

export interface TopicMessages {
  topic: string;
  messages: Array<{ key: string; value: string; headers: Record<string, string> }>;
}

/** Port to the message broker: publish a batch, in order, acknowledged by all replicas, or throw. */
export interface EventPublisher {
  publish(topicMessages: TopicMessages[]): Promise<void>;
}

export interface RelayOptions {
  topicPrefix: string;
  batchSize: number;
  pollMs: number;
  lockName: string;
  /** Which domain's outbox this relay publishes (the `outbox` label of its metrics); default `booking`. */
  outbox?: string;
}

/**
 * Publishes the outbox to Kafka in log order. Several relays may run; a MySQL named lock
 * (GET_LOCK, freed automatically when its connection dies) lets exactly one publish at a time,
 * so per-aggregate order holds and no race publishes an event twice. Delivery is at-least-once:
 * a crash between send and mark republishes a batch, and consumers dedupe by event id.
 */
export class OutboxRelay {
  private stopped = false;
  private leaderConn: mysql.PoolConnection | undefined;
  private loop: Promise<void> | undefined;
  private readonly published;
  private readonly errors;
  private readonly lag;
  private readonly lagSeconds;
  private readonly leader;
  private readonly outbox: string;

  constructor(
    private readonly db: Db,
    private readonly pool: mysql.Pool,
    private readonly publisher: EventPublisher,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly opts: RelayOptions,
  ) {
    // Every series carries the outbox it is about: one relay per domain database shares the registry.
    const outbox = { outbox: opts.outbox ?? 'booking' };
    this.published = metrics.counter('outbox_events_published_total', 'Events published to Kafka', ['type', 'outbox']);
    this.errors = metrics.counter('outbox_publish_errors_total', 'Failed publish attempts', ['outbox']).labels(outbox);
    this.lag = metrics.gauge('outbox_unpublished_events', 'Events in the outbox not yet published', ['outbox']).labels(outbox);
    this.lagSeconds = metrics.gauge('outbox_oldest_unpublished_age_seconds', 'Age of the oldest unpublished event', ['outbox']).labels(outbox);
    this.leader = metrics.gauge('outbox_relay_leader', '1 while this relay holds the publishing lock', ['outbox']).labels(outbox);
    this.outbox = outbox.outbox;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.releaseLeadership();
  }

  /** Publishes one batch; returns how many events went out. Exposed for tests. */
  async publishBatch(): Promise<number> {
    const rows = await this.db.select().from(domainEvents).where(isNull(domainEvents.publishedAt)).orderBy(asc(domainEvents.position)).limit(this.opts.batchSize);
    if (rows.length === 0) return 0;
    const byTopic = new Map<string, TopicMessages['messages']>();
    for (const r of rows) {
      const envelope = toEnvelope(r);
      const topic = topicFor(this.opts.topicPrefix, r.aggregateType);
      if (!byTopic.has(topic)) byTopic.set(topic, []);
      byTopic.get(topic)!.push({ key: r.aggregateId, value: JSON.stringify(envelope), headers: { 'event-id': r.id, 'event-type': r.type } });
    }
    await this.publisher.publish([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    await this.db.update(domainEvents).set({ publishedAt: new Date() }).where(inArray(domainEvents.position, rows.map((r) => r.position)));
    for (const r of rows) this.published.inc({ type: r.type, outbox: this.outbox });
    return rows.length;
  }

  async measureLag(): Promise<void> {
    const [row] = await this.db
      .select({ n: sql<number>`count(*)`, oldest: sql<Date | null>`min(${domainEvents.occurredAt})` })
      .from(domainEvents)
      .where(isNull(domainEvents.publishedAt));
    this.lag.set(Number(row?.n ?? 0));
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : undefined;
    this.lagSeconds.set(oldest ? Math.max(0, (Date.now() - oldest) / 1000) : 0);
  }

  private async run(): Promise<void> {
    let backoff = this.opts.pollMs;
    let lastLag = 0;
    while (!this.stopped) {
      try {
        if (Date.now() - lastLag > 5000) {
          lastLag = Date.now();
          await this.measureLag();
        }
        if (!(await this.ensureLeadership())) {
          await this.sleep(1000);
          continue;
        }
        const n = await this.publishBatch();
        backoff = this.opts.pollMs;
        if (n < this.opts.batchSize) await this.sleep(this.opts.pollMs);
      } catch (err) {
        this.errors.inc();
        this.log.warn({ err: String(err), retryInMs: backoff }, 'publishing failed; backing off');
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private async ensureLeadership(): Promise<boolean> {
    if (this.leaderConn) {
      try {
        const [rows] = await this.leaderConn.query('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine', [this.opts.lockName]);
        if ((rows as Array<{ mine: number }>)[0]?.mine === 1) return true;
      } catch {
        /* connection lost: the lock is gone with it */
      }
      await this.releaseLeadership();
    }
    const conn = await this.pool.getConnection();
    const [rows] = await conn.query('SELECT GET_LOCK(?, 0) AS got', [this.opts.lockName]);
    if ((rows as Array<{ got: number }>)[0]?.got === 1) {
      this.leaderConn = conn;
      this.leader.set(1);
      this.log.info('relay became the publishing leader');
      return true;
    }
    conn.release();
    return false;
  }

  private async releaseLeadership(): Promise<void> {
    const conn = this.leaderConn;
    this.leaderConn = undefined;
    this.leader.set(0);
    if (!conn) return;
    try {
      await conn.query('SELECT RELEASE_LOCK(?)', [this.opts.lockName]);
      conn.release();
    } catch {
      conn.destroy();
    }
  }

  private sleep(ms: number) {
    return new Promise<void>((r) => setTimeout(r, ms));
  }
}
