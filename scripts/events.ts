/**
 * Operator commands over the event log (docs/events.md "Operating the log"):
 *   npm run events -- check [--release]             event contracts vs docs/events/schemas (also `npm run events:check`)
 *   npm run events -- fold reservation <id>         the state folded from its events beside the table's, and the differences
 *   npm run events -- rebuild <read-model>          rebuild `sales` or `recommendations` from the outbox into fresh tables, then swap them in
 * fold reads booking's database (MYSQL_URL); rebuild folds booking's outbox into the read model's own database
 * (the events database for sales, recommendations' for recommendations: MYSQL_URL_EVENTS and
 * MYSQL_URL_RECOMMENDATIONS, or derived from MYSQL_URL; src/platform/db/domains.ts).
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { contractsCheck } from '../src/events/cli/contracts-check.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...rest] = process.argv.slice(2);

async function main(): Promise<number> {
  switch (command) {
    case 'check':
      return contractsCheck(root, rest.includes('--release'));
    case 'fold':
    case 'rebuild': {
      const { runOperatorCommand } = await import('../src/main/events-cli.js');
      return runOperatorCommand(command, rest);
    }
    default:
      console.error('usage: npm run events -- check [--release] | fold reservation <id> | rebuild <sales|recommendations>');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
