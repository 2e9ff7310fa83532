import { and, count, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import { domainEvents } from './outbox-schema.js';

export type AuditKind = 'ADMIN' | 'SECURITY';

/** The aggregates the audit log reads: AdminAction events are 'admin', SecurityEvent ones 'security'. */
const aggregateOf: Record<AuditKind, string> = { ADMIN: 'admin', SECURITY: 'security' };

type Key = { position: number; occurredAt: Date };

/**
 * The back office's audit log: AdminAction and SecurityEvent events, already written in the
 * transactions of the changes they record, read back from the event log newest first. The filter
 * on aggregate_type uses the (aggregate_type, aggregate_id, sequence) unique index's prefix, so
 * the rest of the log (reservations, wallets) is never scanned. `userId` is the actor (admin) or
 * the account a security event is about.
 *
 * The events are in more than one outbox (each commits with its change in its own database):
 * booking's holds the admin actions of catalog and the queue, identity's the security events and
 * the admin actions identity records (its own, and those recorded through SecurityAudit). Each
 * outbox is read in its own order (position) and the outboxes are merged newest first by occurred_at.
 */
export class AuditLog {
  constructor(private readonly outboxes: readonly Db[]) {}

  async list(filter: { kind?: AuditKind | undefined; userId?: number | undefined }, page: number, pageSize: number) {
    const kinds = filter.kind ? [filter.kind] : (['ADMIN', 'SECURITY'] as const);
    const where = and(inArray(domainEvents.aggregateType, kinds.map((k) => aggregateOf[k])), filter.userId !== undefined ? eq(domainEvents.userId, filter.userId) : undefined);
    const upTo = page * pageSize;
    // Each outbox's newest `upTo` keys (no payloads), then the page's rows by position.
    const perOutbox = await Promise.all(
      this.outboxes.map(async (db) => {
        const [keys, [total]] = await Promise.all([
          db.select({ position: domainEvents.position, occurredAt: domainEvents.occurredAt }).from(domainEvents).where(where).orderBy(desc(domainEvents.position)).limit(upTo),
          db.select({ n: count() }).from(domainEvents).where(where),
        ]);
        return { keys, total: Number(total?.n ?? 0) };
      }),
    );
    const picked = mergeNewestFirst(perOutbox.map((o) => o.keys)).slice((page - 1) * pageSize, upTo);
    const rowsByOutbox = await Promise.all(
      this.outboxes.map(async (db, i) => {
        const positions = picked.filter((p) => p.outbox === i).map((p) => p.key.position);
        const rows = positions.length ? await db.select().from(domainEvents).where(inArray(domainEvents.position, positions)) : [];
        return new Map(rows.map((r) => [r.position, r]));
      }),
    );
    const rows = picked.map((p) => rowsByOutbox[p.outbox]!.get(p.key.position)).filter((r) => r !== undefined);
    return {
      items: rows.map((r) => ({
        id: r.id,
        kind: r.aggregateType === 'admin' ? ('ADMIN' as const) : ('SECURITY' as const),
        type: r.type,
        userId: r.userId,
        occurredAt: r.occurredAt.toISOString(),
        payload: r.payload as Record<string, unknown>,
      })),
      total: perOutbox.reduce((n, o) => n + o.total, 0),
    };
  }
}

/** Merges lists that are each newest first, keeping each list's own order: the latest head goes next. */
function mergeNewestFirst(lists: Key[][]): Array<{ outbox: number; key: Key }> {
  const at = lists.map(() => 0);
  const out: Array<{ outbox: number; key: Key }> = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const head = lists[i]![at[i]!];
      if (head && (best < 0 || head.occurredAt > lists[best]![at[best]!]!.occurredAt)) best = i;
    }
    if (best < 0) return out;
    out.push({ outbox: best, key: lists[best]![at[best]!]! });
    at[best] = at[best]! + 1;
  }
}
