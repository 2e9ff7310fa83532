import { eq, sql } from 'drizzle-orm';
import { appendEvent } from '../events/outbox.js';
import { isDuplicateKey, withTransaction, type Db } from '../platform/db/client.js';
import { users, wallets } from '../platform/db/schema.js';
import { DomainError } from '../shared/errors.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import type { PersonalDataCipher } from './personal-data.js';
import type { AccessTokens } from './tokens.js';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60_000;

export interface SignupInput {
  email: string;
  password: string;
  name: string;
  phone?: string | undefined;
}

export class IdentityService {
  constructor(
    private readonly db: Db,
    private readonly cipher: PersonalDataCipher,
    private readonly tokens: AccessTokens,
  ) {}

  /** Creates a USER (roles are never taken from the request) with an empty wallet. */
  async signup(input: SignupInput, role: 'USER' | 'ADMIN' = 'USER'): Promise<{ id: number }> {
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

  /** Same answer for unknown email and wrong password; repeated failures lock the account for a while. */
  async login(email: string, password: string, ip: string | null): Promise<{ accessToken: string; expiresIn: number; userId: number }> {
    const [user] = await this.db.select().from(users).where(eq(users.emailIndex, this.cipher.emailIndex(email))).limit(1);
    if (!user) {
      await verifyPassword(password, await dummyHash);
      throw new DomainError('INVALID_CREDENTIALS', 'Email or password is incorrect');
    }
    const now = new Date();
    if (user.lockedUntil && user.lockedUntil > now) {
      throw new DomainError('ACCOUNT_LOCKED', 'Too many failed logins; try again later', { retryAfterSeconds: Math.ceil((user.lockedUntil.getTime() - now.getTime()) / 1000) });
    }
    const ok = (await verifyPassword(password, user.passwordHash)) && user.status === 'ACTIVE';
    if (!ok) {
      const failures = user.failedLogins + 1;
      const lock = failures >= MAX_FAILED_LOGINS;
      await withTransaction(this.db, async (tx) => {
        await tx
          .update(users)
          .set({ failedLogins: lock ? 0 : failures, lockedUntil: lock ? new Date(now.getTime() + LOCKOUT_MS) : user.lockedUntil })
          .where(eq(users.id, user.id));
        await appendEvent(tx, 'SecurityEvent', `user-${user.id}`, { kind: lock ? 'ACCOUNT_LOCKED' : 'LOGIN_FAILED', userId: user.id, ip, detail: `failures=${failures}` }, { userId: user.id });
      });
      throw new DomainError('INVALID_CREDENTIALS', 'Email or password is incorrect');
    }
    if (user.failedLogins > 0) await this.db.update(users).set({ failedLogins: 0, lockedUntil: null }).where(eq(users.id, user.id));
    const token = await this.tokens.issue(user);
    return { ...token, userId: user.id };
  }

  async profile(userId: number) {
    const [user] = await this.db.select().from(users).where(eq(users.id, userId)).limit(1);
    if (!user) throw new DomainError('NOT_FOUND', 'User not found');
    return {
      id: user.id,
      email: this.cipher.decrypt(user.emailCipher),
      name: user.name,
      phone: user.phoneCipher ? this.cipher.decrypt(user.phoneCipher) : null,
      role: user.role,
      createdAt: user.createdAt.toISOString(),
    };
  }

  /** Invalidates every token issued so far for the user (logout everywhere, role change). */
  async revokeTokens(userId: number): Promise<void> {
    await this.db.update(users).set({ tokenVersion: sql`${users.tokenVersion} + 1` }).where(eq(users.id, userId));
  }
}
