import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../platform/http/app.js';
import { asyncApiDocument } from './asyncapi.js';
import { renderAsyncApiPage } from './asyncapi-page.js';

/** GET /asyncapi.json (the event contracts, AsyncAPI 3.0) and GET /asyncapi (the same as a page). */
export function asyncApiRoutes(opts: { topicPrefix: string; brokers: readonly string[] }) {
  const document = asyncApiDocument(opts);
  const page = renderAsyncApiPage(document);
  const app = createRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/asyncapi.json',
      tags: ['events'],
      summary: 'The event contracts: an AsyncAPI 3.0 document of every Kafka topic and event type',
      description: 'Generated from the event catalog (src/events/catalog.ts): channels (topics), messages with headers, key, payload schema and an example. Rendered at /asyncapi.',
      responses: { 200: { description: 'The AsyncAPI document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi('AsyncApiDocument') } } } },
    }),
    (c) => c.json(document, 200, { 'cache-control': 'public, max-age=300' }),
  );
  app.get('/asyncapi', (c) => c.html(page, 200, { 'cache-control': 'public, max-age=300' }));
  return app;
}
