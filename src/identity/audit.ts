import { appendEvent } from '../events/index.js';
import { withTransaction, type Db, type DbOrTx } from '../platform/db/client.js';
import type { Logger } from '../platform/observability/logger.js';

export type SecurityEventKind =
  | 'LOGIN_FAILED'
  | 'ACCOUNT_LOCKED'
  | 'LOGIN_WHILE_LOCKED'
  | 'LOGIN_THROTTLED'
  | 'FORBIDDEN'
  | 'TOKEN_REVOKED'
  | 'REFRESH_TOKEN_REUSED'
  | 'LOGOUT_EVERYWHERE'
  | 'PASSWORD_CHANGED'
  | 'PASSWORD_CHANGE_FAILED'
  | 'TICKET_FORGED';

export interface SecurityEventInput {
  kind: SecurityEventKind;
  userId: number | null;
  ip: string | null;
  detail: string;
}

/**
 * Security events and admin actions go to two places: a structured log line (`audit: true`, for
 * the SIEM and for when the database is the thing under attack) and the event log (SecurityEvent /
 * AdminAction, so they reach Kafka like every other fact). Events are grouped per user, or per IP
 * when no account is known, so one attacker's noise stays in one aggregate.
 */
export class SecurityAudit {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  /** Records a security event in its own transaction; never throws (the request's answer matters more). */
  async record(event: SecurityEventInput): Promise<void> {
    try {
      await withTransaction(this.db, (tx) => this.append(tx, event), 6);
    } catch (err) {
      this.log.error({ err, securityEvent: event.kind }, 'could not record security event');
    }
  }

  /** Appends inside the caller's transaction (when the event belongs with a state change). */
  async append(tx: DbOrTx, event: SecurityEventInput): Promise<void> {
    this.log.warn({ audit: true, securityEvent: event.kind, userId: event.userId, ip: event.ip, detail: event.detail }, `security event ${event.kind}`);
    await appendEvent(tx, 'SecurityEvent', aggregateOf(event), { kind: event.kind, userId: event.userId, ip: event.ip, detail: event.detail.slice(0, 500) }, { userId: event.userId });
  }

  /** Records an admin action in its own transaction (when the change itself happened elsewhere, e.g. in a workflow). */
  async recordAdminAction(action: { adminId: number; action: string; target: string; detail: string }): Promise<void> {
    await withTransaction(this.db, (tx) => this.adminAction(tx, action));
  }

  async adminAction(tx: DbOrTx, action: { adminId: number; action: string; target: string; detail: string }): Promise<void> {
    this.log.info({ audit: true, adminAction: action.action, adminId: action.adminId, target: action.target, detail: action.detail }, `admin action ${action.action}`);
    await appendEvent(tx, 'AdminAction', identityAdminAggregate(action.adminId), action, { userId: action.adminId });
  }
}

/**
 * The aggregate of the admin actions identity records, in identity's own outbox. Catalog and the
 * queue append theirs as `admin-<id>` in booking's outbox, in the transactions of their changes: an
 * aggregate's events are in one outbox, each with its own unbroken sequence (and one Kafka key).
 */
export const identityAdminAggregate = (adminId: number) => `identity-admin-${adminId}`;

const aggregateOf = (e: SecurityEventInput) => (e.userId !== null ? `user-${e.userId}` : `ip-${e.ip ?? 'unknown'}`.slice(0, 64));

