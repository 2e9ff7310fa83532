import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import type mysql from 'mysql2/promise';
import { allAggregateTypes, parseEnvelope, topicFor, type EventEnvelope } from '../../src/events/catalog.js';
import { eventually, type TestContext } from './harness.js';

/** Creates every aggregate topic with 3 partitions, so consumers never race auto-creation. */
export async function ensureTopics(ctx: TestContext) {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    const topics = allAggregateTypes.map((t) => ({ topic: topicFor(ctx.config.KAFKA_TOPIC_PREFIX, t), numPartitions: 3 }));
    // On a busy machine a topic just created can be missing from the broker's metadata for a moment
    // (UNKNOWN_TOPIC_OR_PARTITION, which kafkajs's wait for leaders does not retry): ask again; topics
    // that exist by then are left as they are.
    await eventually(async () => (await admin.createTopics({ topics, waitForLeaders: true }), true), 60_000, 500);
  } finally {
    await admin.disconnect();
  }
  return allAggregateTypes.map((t) => topicFor(ctx.config.KAFKA_TOPIC_PREFIX, t));
}

export interface Received {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  event: EventEnvelope;
}

/** Reads topics from the beginning with a fresh group, keeping where each message was found. */
export async function collectRaw(kafka: Kafka, topics: string[], groupId: string) {
  const received: Received[] = [];
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      received.push({ topic, partition, offset: Number(message.offset), key: message.key!.toString(), event: parseEnvelope(JSON.parse(message.value!.toString())) });
    },
  });
  return { received, stop: () => consumer.disconnect() };
}

/** Reads the topics until every event in the log has arrived; returns what was received. */
export async function receiveAllLogged(ctx: TestContext, topics: string[], groupId: string, timeoutMs: number): Promise<Received[]> {
  // Every domain's outbox: booking's and payment's (wallet and payment events are in payment's).
  const logged = [...(await loggedEventIds(ctx.pool)), ...(await loggedEventIds(ctx.paymentPool))];
  const consumer = await collectRaw(ctx.kafka, topics, groupId);
  try {
    await eventually(async () => {
      const got = new Set(consumer.received.map((r) => r.event.id));
      return logged.every((id) => got.has(id));
    }, timeoutMs);
  } finally {
    await consumer.stop();
  }
  return consumer.received;
}

/** Every event id in the log, in log order. */
export async function loggedEventIds(pool: mysql.Pool): Promise<string[]> {
  const [rows] = await pool.query('SELECT id FROM domain_events ORDER BY position');
  return (rows as Array<{ id: string }>).map((r) => r.id);
}

/** Sales figures of a schedule recounted from the MySQL truth (what the read model must equal). */
export async function recountSales(pool: mysql.Pool, scheduleId: number) {
  const [rows] = await pool.query(
    `SELECT COUNT(*) started,
            COALESCE(SUM(r.confirmed_at IS NOT NULL), 0) confirmed,
            COALESCE(SUM(CASE WHEN r.status = 'HELD' THEN n.seats ELSE 0 END), 0) held,
            COALESCE(SUM(CASE WHEN r.status = 'CONFIRMED' THEN n.seats ELSE 0 END), 0) sold,
            COALESCE(SUM(CASE WHEN r.status = 'CONFIRMED' THEN r.amount ELSE 0 END), 0) revenue
     FROM reservations r JOIN (SELECT reservation_id, COUNT(*) seats FROM reservation_seats GROUP BY reservation_id) n ON n.reservation_id = r.id
     WHERE r.schedule_id = ?`,
    [scheduleId],
  );
  const r = (rows as Array<Record<string, unknown>>)[0]!;
  return { reservationsStarted: Number(r.started), reservationsConfirmed: Number(r.confirmed), seatsHeld: Number(r.held), seatsSold: Number(r.sold), revenue: Number(r.revenue) };
}

const stackScript = fileURLToPath(new URL('../../scripts/stack.sh', import.meta.url));

/** Only the native test stack (scripts/stack.sh) can stop and start its own broker. */
export const canControlBroker = () => !process.env.TEST_STACK || process.env.TEST_STACK === 'native';

/** Stops or starts the Kafka broker of this run's test stack (STACK_DIR / STACK_PORT_BASE from the environment). */
export function kafkaBroker(action: 'stop' | 'start') {
  execFileSync('bash', [stackScript, `${action}-one`, 'kafka'], { stdio: 'ignore', env: { ...process.env, STACK_PROFILE: 'test' }, timeout: 180_000 });
}

/** A minimal SSE reader over fetch: messages (id, event, data) and comment lines, as they arrive. */
export async function openEventStream(url: string, token?: string, lastEventId?: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (lastEventId) headers['last-event-id'] = lastEventId;
  const res = await fetch(url, { headers, signal: controller.signal });
  const messages: Array<{ id?: string; event?: string; data?: string }> = [];
  const comments: string[] = [];
  let ended = false;
  const pump = (async () => {
    if (!res.ok || !res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const msg: { id?: string; event?: string; data?: string } = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) msg.id = line.slice(4);
            else if (line.startsWith('event: ')) msg.event = line.slice(7);
            else if (line.startsWith('data: ')) msg.data = (msg.data ? `${msg.data}\n` : '') + line.slice(6);
          }
          if (msg.event || msg.data) messages.push(msg);
        }
      }
    } catch {
      /* aborted */
    } finally {
      ended = true;
    }
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    messages,
    comments,
    get ended() {
      return ended;
    },
    /** The envelopes received so far (messages with an id). */
    events: () => messages.filter((m) => m.id).map((m) => ({ id: m.id!, type: m.event!, envelope: JSON.parse(m.data!) as EventEnvelope })),
    close: async () => {
      controller.abort();
      await pump;
    },
    done: () => pump,
    body: res.ok ? undefined : await res.clone().text().catch(() => undefined),
  };
}
