import { appendEvent } from '../events/index.js';
import type { Db } from '../platform/db/client.js';
import type { QueueChange, SaleEndReason } from './domain.js';
import type { AdmissionDecision } from './admission-control.js';

export type SaleChange = { kind: 'ENDED'; reason: SaleEndReason; atMs: number } | { kind: 'REOPENED'; atMs: number };

/** Port: where admissions, endings, the sale's end and admission changes are recorded as domain events. */
export interface QueueEventSink {
  record(scheduleId: number, changes: QueueChange[]): Promise<void>;
  sale(scheduleId: number, change: SaleChange): Promise<void>;
  admission(scheduleId: number, decision: AdmissionDecision & { atMs: number }): Promise<void>;
}

/** Schedule-level queue events share one aggregate per schedule, ordered by its sequence. */
const scheduleAggregate = (scheduleId: number) => `schedule-${scheduleId}`;

/**
 * Queue state lives in Redis, not MySQL, so these outbox rows are written right AFTER the Redis
 * change, not in the same transaction: a process dying in between loses the event (the queue
 * itself stays right). The aggregate is the token, so its events are ordered per token.
 */
export class OutboxQueueEvents implements QueueEventSink {
  constructor(private readonly db: Db) {}

  async record(scheduleId: number, changes: QueueChange[]): Promise<void> {
    // A token appears at most once per script run, so a batch can be written in parallel chunks.
    for (let i = 0; i < changes.length; i += 8) await Promise.all(changes.slice(i, i + 8).map((ch) => this.one(scheduleId, ch)));
  }

  async sale(scheduleId: number, change: SaleChange): Promise<void> {
    const opts = { occurredAt: new Date(change.atMs) };
    if (change.kind === 'ENDED') await appendEvent(this.db, 'QueueSaleEnded', scheduleAggregate(scheduleId), { scheduleId, reason: change.reason }, opts);
    else await appendEvent(this.db, 'QueueSaleReopened', scheduleAggregate(scheduleId), { scheduleId }, opts);
  }

  async admission(scheduleId: number, d: AdmissionDecision & { atMs: number }): Promise<void> {
    const payload = { scheduleId, admitRatePerSec: d.admitRatePerSec, maxActive: d.maxActive, previousAdmitRatePerSec: d.previous.admitRatePerSec, previousMaxActive: d.previous.maxActive, reason: d.reason };
    await appendEvent(this.db, 'QueueAdmissionAdjusted', scheduleAggregate(scheduleId), payload, { occurredAt: new Date(d.atMs) });
  }

  private async one(scheduleId: number, ch: QueueChange): Promise<void> {
    const base = { userId: ch.userId, scheduleId, tokenId: ch.tokenId };
    const opts = { userId: ch.userId, occurredAt: new Date(ch.atMs) };
    if (ch.kind === 'ADMITTED') await appendEvent(this.db, 'QueueTokenAdmitted', ch.tokenId, base, opts);
    else await appendEvent(this.db, 'QueueTokenExpired', ch.tokenId, { ...base, reason: ch.reason ?? 'UNKNOWN' }, opts);
  }
}
