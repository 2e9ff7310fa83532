import { asc, count, eq, inArray } from 'drizzle-orm';
import { DEFAULT_LOCALE, type Locale } from './locale.js';
import type { Counter } from 'prom-client';
import { appendEvent } from '../events/index.js';
import { isDuplicateKey, withTransaction, type Db } from '../platform/db/client.js';
import { users } from './schema.js';
import type { Redis } from '../platform/redis.js';
import { DomainError } from '../shared/errors.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { SecurityAudit } from './audit.js';
import { loginPolicyDefaults, type LoginPolicy } from './login-policy.js';
import { LoginThrottle } from './login-throttle.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import type { PersonalDataCipher } from './personal-data.js';
import type { TokenVersions } from './token-versions.js';
import type { AccessTokens, IssuedTokens, Role } from './tokens.js';


export interface SignupInput {
  email: string;
  password: string;
  name: string;
  phone?: string | undefined;
  locale?: Locale | undefined;
}

export type { LoginPolicy };

export interface IdentityOptions {
  policy?: Partial<LoginPolicy>;
  /** Security events and admin actions, in the transaction of the change they record. */
  audit: SecurityAudit;
  /** token_version bumps (revocation) and their cache. */
  versions: TokenVersions;
  /** Spent refresh-token ids, login failure counters and locks (LoginThrottle). */
  redis: Redis;
  /** Counts each lock by scope (pair, account, ip). */
  metrics?: Metrics;
  /**
   * Payment's port: opens the new user's wallet (payment's own database). Called after the user's
   * transaction commits; should it fail, payment opens the wallet at its first movement anyway.
   */
  wallets?: WalletOpener;
  /** Port for the password check (tests count the hash work done on each path). */
  verifyPassword?: (password: string, hash: string) => Promise<boolean>;
}

/** Implemented by payment (WalletRepository.openWallet). */
export interface WalletOpener {
  openWallet(userId: number): Promise<void>;
}

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

export class IdentityService {
  private readonly policy: LoginPolicy;
  private readonly throttle: LoginThrottle;
  private readonly lockouts: Counter<'scope'> | undefined;
  private readonly verify: (password: string, hash: string) => Promise<boolean>;

  constructor(
    private readonly db: Db,
    private readonly cipher: PersonalDataCipher,
    private readonly tokens: AccessTokens,
    private readonly opts: IdentityOptions,
  ) {
    this.policy = { ...loginPolicyDefaults, failureDelayMs: 0, ...opts.policy };
    this.throttle = new LoginThrottle(opts.redis, { lockoutMs: this.policy.lockoutMs, ipWindowMs: this.policy.ipWindowMs });
    this.lockouts = opts.metrics?.counter('login_lockouts_total', 'Login locks by scope: an (email, IP) pair, a whole account, or an IP past its failure budget', ['scope']);
    this.verify = opts.verifyPassword ?? verifyPassword;
  }

  /** Creates a USER (roles are never taken from the request) with an empty wallet. */
  async signup(input: SignupInput, role: Role = 'USER'): Promise<{ id: number }> {
    const passwordHash = await hashPassword(input.password);
    let created: { id: number };
    try {
      created = await withTransaction(this.db, async (tx) => {
        const [res] = await tx.insert(users).values({
          emailCipher: this.cipher.encrypt(input.email.trim()),
          emailIndex: this.cipher.emailIndex(input.email),
          phoneCipher: input.phone ? this.cipher.encrypt(input.phone) : null,
          name: input.name,
          passwordHash,
          role,
          locale: input.locale ?? DEFAULT_LOCALE,
        });
        const id = Number(res.insertId);
        await appendEvent(tx, 'UserRegistered', id, { userId: id, role }, { userId: id });
        return { id };
      });
    } catch (err) {
      if (isDuplicateKey(err)) throw new DomainError('EMAIL_TAKEN', 'An account with this email already exists');
      throw err;
    }
    await this.opts.wallets?.openWallet(created.id);
    return created;
  }

