/**
 * Export benchmark (not a test): a performance with 50,000 sold tickets, seeded directly in the
 * database, exported through HTTP as CSV and XLSX (attendee list and sales ledger) by a real API
 * process, while the API's resident memory is sampled from /proc every 20 ms.
 *
 *   npm run bench:export [-- --tickets 50000 --read-kbps 0]
 *
 * Against the stack the environment names (`npm run up`, or the shared test stack with MYSQL_URL,
 * REDIS_URL, TEMPORAL_ADDRESS and KAFKA_BROKERS set), on a throwaway database and Redis prefix.
 * For each export it prints the API's RSS before (idle, after a warm-up export), the peak while it
 * streams, after (2 s idle), the time to the last byte, the bytes and the rows read back (CSV lines;
 * XLSX rows through exceljs's streaming reader). `--read-kbps N` reads the body at N kB/s, a slow
 * client: memory must stay flat then too (the server may not buffer what the client has not taken).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { reservations, reservationSeats, seatStatus } from '../src/booking/schema.js';
import { payments } from '../src/payment/schema.js';
import { tickets } from '../src/ticketing/schema.js';
import { Children, cleanRedis, dropDatabase, makeSchedule, makeUsers, newRun, openDatabase, sleep, waitReady } from './bench/harness.js';

const { values: args } = parseArgs({
  options: {
    tickets: { type: 'string', default: '50000' },
    'per-buyer': { type: 'string', default: '4' },
    'read-kbps': { type: 'string', default: '0' },
    port: { type: 'string', default: '3970' },
    keep: { type: 'boolean', default: false },
  },
});
const ticketCount = Number(args.tickets);
const perBuyer = Number(args['per-buyer']);
const readKbps = Number(args['read-kbps']);

const run = newRun({ prefix: 'benchx', port: Number(args.port), env: { LOG_LEVEL: 'error' } });
const children = new Children(run.env);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The API's resident set size, in bytes (Linux /proc). */
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** Sold tickets for every seat of the schedule: reservations of `perBuyer` seats, their payments, one ticket per seat. */
async function seedSales(database: Awaited<ReturnType<typeof openDatabase>>, scheduleId: number, concertId: number, seatIds: number[], buyerIds: number[], price: number) {
  const db = database.db;
  const now = new Date();
  const CHUNK = 2000; // seats per transaction
  for (let start = 0; start < seatIds.length; start += CHUNK) {
    const chunk = seatIds.slice(start, start + CHUNK);
    const groups: number[][] = [];
    for (let i = 0; i < chunk.length; i += perBuyer) groups.push(chunk.slice(i, i + perBuyer));
    const rows = groups.map((g, k) => ({ id: `bx${randomBytes(12).toString('hex')}`, userId: buyerIds[(start / perBuyer + k) % buyerIds.length]!, seats: g }));
    await db.transaction(async (tx) => {
      await tx.insert(reservations).values(rows.map((r) => ({ id: r.id, userId: r.userId, scheduleId, concertId, status: 'CONFIRMED' as const, amount: r.seats.length * price, expiresAt: now, confirmedAt: now })));
      await tx.insert(reservationSeats).values(rows.flatMap((r) => r.seats.map((seatId) => ({ reservationId: r.id, seatId, price, activeSeatId: seatId }))));
      await tx.insert(payments).values(rows.map((r) => ({ reservationId: r.id, userId: r.userId, amount: r.seats.length * price, status: 'SUCCEEDED' as const })));
      await tx.insert(tickets).values(rows.flatMap((r) => r.seats.map((seatId) => ({ reservationId: r.id, seatId, scheduleId, userId: r.userId, serial: randomBytes(16).toString('hex'), issuedAt: now }))));
    });
  }
  await db.update(seatStatus).set({ status: 'SOLD' }).where(eq(seatStatus.scheduleId, scheduleId));
}

