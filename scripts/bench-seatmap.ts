/**
 * The seat map's read path under an open-loop load (issue 27 item 1: one Redis seat structure must
 * serve the seat map at least as fast as the old seat-map cache did):
 *   npm run bench:seatmap [-- --seats 2000 --held 200 --rate 200 --seconds 10 --port 3990]
 *
 * Spawns the real API and worker on a throwaway database, Redis prefix and task queue, creates a
 * schedule of `--seats` seats, holds `--held` of them (4 per reservation, through the API, so Redis
 * and MySQL show them as a buyer would leave them), warms the map once, then asks
 * GET /api/v1/schedules/:id/seats at `--rate` per second for `--seconds` and prints p50/p95/p99.
 */
import { parseArgs } from 'node:util';
import { Children, HttpClient, exitWithVerdict, makeSchedule, makeUsers, newRun, openDatabase, startProcesses, teardown, broken } from './bench/harness.js';
import { OpenLoop } from './bench/open-loop.js';
import { Samples } from './bench/stats.js';

const { values: args } = parseArgs({
  options: {
    seats: { type: 'string', default: '2000' },
    held: { type: 'string', default: '200' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    port: { type: 'string', default: '3990' },
    keep: { type: 'boolean', default: false },
  },
});
const n = (k: keyof typeof args) => Number(args[k]);
const run = newRun({ prefix: 'seatmap', port: n('port'), env: { QUEUE_ENFORCED: 'false', RATE_LIMIT_ENABLED: 'false', REQUEST_DEADLINE_MS: '60000' } });
run.env.KAFKA_TOPIC_PREFIX = `${run.runId}.`;

async function main() {
  const database = await openDatabase(run);
  const children = new Children(run.env);
  const http = new HttpClient(run.api);
  try {
    const { scheduleId, seatIds } = await makeSchedule(database, run, n('seats'));
    const holders = await makeUsers(database, run, Math.ceil(n('held') / 4), 10_000_000);
    await startProcesses(run, children, { apis: 1, workers: 1, port: n('port') });
    let held = 0;
    for (const [i, user] of holders.entries()) {
      const seats = seatIds.slice(i * 4 + 7, i * 4 + 11);
      const r = await http.request('POST', '/api/v1/reservations', { token: user.token, body: { scheduleId, seatIds: seats } });
      if (r.status === 201) held += seats.length;
      else broken(`hold ${i} answered ${r.status}`);
    }
    const path = `/api/v1/schedules/${scheduleId}/seats`;
    const warm = await http.request('GET', path);
    const shown = warm.body?.items;
    const heldShown = Array.isArray(shown) ? shown.filter((s: { status: string }) => s.status === 'HELD').length : -1;
    if (heldShown !== held) broken(`the seat map shows ${heldShown} HELD seats, ${held} were held`);
    const latencies = new Samples('GET /api/v1/schedules/:id/seats');
    const statuses = new Map<number, number>();
    const loop = new OpenLoop({ count: n('rate') * n('seconds'), ratePerSec: n('rate') }, async () => {
      const r = await http.request('GET', path);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 200) latencies.add(r.ms);
    });
    const result = await loop.run();
    console.log(`seat map: ${n('seats')} seats, ${held} held; ${n('rate')}/s for ${n('seconds')} s open loop (generator lag p99 ${result.lag.p99.toFixed(1)} ms)`);
    console.log(`${latencies.line(result.elapsedMs)}  statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    if ((statuses.get(200) ?? 0) !== n('rate') * n('seconds')) broken('some seat-map reads did not answer 200');
  } finally {
    await teardown(run, { keep: args.keep, children, database, close: [] });
  }
}

exitWithVerdict(main());
