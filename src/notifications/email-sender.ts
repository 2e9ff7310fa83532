import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Counter } from 'prom-client';
import { eventCatalog, parseEnvelope, type EventEnvelope } from '../events/index.js';
import { isDuplicateKey, type Db } from '../platform/db/client.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { Mailer } from './mailer.js';
import type { NotificationPorts } from './ports.js';
import { scheduledEmails, sentEmails } from './schema.js';
import { EMAIL_TEMPLATES, templateNamed, templatesFor } from './templates/registry.js';
import type { EmailTemplate } from './templates/template.js';

export interface EmailSenderOptions {
  /** The "hold expires soon" reminder goes this long before the hold ends. */
  reminderLeadSeconds: number;
  templates?: EmailTemplate[];
}

export const messageIdOf = (eventId: string, template: string) => `<${eventId}.${template}@concert-booking>`;

/**
 * Turns domain events into emails, each at most once per (event, template).
 *
 * The log row is inserted in a transaction that stays open while the SMTP server takes the message
 * and commits only once it has: a failed send (SMTP down) rolls the row back and the event is retried
 * (the Kafka consumer does not commit its offset); a second delivery of the same event, even from
 * another relay process at the same moment, waits on the row's lock and then finds it and sends
 * nothing. The one window left is a crash between the server's acceptance and our commit: the email
 * is sent again, with the same Message-ID (which mail clients fold).
 */
export class EmailSender {
  private readonly templates: EmailTemplate[];
  private readonly sent: Counter<'template'>;
  private readonly failed: Counter<'template'>;

  constructor(
    private readonly db: Db,
    private readonly mailer: Mailer,
    private readonly ports: NotificationPorts,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly opts: EmailSenderOptions,
  ) {
    this.templates = opts.templates ?? EMAIL_TEMPLATES;
    this.sent = metrics.counter('emails_sent_total', 'Emails the SMTP server accepted, by template', ['template']);
    this.failed = metrics.counter('email_send_failures_total', 'Email attempts that failed and will be retried, by template', ['template']);
  }

  /** The Kafka topics (aggregate types) whose events cause an email. */
  aggregateTypes(): string[] {
    return [...new Set(this.templates.map((t) => aggregateOf(t)))];
  }

  /** Applies one event: sends its emails now or schedules them. Resolves false when nothing was new. */
  async handle(event: EventEnvelope): Promise<boolean> {
    let changed = false;
    for (const t of templatesFor(event.type, this.templates).filter((t) => t.applies?.(event) ?? true)) {
      changed = (t.dueAt ? await this.schedule(t, event) : await this.sendOnce(t, event)) || changed;
    }
    return changed;
  }

  /** Sends the template's email for the event unless it was sent already. Throws when it must be retried. */
  async sendOnce(t: EmailTemplate, event: EventEnvelope): Promise<boolean> {
    const userId = t.recipient(event);
    const contact = t.contactOf ? await t.contactOf(event, this.ports) : userId === null ? null : await this.ports.contacts.contactOf(userId);
    if (!contact) {
      this.log.warn({ eventId: event.id, template: t.name, userId }, 'no such user; email skipped');
      return false;
    }
    const messageId = messageIdOf(event.id, t.name);
    try {
      const sent = await this.db.transaction(async (tx) => {
        try {
          await tx.insert(sentEmails).values({ eventId: event.id, template: t.name, userId, locale: contact.locale, messageId });
        } catch (err) {
          if (isDuplicateKey(err)) return false;
          throw err;
        }
        const email = await t.render(event, { contact, ports: this.ports, reminderLeadSeconds: this.opts.reminderLeadSeconds });
        await this.mailer.send({ to: { name: contact.name, address: contact.email }, language: contact.locale, messageId, ...email });
        return true;
      });
      if (sent) this.sent.inc({ template: t.name });
      return sent;
    } catch (err) {
      this.failed.inc({ template: t.name });
      this.log.warn({ eventId: event.id, template: t.name, err: String(err) }, 'email not sent; it will be retried');
      throw err;
    }
  }

  /** Keeps the email for later (the reminder sweeper sends it when due). */
  private async schedule(t: EmailTemplate, event: EventEnvelope): Promise<boolean> {
    const dueAt = t.dueAt!(event, this.opts.reminderLeadSeconds);
    try {
      await this.db.insert(scheduledEmails).values({ eventId: event.id, template: t.name, eventType: event.type, envelope: event, dueAt });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /**
   * Sends the scheduled emails that are due (the reminder sweeper's tick): each still relevant one
   * through sendOnce (so two sweepers never send one twice), the others dropped. A failure leaves the
   * row pending for the next tick. Returns how many were sent.
   */
  async sendDue(now = new Date(), limit = 50): Promise<number> {
    const due = await this.db
      .select()
      .from(scheduledEmails)
      .where(and(eq(scheduledEmails.status, 'PENDING'), lte(scheduledEmails.dueAt, now)))
      .orderBy(asc(scheduledEmails.dueAt))
      .limit(limit);
    let sent = 0;
    for (const row of due) {
      const t = templateNamed(row.template, this.templates);
      try {
        const event = parseEnvelope(row.envelope);
        if (t && (await (t.stillRelevant?.(event, this.ports) ?? true)) && (await this.sendOnce(t, event))) sent += 1;
        await this.db.update(scheduledEmails).set({ status: 'DONE' }).where(and(eq(scheduledEmails.eventId, row.eventId), eq(scheduledEmails.template, row.template)));
      } catch (err) {
        await this.db
          .update(scheduledEmails)
          .set({ attempts: sql`${scheduledEmails.attempts} + 1` })
          .where(and(eq(scheduledEmails.eventId, row.eventId), eq(scheduledEmails.template, row.template)));
        this.log.warn({ eventId: row.eventId, template: row.template, err: String(err) }, 'scheduled email failed; retrying on the next tick');
      }
    }
    return sent;
  }
}

const aggregateOf = (t: EmailTemplate): string => eventCatalog[t.eventType].aggregateType;