  /**
   * Same answer, and the same work, for an unknown email, a wrong password and a locked account:
   * every attempt that gets past the per-IP budget costs one scrypt verification (against the
   * account's hash or a dummy one) and waits the same failure delay, so neither the answer nor its
   * timing tells an attacker which emails have accounts. Failures lock the (email, IP) pair first,
   * the account only past a higher threshold, and an IP past its budget gets 429 for any email
   * (see LoginThrottle). A `deviceToken` of this account (handed out by an earlier login on the
   * device) skips the email's locks, which anyone can trigger, and is locked by its own failures.
   */
  async login(email: string, password: string, ip: string | null, deviceToken?: string): Promise<IssuedTokens & { userId: number; deviceToken: string }> {
    const indexes = this.cipher.emailIndexes(email);
    const index = indexes[0]!;
    const from = ip ?? 'unknown';
    const throttle = this.throttle;
    const ipWait = await throttle.ipRetryAfterMs(from, this.policy.ipMaxFailures).catch(() => 0);
    if (ipWait > 0) throw new DomainError('RATE_LIMITED', 'Too many failed logins from this address; try again later', { retryAfterSeconds: Math.ceil(ipWait / 1000) });

    const [user] = await this.db.select().from(users).where(inArray(users.emailIndex, indexes)).limit(1);
    const passwordOk = await this.verify(password, user?.passwordHash ?? (await dummyHash));
    const device = user && deviceToken ? await this.tokens.verifyDevice(deviceToken) : undefined;
    if (user && device?.sub === String(user.id)) return this.deviceLogin(user, device.jti, passwordOk, indexes, from, ip);

    const now = new Date();
    const accountLockMs = user?.lockedUntil && user.lockedUntil > now ? user.lockedUntil.getTime() - now.getTime() : 0;
    const lockMs = Math.max(accountLockMs, await throttle.lockedMs(index, from, !user).catch(() => 0));
    if (lockMs > 0) await this.refuseLocked(lockMs, user?.id ?? null, index, from, ip, !user);
    if (user && passwordOk && user.status === 'ACTIVE') return this.loggedIn(user, indexes, from);

    const scope = await this.passwordFailed(user, index, from, ip, 'LOGIN_FAILED');
    if (scope) throw this.locked(this.policy.lockoutMs);
    throw invalidCredentials();
  }

  /**
   * A login from a device that proved it logged in to this account before: the email's pair and
   * account locks do not apply (an attacker elsewhere triggers those), and a success leaves the
   * account's lock in place for every other device. Its wrong passwords count against the device
   * (and the IP), and lock the device after LOGIN_MAX_FAILURES, so a stolen device token buys a
   * thief only a few guesses per lockout period.
   */
  private async deviceLogin(user: typeof users.$inferSelect, jti: string, passwordOk: boolean, indexes: string[], from: string, ip: string | null) {
    const lockMs = await this.throttle.deviceLockedMs(jti).catch(() => 0);
    if (lockMs > 0) await this.refuseLocked(lockMs, user.id, indexes[0]!, from, ip, false);
    if (passwordOk && user.status === 'ACTIVE') return this.loggedIn(user, indexes, from, { keepAccountLock: true });
    const counts = await this.throttle.recordDeviceFailure(jti, from).catch(() => undefined);
    const failures = counts?.device ?? this.policy.maxFailures;
    const lock = failures >= this.policy.maxFailures;
    if (lock) {
      this.lockouts?.inc({ scope: 'device' });
      await this.throttle.lockDevice(jti).catch(() => undefined);
    }
    this.noteIpBudget(counts?.ip, ip);
    await this.opts.audit.record({ kind: lock ? 'ACCOUNT_LOCKED' : 'LOGIN_FAILED', userId: user.id, ip, detail: `trusted device failures=${failures}${lock ? ' scope=device' : ''}` });
    await this.failureDelay(failures);
    if (lock) throw this.locked(this.policy.lockoutMs);
    throw invalidCredentials();
  }

  /** An attempt refused by a lock still spends the IP's budget: hammering a lock costs a hash each time. */
  private async refuseLocked(lockMs: number, userId: number | null, index: string, from: string, ip: string | null, unknownEmail: boolean): Promise<never> {
    const counts = await this.throttle.recordFailure(index, from, unknownEmail, true).catch(() => undefined);
    this.noteIpBudget(counts?.ip, ip);
    void this.opts.audit.record({ kind: 'LOGIN_WHILE_LOCKED', userId, ip, detail: `locked for ${Math.ceil(lockMs / 1000)} s` });
    await this.failureDelay(this.policy.maxFailures);
    throw this.locked(lockMs);
  }

