import type { Kafka } from 'kafkajs';
import { EventConsumer, topicFor } from '../events/index.js';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import type { EmailSender } from './email-sender.js';

export const EMAIL_CONSUMER = 'email-notifications';

/**
 * Sends the emails of the domain events: one durable consumer group shared by every relay process
 * (Kafka splits the partitions between them). A new group starts at the latest offsets: deploying
 * email must not write to every buyer of the past. An email that cannot be sent (SMTP down) throws,
 * so kafkajs retries the message and then restarts from the last committed offset: the partition
 * waits for the SMTP server, and every email of it goes out once it is back (sent_emails dedupes).
 */
export function emailConsumer(deps: { kafka: Kafka; sender: EmailSender; log: Logger; metrics: Metrics; topicPrefix: string }): EventConsumer {
  return new EventConsumer(deps.kafka, deps.log, deps.metrics, {
    name: EMAIL_CONSUMER,
    groupId: `${deps.topicPrefix}${EMAIL_CONSUMER}`,
    topics: deps.sender.aggregateTypes().map((a) => topicFor(deps.topicPrefix, a)),
    fromBeginning: false,
    autoCommit: true,
    handle: (event) => deps.sender.handle(event),
  });
}

/**
 * The reminder sweeper: every `pollMs`, sends the scheduled emails that are due. Runs in every relay
 * process; two sweepers picking the same row send it once (EmailSender.sendOnce).
 */
export class ReminderSweeper {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly sender: EmailSender,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.sender.sendDue().catch((err) => this.log.warn({ err: String(err) }, 'reminder sweep failed'));
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, this.pollMs).unref();
      });
    }
  }
}
