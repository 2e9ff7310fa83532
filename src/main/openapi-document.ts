import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { createDatabase } from '../platform/db/client.js';
import { Metrics } from '../platform/observability/metrics.js';
import { buildApiApp } from './api-app.js';

/**
 * The API's OpenAPI document exactly as GET /openapi.json serves it, built in-process with no service
 * running: the app is wired to a database, Redis and Temporal that are never contacted (the document
 * comes from the route declarations alone), with the default configuration so the result does not
 * depend on the machine. The web client's types are generated from it (scripts/web-types.ts).
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig({});
  const database = createDatabase('mysql://unused:unused@127.0.0.1:1/unused', 1); // a pool connects on first query: never
  const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true }); // connects on first command: never
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const { app, services } = buildApiApp({ config, db: database.db, paymentDb: database.db, webhooksDb: database.db, waitlistDb: database.db, identityDb: database.db, eventsDb: database.db, recommendationsDb: database.db, redis, temporal, kafkaAdmin: {} as never, log: pino({ level: 'silent' }), metrics: new Metrics('openapi', false) });
  services.queue.stop(); // its timers would be the only thing to touch Redis
  try {
    const res = await app.request('/openapi.json');
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  } finally {
    redis.disconnect();
    await database.close();
  }
}