  /**
   * A wrong password for an email (an account, or an unknown email at login), from any route that
   * checks one (login, POST /auth/password): counted against the (email, IP) pair, the account and
   * the IP, locking the pair or the account past their thresholds. Returns the lock's scope, if any.
   */
  private async passwordFailed(user: typeof users.$inferSelect | undefined, index: string, from: string, ip: string | null, failedKind: 'LOGIN_FAILED' | 'PASSWORD_CHANGE_FAILED'): Promise<'pair' | 'account' | undefined> {
    const throttle = this.throttle;
    const counts = await throttle.recordFailure(index, from, !user).catch(() => undefined);
    const describe = (accountFailures: number) => {
      const pairFailures = counts?.pair ?? accountFailures;
      // Redis down (no pair counters): pairFailures falls back to the account's count, so the pair threshold still locks.
      const scope = accountFailures >= this.policy.accountMaxFailures ? ('account' as const) : pairFailures >= this.policy.maxFailures ? ('pair' as const) : undefined;
      const detail = `failures=${pairFailures} accountFailures=${accountFailures}${scope ? ` scope=${scope}` : ''}`;
      return { pairFailures, scope, event: { kind: scope ? ('ACCOUNT_LOCKED' as const) : failedKind, userId: user?.id ?? null, ip, detail: user ? detail : `unknown email ${detail}` } };
    };
    let outcome: ReturnType<typeof describe>;
    if (user) {
      // The count is read and written under the account's row lock, so concurrent guesses all count.
      outcome = await withTransaction(this.db, async (tx) => {
        const [row] = await tx.select({ failedLogins: users.failedLogins, lockedUntil: users.lockedUntil }).from(users).where(eq(users.id, user.id)).for('update');
        const o = describe((row?.failedLogins ?? user.failedLogins) + 1);
        const accountLock = o.scope === 'account';
        await tx
          .update(users)
          .set({ failedLogins: accountLock ? 0 : (row?.failedLogins ?? 0) + 1, lockedUntil: accountLock ? new Date(Date.now() + this.policy.lockoutMs) : (row?.lockedUntil ?? null) })
          .where(eq(users.id, user.id));
        await this.opts.audit.append(tx, o.event);
        return o;
      });
    } else {
      outcome = describe(counts?.unknownAccount ?? 0);
      // Awaited like the account's transaction above, so both paths do the same database work.
      await this.opts.audit.record(outcome.event);
    }
    if (outcome.scope) {
      this.lockouts?.inc({ scope: outcome.scope });
      await throttle.lock(index, from, user ? 'pair' : outcome.scope).catch(() => undefined);
    }
    this.noteIpBudget(counts?.ip, ip);
    await this.failureDelay(outcome.pairFailures);
    return outcome.scope;
  }

  private async loggedIn(user: typeof users.$inferSelect, indexes: string[], from: string, opts: { keepAccountLock?: boolean } = {}): Promise<IssuedTokens & { userId: number; deviceToken: string }> {
    const stale = indexes[0] !== user.emailIndex;
    const keepLock = opts.keepAccountLock && !!user.lockedUntil && user.lockedUntil > new Date();
    if ((!keepLock && (user.failedLogins > 0 || user.lockedUntil)) || stale) {
      await this.db
        .update(users)
        .set({
          ...(keepLock ? {} : { failedLogins: 0, lockedUntil: null }),
          // Found under the previous key's blind index: rewrite the row under the current key.
          ...(stale
            ? { emailIndex: indexes[0]!, emailCipher: this.cipher.encrypt(this.cipher.decrypt(user.emailCipher)), phoneCipher: user.phoneCipher ? this.cipher.encrypt(this.cipher.decrypt(user.phoneCipher)) : null }
            : {}),
        })
        .where(eq(users.id, user.id));
    }
    await this.throttle.succeeded(indexes[0]!, from).catch(() => undefined);
    return { ...(await this.tokens.issuePair(user)), userId: user.id, deviceToken: await this.tokens.issueDevice(user.id) };
  }

  /** The failure that spends an IP's budget is its lock: logged, audited and counted once. */
  private noteIpBudget(failures: number | undefined, ip: string | null) {
    if (failures !== this.policy.ipMaxFailures) return;
    this.lockouts?.inc({ scope: 'ip' });
    void this.opts.audit.record({ kind: 'LOGIN_THROTTLED', userId: null, ip, detail: `ip failure budget of ${this.policy.ipMaxFailures} spent` });
  }

