import { Cluster, Redis as SingleNode, type RedisOptions } from 'ioredis';

/**
 * The Redis port every capability talks to: one node or a Redis Cluster, the same commands.
 * Everything that runs on a Cluster keeps each Lua script's and MULTI's keys in one hash slot
 * (a `{tag}` in the key); docs/production.md "Redis Cluster" lists the tags.
 */
export type Redis = SingleNode | Cluster;

/** Where Redis is: one URL, or the seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES). */
export type RedisEndpoint = string | { url: string; clusterNodes?: string[] | undefined };

/** The endpoint a process's config names: the cluster's seed nodes when set, else REDIS_URL. */
export const redisEndpointOf = (config: { REDIS_URL: string; REDIS_CLUSTER_NODES?: string[] | undefined }): RedisEndpoint => ({
  url: config.REDIS_URL,
  clusterNodes: config.REDIS_CLUSTER_NODES,
});

/** REDIS_CLUSTER_NODES for a child process's environment (empty on one node). */
export const redisClusterEnv = (config: { REDIS_CLUSTER_NODES?: string[] | undefined }): { REDIS_CLUSTER_NODES?: string } =>
  config.REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: config.REDIS_CLUSTER_NODES.join(',') } : {};

// While Redis is down, commands wait in ioredis's offline queue and fail together every
// (maxRetriesPerRequest + 1) reconnect attempts. ioredis's default backoff grows to 2 s per attempt,
// so a command could wait 6 s and a request that only uses Redis as a cache hit the request
// deadline. A short, flat backoff (a refused connect costs nothing) fails them within a few
// hundred ms, and the callers that only cache in Redis fall back to MySQL.
//
// A partition is different: nothing is refused or reset, the connection just stops answering, and
// TCP retransmits for minutes before it gives up (chaos's redis-partition fault: 14.9 s to recover
// after a 40 s cut, on TCP's back-off). socketTimeout destroys a connection that sent a command and
// heard nothing for 5 s, and a short connectTimeout keeps the reconnect attempts (SYNs dropped
// while the cut lasts) from waiting 10 s each: the commands under way are resent on the new
// connection (ioredis's autoResendUnfulfilledCommands; every script here is idempotent), or fail
// with the others once the retries are used up (503), and the first attempt after the cut heals
// connects at once. A process too starved to read a reply for 5 s only reconnects and resends.
const nodeOptions: RedisOptions = { maxRetriesPerRequest: 2, retryStrategy: (times) => Math.min(times * 20, 100), socketTimeout: 5_000, connectTimeout: 2_000 };

/**
 * One ioredis connection (or Cluster client) per purpose; keys are prefixed so tests (and tenants)
 * do not collide. Connection errors are reported through `onError` (ioredis reconnects by itself);
 * without a listener ioredis prints every failed reconnect as an unhandled error.
 */
export function createRedis(endpoint: RedisEndpoint, prefix: string, onError: (err: Error) => void = () => {}): Redis {
  const { url, clusterNodes } = typeof endpoint === 'string' ? { url: endpoint, clusterNodes: undefined } : endpoint;
  const redis = clusterNodes?.length ? createCluster(clusterNodes, prefix) : new SingleNode(url, { ...nodeOptions, keyPrefix: prefix, enableAutoPipelining: true });
  let last = 0;
  redis.on('error', (err: Error) => {
    // At most one report per 10 s while Redis is down.
    if (Date.now() - last > 10_000) {
      last = Date.now();
      onError(err);
    }
  });
  return redis;
}

function createCluster(nodes: string[], prefix: string): Cluster {
  // A `{` in the prefix would become every key's hash tag and put the whole app in one slot.
  if (/[{}]/.test(prefix)) throw new Error(`REDIS_PREFIX must not contain { or } on a Redis Cluster: "${prefix}"`);
  const cluster = new Cluster(
    nodes.map((n) => {
      const [host, port] = n.split(':');
      return { host: host!, port: Number(port) };
    }),
    {
      keyPrefix: prefix,
      // Auto-pipelining batches per node (ioredis groups by slot's node), like one node's.
      enableAutoPipelining: true,
      redisOptions: nodeOptions,
      // After a master dies, commands wait (offline queue) while the replica is promoted: the
      // slots are re-read every 200 ms until a node serves them again, then the commands go.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 100,
      maxRedirections: 16,
      clusterRetryStrategy: (times) => Math.min(times * 50, 500),
      slotsRefreshTimeout: 2000,
    },
  );
  // Auto-pipelining routes a script by its first argument, which is the key only when the script
  // declares numberOfKeys; a script called with its key count first would be batched by the slot of
  // "1" with other nodes' keys ("All keys in the pipeline should belong to the same slots").
  const define = cluster.defineCommand.bind(cluster);
  cluster.defineCommand = (name, definition) => {
    if (definition.numberOfKeys === undefined) cluster.options.autoPipeliningIgnoredCommands!.push(name);
    define(name, definition);
  };
  return cluster;
}

/**
 * Runs a script whose keys are independent of each other (a loop over KEYS, each key with its own
 * arguments and its own slice of the reply): in one call on one node, and once per key on a
 * Cluster, where the keys live in different slots (CROSSSLOT in one script). `run` gets the
 * indexes of the keys to pass and returns their replies in that order.
 */
export async function perKeyScript<T>(redis: Redis, keyCount: number, run: (indexes: number[]) => Promise<T[]>): Promise<T[]> {
  const all = [...Array(keyCount).keys()];
  if (!(redis instanceof Cluster) || keyCount < 2) return run(all);
  return (await Promise.all(all.map((i) => run([i])))).flat();
}

/**
 * Every key matching a SCAN pattern (full keys, the client's prefix included: patterns are not
 * prefixed). A Cluster's keys are spread over its masters, so each master is scanned.
 */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return found;
}