/** Peak RSS while `work` runs, sampled every 20 ms. */
async function sampled<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = rssOf(pid);
  const timer = setInterval(() => { peak = Math.max(peak, rssOf(pid)); }, 20);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, rssOf(pid)) };
  } finally {
    clearInterval(timer);
  }
}

/** GETs the export; the body is read as it comes (at `kbps` kB/s when set) and kept for the read-back. */
function download(path: string, token: string, kbps: number): Promise<{ status: number; body: Buffer; ms: number }> {
  const url = new URL(path, run.api);
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      let taken = 0;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        taken += c.length;
        if (kbps > 0) {
          // A slow client: stop reading until this much would have arrived at kbps.
          const due = (taken / (kbps * 1000)) * 1000 - (performance.now() - t);
          if (due > 5) {
            res.pause();
            setTimeout(() => res.resume(), due);
          }
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - t }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Data rows in the file (the header row not counted). */
async function rowsIn(format: 'csv' | 'xlsx', body: Buffer): Promise<number> {
  if (format === 'csv') return body.toString('utf8').split('\r\n').filter((l) => l.length > 0).length - 1;
  let rows = 0;
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([body]), { sharedStrings: 'ignore', styles: 'ignore', worksheets: 'emit' });
  for await (const sheet of reader) for await (const _row of sheet) rows += 1;
  return rows - 1;
}

async function main() {
  console.log(`export bench: ${ticketCount.toLocaleString('en')} tickets (${perBuyer} per reservation), client reading ${readKbps > 0 ? `at ${readKbps} kB/s` : 'as fast as it can'}`);
  const database = await openDatabase(run);
  try {
    const seedStart = performance.now();
    const price = 50_000;
    const { concertId, scheduleId, seatIds } = await makeSchedule(database, run, ticketCount, price);
    const buyers = await makeUsers(database, run, Math.ceil(ticketCount / perBuyer / 4), 0);
    const [admin] = await makeUsers(database, run, 1, 0, 'ADMIN');
    await seedSales(database, scheduleId, concertId, seatIds, buyers.map((b) => b.id), price);
    const warmUp = await makeSchedule(database, run, 10, price);
    console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s (not timed below)`);

    children.start('api', { API_PORT: String(new URL(run.api).port) });
    await waitReady(run.api);
    const pid = children.pid('api')!;
    // Load exceljs and warm the routes once, on a small performance.
    for (const format of ['csv', 'xlsx'] as const) await download(`/api/v1/admin/schedules/${warmUp.scheduleId}/exports/attendees?format=${format}`, admin!.token, 0);
    await sleep(2000);

    console.log('export                 | RSS before | peak during | after 2 s | time     | size     | rows read back');
    for (const name of ['attendees', 'sales-ledger'] as const) {
      for (const format of ['csv', 'xlsx'] as const) {
        const before = rssOf(pid);
        const { result, peak } = await sampled(pid, () => download(`/api/v1/admin/schedules/${scheduleId}/exports/${name}?format=${format}`, admin!.token, readKbps));
        await sleep(2000);
        const after = rssOf(pid);
        if (result.status !== 200) throw new Error(`${name}.${format}: HTTP ${result.status} ${result.body.toString('utf8').slice(0, 300)}`);
        const rows = await rowsIn(format, result.body);
        const expected = name === 'attendees' ? ticketCount : Math.ceil(ticketCount / perBuyer);
        console.log(
          `${`${name}.${format}`.padEnd(22)} | ${mb(before).padStart(10)} | ${mb(peak).padStart(11)} | ${mb(after).padStart(9)} | ${`${(result.ms / 1000).toFixed(2)} s`.padStart(8)} | ${mb(result.body.length).padStart(8)} | ${rows.toLocaleString('en')}${rows === expected ? '' : ` (expected ${expected.toLocaleString('en')})`}`,
        );
        if (rows !== expected) process.exitCode = 1;
      }
    }
  } finally {
    await children.stop();
    await database.close();
    if (!args.keep) {
      await dropDatabase(run);
      await cleanRedis(run);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
  children.stopAll();
});
