import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '../platform/observability/logger.js';
import type { Metrics } from '../platform/observability/metrics.js';
import { parseEnvelope, type EventEnvelope } from './catalog.js';

export interface EventConsumerOptions {
  /** Names the consumer in logs and metrics (and in processed_events for durable consumers). */
  name: string;
  groupId: string;
  topics: string[];
  /** A new group starts at the earliest offset (read models) or at the latest (live notifications). */
  fromBeginning: boolean;
  /** Off for throw-away groups: nothing to resume, so nothing worth committing. */
  autoCommit: boolean;
  /** Applies one event; resolves false when it was a duplicate that changed nothing. */
  handle(event: EventEnvelope): Promise<boolean>;
}

/**
 * A kafkajs consumer-group member that keeps itself alive: it starts while Kafka is down and
 * retries with backoff, and it rebuilds itself after a crash kafkajs will not restart on its own.
 * kafkajs commits an offset only after `handle` resolves, so delivery is at-least-once; every
 * handler dedupes by event id, which makes the effect exactly-once.
 */
export class EventConsumer {
  private stopped = false;
  private consumer: Consumer | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readyWaiters: Array<() => void> = [];
  private isReady = false;
  private readonly consumed;
  private readonly duplicates;
  private readonly errors;
  private readonly up;

  constructor(
    private readonly kafka: Kafka,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly opts: EventConsumerOptions,
  ) {
    this.consumed = metrics.counter('events_consumed_total', 'Events applied by a consumer', ['consumer', 'type']);
    this.duplicates = metrics.counter('events_duplicates_skipped_total', 'Redelivered events a consumer recognised and skipped', ['consumer']);
    this.errors = metrics.counter('events_consumer_errors_total', 'Consumer failures (connect, crash, unreadable message)', ['consumer', 'kind']);
    this.up = metrics.gauge('events_consumer_up', '1 while the consumer is in its group and fetching', ['consumer']);
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves once the consumer has joined its group and finished a first fetch (offsets resolved). */
  ready(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Leaves the group. The loop may be stuck inside connect/subscribe/run (kafkajs retries those on
   * its own, e.g. while a topic does not exist yet): disconnecting aborts them, and the wait is
   * bounded so a shutdown never hangs on Kafka.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.consumer?.disconnect().catch(() => undefined);
    await Promise.race([this.loop, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  private async run(): Promise<void> {
    let backoffMs = 500;
    while (!this.stopped) {
      const consumer = this.kafka.consumer({ groupId: this.opts.groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, allowAutoTopicCreation: true });
      this.consumer = consumer;
      try {
        const gone = this.watch(consumer);
        await consumer.connect();
        await consumer.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning });
        await consumer.run({ autoCommit: this.opts.autoCommit, eachMessage: async ({ message }) => this.onMessage(message.value) });
        backoffMs = 500;
        await gone; // until stop() or a crash kafkajs gives up on
      } catch (err) {
        this.errors.inc({ consumer: this.opts.name, kind: 'connect' });
        this.log.warn({ consumer: this.opts.name, err: String(err), retryInMs: backoffMs }, 'event consumer could not start; retrying');
      }
      this.up.set({ consumer: this.opts.name }, 0);
      this.isReady = false;
      await consumer.disconnect().catch(() => undefined);
      this.consumer = undefined;
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, backoffMs);
      });
      backoffMs = Math.min(backoffMs * 2, 10_000);
    }
  }

  /** Resolves when the consumer must be rebuilt (a crash without restart) or stop() was called. */
  private watch(consumer: Consumer): Promise<void> {
    const { GROUP_JOIN, FETCH, CRASH } = consumer.events;
    let joined = false;
    consumer.on(GROUP_JOIN, () => {
      joined = true;
    });
    consumer.on(FETCH, () => {
      if (!joined || this.isReady) return;
      this.isReady = true;
      this.up.set({ consumer: this.opts.name }, 1);
      for (const resolve of this.readyWaiters.splice(0)) resolve();
    });
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      consumer.on(CRASH, (e) => {
        this.errors.inc({ consumer: this.opts.name, kind: 'crash' });
        this.isReady = false;
        joined = false;
        this.up.set({ consumer: this.opts.name }, 0);
        this.log.warn({ consumer: this.opts.name, err: String(e.payload.error), restart: e.payload.restart }, 'event consumer crashed');
        if (!e.payload.restart) resolve();
      });
    });
  }

  private async onMessage(value: Buffer | null): Promise<void> {
    let event: EventEnvelope;
    try {
      event = parseEnvelope(JSON.parse(value?.toString() ?? ''));
    } catch (err) {
      // A message no schema accepts can never be applied: skip it loudly rather than block the partition.
      this.errors.inc({ consumer: this.opts.name, kind: 'unreadable' });
      this.log.error({ consumer: this.opts.name, err: String(err) }, 'skipping an unreadable event');
      return;
    }
    // A throw here (e.g. MySQL down) makes kafkajs retry the message and, failing that, restart
    // from the last committed offset: nothing is skipped.
    const applied = await this.opts.handle(event);
    if (applied) this.consumed.inc({ consumer: this.opts.name, type: event.type });
    else this.duplicates.inc({ consumer: this.opts.name });
  }
}
