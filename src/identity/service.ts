import { asc, count, eq, inArray, sql } from 'drizzle-orm';
import { appendEvent } from '../events/outbox.js';
import { isDuplicateKey, withTransaction, type Db } from '../platform/db/client.js';
import { users, wallets } from '../platform/db/schema.js';
import type { Redis } from '../platform/redis.js';
import { DomainError } from '../shared/errors.js';
import type { SecurityAudit } from './audit.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import type { PersonalDataCipher } from './personal-data.js';
import type { TokenVersions } from './token-versions.js';
import type { AccessTokens, IssuedTokens, Role } from './tokens.js';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;

export interface SignupInput {
  email: string;
  password: string;
  name: string;
  phone?: string | undefined;
}

export interface LoginPolicy {
  maxFailures: number;
  lockoutMs: number;
  /** Each consecutive failure waits this much longer before answering (capped at 2 s). */
  failureDelayMs: number;
}

export interface IdentityOptions {
  policy?: Partial<LoginPolicy>;
  audit?: SecurityAudit;
  versions?: TokenVersions;
  /** Spent refresh-token ids and failure counters for unknown emails. */
  redis?: Redis;
}

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

export class IdentityService {
  private readonly policy: LoginPolicy;

  constructor(
    private readonly db: Db,
    private readonly cipher: PersonalDataCipher,
    private readonly tokens: AccessTokens,
    private readonly opts: IdentityOptions = {},
  ) {
    this.policy = { maxFailures: MAX_FAILED_LOGINS, lockoutMs: LOCKOUT_MS, failureDelayMs: 0, ...opts.policy };
  }

