/**
 * The HTTP floor for the queue benchmark: a bare Hono app on @hono/node-server with one JSON route
 * and no middleware, run as its own process like the API. What a queue request costs beyond this is
 * the product's own work (auth, rate limits, validation, the queue script).
 *   BARE_HONO_PORT=3960 npx tsx scripts/bench/bare-hono.ts
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.json({ ok: true }));
const server = serve({ fetch: app.fetch, port: Number(process.env.BARE_HONO_PORT ?? 3960), hostname: '127.0.0.1' });
process.on('SIGTERM', () => server.close(() => process.exit(0)));
