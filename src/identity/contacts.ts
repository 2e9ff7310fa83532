import { eq } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import type { Locale } from './locale.js';
import type { PersonalDataCipher } from './personal-data.js';
import { users } from './schema.js';

/** Who to write to, and in which language: what notifications may know of an account. */
export interface UserContact {
  email: string;
  name: string;
  locale: Locale;
}

/** Identity's port for other capabilities that write to a user (src/notifications). */
export interface UserContactLookup {
  contactOf(userId: number): Promise<UserContact | null>;
}

/** Reads identity's table and decrypts the address with identity's own cipher (never elsewhere). */
export class UserContacts implements UserContactLookup {
  constructor(
    private readonly db: Db,
    private readonly cipher: PersonalDataCipher,
  ) {}

  async contactOf(userId: number): Promise<UserContact | null> {
    const [row] = await this.db.select({ emailCipher: users.emailCipher, name: users.name, locale: users.locale }).from(users).where(eq(users.id, userId)).limit(1);
    return row ? { email: this.cipher.decrypt(row.emailCipher), name: row.name, locale: row.locale } : null;
  }
}
