import { pino } from 'pino';
import { buildEmail } from '../../src/main/email-app.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import type { TestContext } from './harness.js';
import { startRelay } from './kafka.js';
import { ensureTopics } from './events.js';

/** A test file's email pipeline as the relay process runs it: its outboxes relayed to Kafka, the email consumer and the reminder sweeper. */
export async function startEmailPipeline(ctx: TestContext) {
  await ensureTopics(ctx);
  const relay = await startRelay(ctx);
  const metrics = new Metrics(`email-${ctx.id}`, false);
  const email = buildEmail({ config: ctx.config, db: ctx.db, identityDb: ctx.identityDb, notificationsDb: ctx.notificationsDb, kafka: ctx.kafka, log: pino({ level: 'silent' }), metrics });
  email.start();
  await email.consumer.ready();
  return {
    email,
    metrics,
    /** How many sends failed so far (SMTP refused or unreachable), all templates. */
    failures: async () => ((await metrics.registry.getSingleMetric('email_send_failures_total')?.get())?.values ?? []).reduce((n, v) => n + v.value, 0),
    stop: async () => {
      await email.stop();
      await relay.stop();
    },
  };
}