  /** Each consecutive failure answers a little slower (capped at 2 s); a locked answer waits the most. */
  private failureDelay(failures: number) {
    return sleep(Math.min(this.policy.failureDelayMs * Math.min(failures, this.policy.maxFailures), 2000));
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
      await this.opts.versions.bump(tx, userId);
      await this.opts.audit.append(tx, { kind: why.kind, userId, ip: why.ip, detail: why.detail });
    });
    await this.opts.versions.forget(userId).catch(() => undefined);
  }

  /**
   * The user's own password change. The current password is checked (a stolen access token alone
   * cannot take the account over); then the new hash and a token_version bump commit together, so
   * every other session (its access and refresh tokens) stops working, and this session gets fresh
   * tokens in the answer. A wrong current password is 403 and a SecurityEvent.
   */
  async changePassword(userId: number, currentPassword: string, newPassword: string, ip: string | null): Promise<IssuedTokens & { userId: number }> {
    const [user] = await this.db.select().from(users).where(eq(users.id, userId)).limit(1);
    if (!user || user.status !== 'ACTIVE') throw new DomainError('UNAUTHENTICATED', 'Log in again');
    // The login's budget and locks (same counters): a stolen access token does not buy unlimited guesses.
    const index = this.cipher.emailIndex(this.cipher.decrypt(user.emailCipher));
    const from = ip ?? 'unknown';
    const ipWait = await this.throttle.ipRetryAfterMs(from, this.policy.ipMaxFailures).catch(() => 0);
    if (ipWait > 0) throw new DomainError('RATE_LIMITED', 'Too many failed password checks from this address; try again later', { retryAfterSeconds: Math.ceil(ipWait / 1000) });
    const now = new Date();
    const accountLockMs = user.lockedUntil && user.lockedUntil > now ? user.lockedUntil.getTime() - now.getTime() : 0;
    const lockMs = Math.max(accountLockMs, await this.throttle.lockedMs(index, from, false).catch(() => 0));
    if (lockMs > 0) await this.refuseLocked(lockMs, userId, index, from, ip, false);
    if (!(await this.verify(currentPassword, user.passwordHash))) {
      const scope = await this.passwordFailed(user, index, from, ip, 'PASSWORD_CHANGE_FAILED');
      if (scope) throw this.locked(this.policy.lockoutMs);
      throw new DomainError('FORBIDDEN', 'The current password is incorrect');
    }
    const passwordHash = await hashPassword(newPassword);
    await withTransaction(this.db, async (tx) => {
      await tx.update(users).set({ passwordHash, failedLogins: 0 }).where(eq(users.id, userId));
      await this.opts.versions.bump(tx, userId);
      await this.opts.audit.append(tx, { kind: 'PASSWORD_CHANGED', userId, ip, detail: 'by the user; other sessions revoked' });
    });
    await this.opts.versions.forget(userId).catch(() => undefined);
    await this.throttle.succeeded(index, from).catch(() => undefined);
    const [after] = await this.db.select().from(users).where(eq(users.id, userId)).limit(1);
    return { ...(await this.tokens.issuePair(after!)), userId };
  }

  /**
   * An admin sets a user's password (the user forgot it, or the account was taken over): every
   * session of the user is revoked, a login lockout is cleared, and an AdminAction is recorded in
   * the same transaction. Admins change their own password with /auth/password instead.
   */
  async resetPassword(adminId: number, userId: number, newPassword: string): Promise<void> {
    if (adminId === userId) throw new DomainError('CONFLICT', 'Change your own password with POST /auth/password');
    const passwordHash = await hashPassword(newPassword);
    const emailIndex = await withTransaction(this.db, async (tx) => {
      const [user] = await tx.select({ id: users.id, emailIndex: users.emailIndex }).from(users).where(eq(users.id, userId)).for('update');
      if (!user) throw new DomainError('NOT_FOUND', 'User not found');
      await tx.update(users).set({ passwordHash, failedLogins: 0, lockedUntil: null }).where(eq(users.id, userId));
      await this.opts.versions.bump(tx, userId);
      await this.opts.audit.adminAction(tx, { adminId, action: 'user.password-reset', target: `user-${userId}`, detail: 'password set by an admin; every session revoked' });
      return user.emailIndex;
    });
    await this.opts.versions.forget(userId).catch(() => undefined);
    await this.throttle.clearLocks(emailIndex).catch(() => undefined);
  }

  /** The account with this email, found by its blind index (a ticket transfer's recipient). */
  async accountIdByEmail(email: string): Promise<number | undefined> {
    const [user] = await this.db.select({ id: users.id }).from(users).where(inArray(users.emailIndex, this.cipher.emailIndexes(email))).limit(1);
    return user?.id;
  }

  /** The blind indexes of an account's own email (offers made to the address before the account existed). */
  async emailIndexesOf(userId: number): Promise<string[]> {
    const [user] = await this.db.select({ emailCipher: users.emailCipher }).from(users).where(eq(users.id, userId)).limit(1);
    return user ? this.cipher.emailIndexes(this.cipher.decrypt(user.emailCipher)) : [];
  }

  /** Users for the admin API, emails and phones decrypted (admins only; see admin-routes). */
  /** Display names of some accounts (an organiser's attendee list names the ticket holders). */
  async namesOf(userIds: number[]): Promise<Map<number, string>> {
    if (userIds.length === 0) return new Map();
    const rows = await this.db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, userIds));
    return new Map(rows.map((r) => [r.id, r.name]));
  }

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
      if (change.role || change.status) await this.opts.versions.bump(tx, userId);
      const detail = JSON.stringify({ from: { role: user.role, status: user.status }, to: { role: change.role ?? user.role, status: change.status ?? user.status }, unlock: !!change.unlock });
      const action = { adminId, action: 'user.update', target: `user-${userId}`, detail };
      await this.opts.audit.adminAction(tx, action);
      const [after] = await tx.select().from(users).where(eq(users.id, userId)).limit(1);
      return after!;
    });
    await this.opts.versions.forget(userId).catch(() => undefined);
    if (change.unlock) await this.throttle.clearLocks(updated.emailIndex);
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