  /** Creates a USER (roles are never taken from the request) with an empty wallet. */
  async signup(input: SignupInput, role: Role = 'USER'): Promise<{ id: number }> {
    const passwordHash = await hashPassword(input.password);
    try {
      return await withTransaction(this.db, async (tx) => {
        const [res] = await tx.insert(users).values({
          emailCipher: this.cipher.encrypt(input.email.trim()),
          emailIndex: this.cipher.emailIndex(input.email),
          phoneCipher: input.phone ? this.cipher.encrypt(input.phone) : null,
          name: input.name,
          passwordHash,
          role,
        });
        const id = Number(res.insertId);
        await tx.insert(wallets).values({ userId: id, balance: 0 });
        await appendEvent(tx, 'UserRegistered', id, { userId: id, role }, { userId: id });
        return { id };
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError('EMAIL_TAKEN', 'An account with this email already exists');
      throw err;
    }
  }

  /**
   * Same answer for unknown email and wrong password, and the same lockout for both (an unknown
   * email's failures are counted in Redis), so neither the message nor a 423 tells an attacker
   * which emails have accounts. Each consecutive failure answers a little slower.
   */
  async login(email: string, password: string, ip: string | null): Promise<IssuedTokens & { userId: number }> {
    const indexes = this.cipher.emailIndexes(email);
    const [user] = await this.db.select().from(users).where(inArray(users.emailIndex, indexes)).limit(1);
    if (!user) return this.failUnknownEmail(indexes[0]!, password, ip);
    const now = new Date();
    if (user.lockedUntil && user.lockedUntil > now) {
      void this.opts.audit?.record({ kind: 'LOGIN_WHILE_LOCKED', userId: user.id, ip, detail: `locked until ${user.lockedUntil.toISOString()}` });
      throw this.locked(user.lockedUntil.getTime() - now.getTime());
    }
    const ok = (await verifyPassword(password, user.passwordHash)) && user.status === 'ACTIVE';
    if (!ok) {
      const failures = user.failedLogins + 1;
      const lock = failures >= this.policy.maxFailures;
      const event = { kind: lock ? ('ACCOUNT_LOCKED' as const) : ('LOGIN_FAILED' as const), userId: user.id, ip, detail: `failures=${failures}` };
      await withTransaction(this.db, async (tx) => {
        await tx
          .update(users)
          .set({ failedLogins: lock ? 0 : failures, lockedUntil: lock ? new Date(now.getTime() + this.policy.lockoutMs) : user.lockedUntil })
          .where(eq(users.id, user.id));
        if (this.opts.audit) await this.opts.audit.append(tx, event);
        else await appendEvent(tx, 'SecurityEvent', `user-${user.id}`, event, { userId: user.id });
      });
      await sleep(Math.min(this.policy.failureDelayMs * failures, 2000));
      if (lock) throw this.locked(this.policy.lockoutMs);
      throw invalidCredentials();
    }
    const stale = indexes[0] !== user.emailIndex;
    if (user.failedLogins > 0 || user.lockedUntil || stale) {
      await this.db
        .update(users)
        .set({
          failedLogins: 0,
          lockedUntil: null,
          // Found under the previous key's blind index: rewrite the row under the current key.
          ...(stale
            ? { emailIndex: indexes[0]!, emailCipher: this.cipher.encrypt(this.cipher.decrypt(user.emailCipher)), phoneCipher: user.phoneCipher ? this.cipher.encrypt(this.cipher.decrypt(user.phoneCipher)) : null }
            : {}),
        })
        .where(eq(users.id, user.id));
    }
    return { ...(await this.tokens.issuePair(user)), userId: user.id };
  }

  private async failUnknownEmail(index: string, password: string, ip: string | null): Promise<never> {
    await verifyPassword(password, await dummyHash);
    const key = `loginfail:${index}`;
    const failures = this.opts.redis ? await this.opts.redis.incr(key).catch(() => 1) : 1;
    if (failures === 1) await this.opts.redis?.pexpire(key, this.policy.lockoutMs).catch(() => undefined);
    void this.opts.audit?.record({ kind: 'LOGIN_FAILED', userId: null, ip, detail: 'unknown email' });
    await sleep(Math.min(this.policy.failureDelayMs * Math.min(failures, this.policy.maxFailures), 2000));
    if (failures >= this.policy.maxFailures) {
      const ttl = this.opts.redis ? await this.opts.redis.pttl(key).catch(() => this.policy.lockoutMs) : this.policy.lockoutMs;
      throw this.locked(ttl > 0 ? ttl : this.policy.lockoutMs);
    }
    throw invalidCredentials();
  }

  private locked(ms: number) {
    return new DomainError('ACCOUNT_LOCKED', 'Too many failed logins; try again later', { retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) });
  }

  /**
   * Exchanges a refresh token for a new access + refresh pair. Each refresh token is single-use:
   * its id is spent in Redis, and presenting a spent one again (a stolen copy racing the owner)
   * revokes every token of the user. A token issued before a revocation (token_version) is refused.
   */
  async refresh(refreshToken: string, ip: string | null): Promise<IssuedTokens & { userId: number }> {
    const claims = await this.tokens.verifyRefresh(refreshToken);
    const userId = Number(claims.sub);
    const redis = this.opts.redis;
    if (!redis) throw new DomainError('SERVICE_UNAVAILABLE', 'Refresh is not available');
    const ttl = Math.max(1, claims.exp - Math.floor(Date.now() / 1000));
    const first = await redis.set(`rtused:${claims.jti}`, '1', 'EX', ttl, 'NX').catch(() => {
      throw new DomainError('SERVICE_UNAVAILABLE', 'Token service unavailable; retry shortly');
    });
    if (first === null) {
      await this.revokeTokens(userId, { kind: 'REFRESH_TOKEN_REUSED', ip, detail: `jti=${claims.jti}` });
      throw new DomainError('UNAUTHENTICATED', 'Refresh token was already used; every session of this account was signed out');
    }
    const [user] = await this.db.select().from(users).where(eq(users.id, userId)).limit(1);
    if (!user || user.status !== 'ACTIVE' || user.tokenVersion !== claims.ver) throw new DomainError('UNAUTHENTICATED', 'Refresh token was revoked; log in again');
    return { ...(await this.tokens.issuePair(user)), userId: user.id };
  }

  async profile(userId: number) {
    const [user] = await this.db.select().from(users).where(eq(users.id, userId)).limit(1);
    if (!user) throw new DomainError('NOT_FOUND', 'User not found');
    // The owner sees their decrypted personal data, not the security bookkeeping admins see.
    const { id, email, name, phone, role, createdAt } = this.adminView(user);
    return { id, email, name, phone, role, createdAt };
  }

  /** Invalidates every token issued so far for the user (logout everywhere, refresh-token reuse). */
  async revokeTokens(userId: number, why: { kind: 'LOGOUT_EVERYWHERE' | 'REFRESH_TOKEN_REUSED' | 'TOKEN_REVOKED'; ip: string | null; detail: string } = { kind: 'TOKEN_REVOKED', ip: null, detail: '' }): Promise<void> {
    await withTransaction(this.db, async (tx) => {
      if (this.opts.versions) await this.opts.versions.bump(tx, userId);
      else await tx.update(users).set({ tokenVersion: sql`${users.tokenVersion} + 1` }).where(eq(users.id, userId));
      const event = { kind: why.kind, userId, ip: why.ip, detail: why.detail };
      if (this.opts.audit) await this.opts.audit.append(tx, event);
      else await appendEvent(tx, 'SecurityEvent', `user-${userId}`, event, { userId });
    });
    await this.opts.versions?.forget(userId).catch(() => undefined);
  }

  /** Users for the admin API, emails and phones decrypted (admins only; see admin-routes). */
  async listUsers(page: number, pageSize: number, email?: string) {
    const where = email ? inArray(users.emailIndex, this.cipher.emailIndexes(email)) : undefined;
    const [rows, [total]] = await Promise.all([
      this.db.select().from(users).where(where).orderBy(asc(users.id)).limit(pageSize).offset((page - 1) * pageSize),
      this.db.select({ n: count() }).from(users).where(where),
    ]);
    return { items: rows.map((u) => this.adminView(u)), total: Number(total?.n ?? 0) };
  }

  /**
   * Changes a user's role and/or status (or clears a lockout) as an admin. Any change revokes the
   * user's tokens, so a demoted admin or a disabled user loses access at once, and is recorded as an
   * AdminAction event in the same transaction. Admins cannot change themselves (no self-lockout).
   */
  async updateUser(adminId: number, userId: number, change: { role?: Role | undefined; status?: 'ACTIVE' | 'DISABLED' | undefined; unlock?: boolean | undefined }) {
    if (adminId === userId) throw new DomainError('CONFLICT', 'Admins cannot change their own role or status');
    const updated = await withTransaction(this.db, async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.id, userId)).for('update').limit(1);
      if (!user) throw new DomainError('NOT_FOUND', 'User not found');
      const set = {
        ...(change.role ? { role: change.role } : {}),
        ...(change.status ? { status: change.status } : {}),
        ...(change.unlock ? { failedLogins: 0, lockedUntil: null } : {}),
      };
      await tx.update(users).set(set).where(eq(users.id, userId));
      if (change.role || change.status) {
        if (this.opts.versions) await this.opts.versions.bump(tx, userId);
        else await tx.update(users).set({ tokenVersion: sql`${users.tokenVersion} + 1` }).where(eq(users.id, userId));
      }
      const detail = JSON.stringify({ from: { role: user.role, status: user.status }, to: { role: change.role ?? user.role, status: change.status ?? user.status }, unlock: !!change.unlock });
      const action = { adminId, action: 'user.update', target: `user-${userId}`, detail };
      if (this.opts.audit) await this.opts.audit.adminAction(tx, action);
      else await appendEvent(tx, 'AdminAction', `admin-${adminId}`, action, { userId: adminId });
      const [after] = await tx.select().from(users).where(eq(users.id, userId)).limit(1);
      return after!;
    });
    await this.opts.versions?.forget(userId).catch(() => undefined);
    return this.adminView(updated);
  }

  private adminView(u: typeof users.$inferSelect) {
    return {
      id: u.id,
      email: this.cipher.decrypt(u.emailCipher),
      name: u.name,
      phone: u.phoneCipher ? this.cipher.decrypt(u.phoneCipher) : null,
      role: u.role,
      status: u.status,
      failedLogins: u.failedLogins,
      lockedUntil: u.lockedUntil ? u.lockedUntil.toISOString() : null,
      createdAt: u.createdAt.toISOString(),
    };
  }
}

const invalidCredentials = () => new DomainError('INVALID_CREDENTIALS', 'Email or password is incorrect');
