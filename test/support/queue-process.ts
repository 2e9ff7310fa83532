/**
 * One API process's share of the waiting room's periodic work (the queue driver and the admission
 * controller), alone in a child process, so a test can SIGKILL it: no drain, no lease handed over,
 * nothing flushed. Started by startQueueProcess (worker-process.ts); configured by the environment
 * like the API. Prints "queue process started <controller owner>" when running.
 */
import { loadConfig } from '../../src/config.js';
import { createDatabase } from '../../src/platform/db/client.js';
import { Metrics } from '../../src/platform/observability/metrics.js';
import { createRedis, redisEndpointOf } from '../../src/platform/redis.js';
import { buildQueue } from '../../src/queue/wiring.js';

const config = loadConfig();
const database = createDatabase(config.MYSQL_URL, 4);
const redis = createRedis(redisEndpointOf(config), config.REDIS_PREFIX);
const queue = buildQueue({ config, db: database.db, redis, metrics: new Metrics('queue-process', false), onError: (what, err) => console.error(what, String(err)) });
queue.start();
// The timers are unref'd (an API process is kept alive by its server): keep this one alive.
setInterval(() => undefined, 60_000);
console.log(`queue process started ${queue.controller.owner}`);
