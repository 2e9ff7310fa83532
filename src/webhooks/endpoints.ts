import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../platform/db/client.js';
import { newWebhookSecret } from './signing.js';
import { webhookEndpoints } from './schema.js';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DisabledReason = 'DISABLED_BY_ORGANISER' | 'GONE';

/** Organisers' endpoints, on webhooks' own database. */
export class WebhookEndpoints {
  constructor(private readonly db: Db) {}

  /** Registers an endpoint with a fresh secret; the caller shows the secret once. */
  async create(input: { concertId: number; url: string; eventTypes: string[]; description: string; createdBy: number }): Promise<EndpointRow> {
    const [res] = await this.db.insert(webhookEndpoints).values({ ...input, secret: newWebhookSecret() });
    return (await this.find(Number(res.insertId)))!;
  }

  async find(id: number): Promise<EndpointRow | undefined> {
    const [row] = await this.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).limit(1);
    return row;
  }

  forConcert(concertId: number): Promise<EndpointRow[]> {
    return this.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.concertId, concertId)).orderBy(desc(webhookEndpoints.id));
  }

  /**
   * The enabled endpoints of a concert that subscribe to `type` and existed when the event happened
   * (an endpoint registered later does not receive the past, even when the consumer reads it again).
   */
  async matching(concertId: number, type: string, occurredAt: Date): Promise<EndpointRow[]> {
    const rows = await this.db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.concertId, concertId), eq(webhookEndpoints.enabled, true)));
    return rows.filter((e) => e.eventTypes.includes(type) && e.createdAt.getTime() <= occurredAt.getTime());
  }

  /** Enables or disables; returns whether it changed. */
  async setEnabled(id: number, enabled: boolean, reason: DisabledReason | null): Promise<boolean> {
    const [res] = await this.db
      .update(webhookEndpoints)
      .set({ enabled, disabledReason: enabled ? null : reason, updatedAt: new Date() })
      .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.enabled, !enabled)));
    return res.affectedRows > 0;
  }

  async update(id: number, change: { url?: string | undefined; eventTypes?: string[] | undefined; description?: string | undefined }): Promise<void> {
    const set = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
    await this.db.update(webhookEndpoints).set({ ...set, updatedAt: new Date() }).where(eq(webhookEndpoints.id, id));
  }

  /** A new secret; the old one keeps signing beside it for `overlapMs` (Standard Webhooks rotation). */
  async rotateSecret(id: number, overlapMs: number, now = new Date()): Promise<EndpointRow | undefined> {
    const endpoint = await this.find(id);
    if (!endpoint) return undefined;
    await this.db
      .update(webhookEndpoints)
      .set({ secret: newWebhookSecret(), previousSecret: endpoint.secret, previousSecretExpiresAt: new Date(now.getTime() + overlapMs), updatedAt: now })
      .where(eq(webhookEndpoints.id, id));
    return this.find(id);
  }

  async delete(id: number): Promise<boolean> {
    const [res] = await this.db.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    return res.affectedRows > 0;
  }
}

/** The secrets that sign now: the current one, and the previous one until its overlap ends. */
export function signingSecrets(endpoint: Pick<EndpointRow, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now: Date): string[] {
  const previous = endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now ? [endpoint.previousSecret] : [];
  return [endpoint.secret, ...previous];
}
