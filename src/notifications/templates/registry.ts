import type { EventType } from '../../events/index.js';
import { holdExpiring } from './hold-expiring.js';
import { performanceCancelled } from './performance-cancelled.js';
import { purchaseConfirmation } from './purchase-confirmation.js';
import { refund } from './refund.js';
import { transferDeclined, transferGiven, transferLapsed, transferOffered, transferReceived } from './ticket-transfer.js';
import type { EmailTemplate } from './template.js';
import { waitlistOffer } from './waitlist-offer.js';

/**
 * Every email, by the event type that causes it (docs/tickets.md "Email"). A new email is one more
 * template here; the consumer subscribes to the
 * topics of every type listed.
 */
export const EMAIL_TEMPLATES: EmailTemplate[] = [
  purchaseConfirmation,
  refund,
  performanceCancelled,
  waitlistOffer,
  holdExpiring,
  transferOffered,
  transferReceived,
  transferGiven,
  transferDeclined,
  transferLapsed,
];

export const templatesFor = (type: EventType, all: EmailTemplate[] = EMAIL_TEMPLATES) => all.filter((t) => t.eventType === type);
export const templateNamed = (name: string, all: EmailTemplate[] = EMAIL_TEMPLATES) => all.find((t) => t.name === name);
