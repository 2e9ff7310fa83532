/**
 * `npm run reconcile -- --since 2026-12-07T00:00:00Z [--until <time>]` (or `--since 3h`): compares the
 * provider's card payments created in the window with ours, repairs what is safe (a success whose
 * webhook was lost is applied or refunded through the workflows), and prints the report as JSON.
 * The same run the worker's hourly Temporal Schedule does (docs/payments.md). Exits 2 when it found
 * mismatches it may not repair.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../src/config.js';
import { CardOutcomeDelivery } from '../src/payment/card-outcome-delivery.js';
import { createPaymentProvider } from '../src/payment/provider-factory.js';
import { createPaymentModule } from '../src/payment/module.js';
import { createDatabase } from '../src/platform/db/client.js';
import { domainDatabaseUrl } from '../src/platform/db/domains.js';
import { encryptedDataConverter } from '../src/platform/temporal-codec.js';

const { values } = parseArgs({ options: { since: { type: 'string' }, until: { type: 'string' } } });
const parseTime = (v: string) => {
  const relative = /^(\d+)([mhd])$/.exec(v);
  if (relative) return new Date(Date.now() - Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd']);
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) throw new Error(`not a time: ${v} (ISO-8601, or 30m / 3h / 2d ago)`);
  return t;
};
if (!values.since) {
  console.error('usage: npm run reconcile -- --since <ISO time | 3h> [--until <ISO time>]');
  process.exit(64);
}

const config = loadConfig();
const provider = createPaymentProvider(config);
if (!provider) {
  console.error('PAYMENT_PROVIDER=none: nothing to reconcile');
  process.exit(64);
}
// Payment's tables are in payment's own database (its own user).
const database = createDatabase(domainDatabaseUrl(config, 'payment'), 2);
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: encryptedDataConverter(config.DATA_ENCRYPTION_KEY, config.DATA_ENCRYPTION_KEY_PREVIOUS) });
try {
  const reconciliation = createPaymentModule(database.db, { maxBalance: config.WALLET_MAX_BALANCE }, provider).reconciliation(new CardOutcomeDelivery(client, config.TEMPORAL_TASK_QUEUE, config.PAYMENT_TASK_QUEUE))!;
  const report = await reconciliation.run(parseTime(values.since), values.until ? parseTime(values.until) : new Date());
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.mismatches.length > 0 ? 2 : 0;
} finally {
  await connection.close();
  await database.close();
}
