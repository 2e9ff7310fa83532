import type { EventEnvelope, EventType } from '../../events/index.js';
import type { UserContact } from '../../identity/index.js';
import type { NotificationPorts } from '../ports.js';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  attachments?: Array<{ filename: string; content: Buffer; contentType: string }>;
}

export interface RenderContext {
  contact: UserContact;
  ports: NotificationPorts;
  /** When the template is sent later (`dueAt`), how long before the hold ends, for the wording. */
  reminderLeadSeconds: number;
}

/**
 * One email caused by one event type. The sender keys what it sent by (event id, template name), so
 * a template's name must never change once in use. To add an email (a transfer's offer, say), write a
 * template and list it under its event type in registry.ts.
 */
export interface EmailTemplate<T extends EventType = EventType> {
  name: string;
  eventType: T;
  /** Only some events of the type (a refund caused by a performance cancellation has its own email). */
  applies?(event: EventEnvelope<T>): boolean;
  /** Whose email it is: the buyer's user id (null: an address with no account, given by `contactOf`). */
  recipient(event: EventEnvelope<T>): number | null;
  /** The addressee when it is not (only) an account: a transfer offered to an address. */
  contactOf?(event: EventEnvelope<T>, ports: NotificationPorts): Promise<UserContact | null>;
  /** Sent at this time instead of at once (kept in scheduled_emails until then). */
  dueAt?(event: EventEnvelope<T>, leadSeconds: number): Date;
  /** For a scheduled email: whether it is still worth sending when due. */
  stillRelevant?(event: EventEnvelope<T>, ports: NotificationPorts): Promise<boolean>;
  render(event: EventEnvelope<T>, ctx: RenderContext): Promise<RenderedEmail>;
}

/** Lets a list of templates of different event types be typed as one registry. */
export const template = <T extends EventType>(t: EmailTemplate<T>): EmailTemplate => t as unknown as EmailTemplate;
