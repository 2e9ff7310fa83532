import type { Kafka } from 'kafkajs';
import { ReservationRepository } from '../booking/repository.js';
import { CatalogRepository } from '../catalog/repository.js';
import type { Config } from '../config.js';
import { UserContacts } from '../identity/contacts.js';
import { PersonalDataCipher } from '../identity/personal-data.js';
import { EmailSender, emailConsumer, ReminderSweeper, SmtpMailer, type Mailer, type NotificationPorts } from '../notifications/index.js';
import type { Db } from '../platform/db/client.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import { ticketCodeSigner } from '../ticketing/codes-public.js';
import { TicketRepository } from '../ticketing/repository.js';
import { TransferRepository } from '../ticketing/transfer-repository.js';
import { transferSettingsOf } from '../ticketing/transfer-domain.js';
import { transferRecipientContact } from '../ticketing/transfer-service.js';
import { recipientTicketLimit } from '../../activities/index.js';
import { TicketingService } from '../ticketing/service.js';

/**
 * Notifications' ports on the other capabilities' code, each on its owner's database: the contacts on
 * identity's, the rest on booking's (where their tables are).
 */
export function notificationPorts(config: Config, db: Db, identityDb: Db): NotificationPorts {
  const catalog = new CatalogRepository(db);
  const reservations = new ReservationRepository(db);
  const transferRepo = new TransferRepository(db, reservations, catalog, recipientTicketLimit(reservations), transferSettingsOf(config));
  const cipher = new PersonalDataCipher(config.DATA_ENCRYPTION_KEY, config.DATA_ENCRYPTION_KEY_PREVIOUS);
  const tickets = new TicketingService(new TicketRepository(db, reservations, catalog), ticketCodeSigner(config), catalog);
  return {
    contacts: new UserContacts(identityDb, cipher),
    tickets: { ticketsOf: async (p) => (await tickets.printableOf(p.reservationId)).map((t) => ({ code: t.code, seat: t.seat })) },
    performances: {
      async performanceOf(scheduleId) {
        const schedule = await catalog.findSchedule(scheduleId);
        const concert = schedule && (await catalog.findConcert(schedule.concertId));
        return concert && { title: concert.title, artist: concert.artist, venue: concert.venue, startsAt: schedule.startsAt };
      },
    },
    reservations: { statusOf: async (id) => (await reservations.find(id))?.status },
    transfers: { recipientOf: (transferId) => transferRecipientContact(transferRepo, (sealed) => cipher.decrypt(sealed), transferId) },
  };
}

/**
 * Email (docs/tickets.md "Email"): the consumer that sends on domain events and the sweeper that
 * sends the scheduled reminders, on notifications' own database. The relay process runs them.
 */
export function buildEmail(deps: { config: Config; db: Db; identityDb: Db; notificationsDb: Db; kafka: Kafka; log: Logger; metrics: Metrics; mailer?: Mailer }) {
  const { config } = deps;
  const mailer = deps.mailer ?? new SmtpMailer(config.SMTP_URL, config.MAIL_FROM);
  const log = deps.log.child({ component: 'email' });
  const sender = new EmailSender(deps.notificationsDb, mailer, notificationPorts(config, deps.db, deps.identityDb), log, deps.metrics, { reminderLeadSeconds: config.HOLD_REMINDER_BEFORE_SECONDS });
  const consumer = emailConsumer({ kafka: deps.kafka, sender, log, metrics: deps.metrics, topicPrefix: config.KAFKA_TOPIC_PREFIX });
  const sweeper = new ReminderSweeper(sender, log, config.HOLD_REMINDER_POLL_MS);
  return {
    sender,
    consumer,
    sweeper,
    start() {
      consumer.start();
      sweeper.start();
    },
    async stop() {
      await Promise.all([consumer.stop(), sweeper.stop()]);
      mailer.close();
    },
  };
}
