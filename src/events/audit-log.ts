import { and, count, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import { domainEvents } from './outbox-schema.js';

export type AuditKind = 'ADMIN' | 'SECURITY';

/** The aggregates the audit log reads: AdminAction events are 'admin', SecurityEvent ones 'security'. */
const aggregateOf: Record<AuditKind, string> = { ADMIN: 'admin', SECURITY: 'security' };

/**
 * The back office's audit log: AdminAction and SecurityEvent events, already written in the
 * transactions of the changes they record, read back from the event log newest first. The filter
 * on aggregate_type uses the (aggregate_type, aggregate_id, sequence) unique index's prefix, so
 * the rest of the log (reservations, wallets) is never scanned. `userId` is the actor (admin) or
 * the account a security event is about.
 */
export class AuditLog {
  constructor(private readonly db: Db) {}

  async list(filter: { kind?: AuditKind | undefined; userId?: number | undefined }, page: number, pageSize: number) {
    const kinds = filter.kind ? [filter.kind] : (['ADMIN', 'SECURITY'] as const);
    const where = and(inArray(domainEvents.aggregateType, kinds.map((k) => aggregateOf[k])), filter.userId !== undefined ? eq(domainEvents.userId, filter.userId) : undefined);
    const [rows, [total]] = await Promise.all([
      this.db.select().from(domainEvents).where(where).orderBy(desc(domainEvents.position)).limit(pageSize).offset((page - 1) * pageSize),
      this.db.select({ n: count() }).from(domainEvents).where(where),
    ]);
    return {
      items: rows.map((r) => ({
        id: r.id,
        kind: r.aggregateType === 'admin' ? ('ADMIN' as const) : ('SECURITY' as const),
        type: r.type,
        userId: r.userId,
        occurredAt: r.occurredAt.toISOString(),
        payload: r.payload as Record<string, unknown>,
      })),
      total: Number(total?.n ?? 0),
    };
  }
}
