import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketCodeSigner } from '../../src/ticketing/index.js';
import { CHROMIUM, startBrowserStack } from '../support/browser.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * The offline door scanner in real Chromium (docs/tickets.md "Offline scanning"): with the network
 * cut (context.setOffline) the page checks codes itself, admits, queues, survives a reload (service
 * worker), and syncs when the network is back; two offline gates admitting one ticket end with one
 * admission standing and the conflict shown on both. Asserted: what the page and the server decided.
 */
describe.skipIf(!existsSync(CHROMIUM))('door scanner page, offline, in Chromium', () => {
  let ctx: TestContext;
  let web: Awaited<ReturnType<typeof startBrowserStack>>;
  let staff: Awaited<ReturnType<TestContext['createUser']>>;
  const q = async (sql: string, params: unknown[] = []) => (await ctx.pool.query(sql, params))[0] as Array<Record<string, any>>;

  /** A confirmed purchase of `n` seats on one schedule; its tickets' key facts. */
  const purchase = async (scheduleId: number, seatIds: number[]) => {
    const buyer = await ctx.createUser({ balance: 100_000 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds } });
    expect((await ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: buyer.token })).status).toBe(200);
    const rows = await q('SELECT id, schedule_id, serial FROM tickets WHERE reservation_id = ? ORDER BY seat_id', [held.body.id]);
    return rows.map((r) => ({ id: Number(r.id), scheduleId: Number(r.schedule_id), serial: String(r.serial) }));
  };
  /** The code the buyer's page shows right now (made just before it is typed in). */
  const codeNow = (t: { id: number; scheduleId: number; serial: string }, offsetMs = 0) => ticketCodeSigner(ctx.config).rotating(t, new Date(Date.now() + offsetMs)).code;
  const admittedAt = async (ticketId: number) => (await q('SELECT admitted_at FROM tickets WHERE id = ?', [ticketId]))[0]!.admitted_at as Date | null;

  const openScanner = async (scheduleId: number): Promise<Page> => {
    const page = await web.loggedIn(staff.email);
    await page.goto(`${web.base}/door/schedules/${scheduleId}`);
    await page.waitForSelector('main[data-ready="true"]');
    await page.waitForSelector('#scanner-state[data-online="true"]');
    await page.waitForSelector('body[data-offline-ready="true"]'); // the service worker's cache holds the page and its scripts
    return page;
  };
  const enter = async (page: Page, code: string) => {
    await page.$eval('#result', (el) => el.removeAttribute('data-result'));
    await page.fill('#code', code);
    await page.click('#scan-form button[type=submit]');
    return page.waitForSelector('#result[data-result]').then((el) => el.getAttribute('data-result'));
  };
  const queued = (page: Page) => page.getAttribute('#queue-count', 'data-count').then(Number);

  beforeAll(async () => {
    ctx = await createTestContext();
    web = await startBrowserStack(ctx);
    staff = await ctx.createUser({ role: 'STAFF' });
  });
  afterAll(async () => {
    await web?.close();
    await ctx?.close();
  });

  it('offline: checks codes itself, admits once, queues, reloads from the service worker, and syncs when the network is back', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const [ticket] = await purchase(scheduleId, seatIds.slice(0, 1));
    const page = await openScanner(scheduleId);
    await page.context().setOffline(true);
    await page.waitForSelector('#scanner-state[data-online="false"]');

    expect(await enter(page, codeNow(ticket!, -40_000))).toBe('CODE_EXPIRED'); // a screenshot older than its window
    expect(await enter(page, `${codeNow(ticket!).slice(0, -4)}AAAA`)).toBe('CODE_FORGED');
    expect(await enter(page, codeNow(ticket!))).toBe('ADMITTED');
    expect(await enter(page, codeNow(ticket!))).toBe('ALREADY_USED'); // this device admits a ticket once
    expect(await queued(page)).toBe(1);
    expect(await admittedAt(ticket!.id)).toBeNull(); // nothing reached the server

    // Still offline: the page reloads from the service worker, with its queue in IndexedDB.
    await page.reload();
    await page.waitForSelector('main[data-ready="true"]');
    expect(await queued(page)).toBe(1);

    await page.context().setOffline(false);
    await page.waitForSelector('#queue-count[data-count="0"]', { timeout: 60_000 });
    expect(await admittedAt(ticket!.id)).not.toBeNull();
    await page.context().close();
  }, 180_000);

  it('two offline gates admit one ticket: after both sync, one admission stands and both gates show the conflict', async () => {
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 10_000 });
    const [ticket] = await purchase(scheduleId, seatIds.slice(0, 1));
    const [gateA, gateB] = [await openScanner(scheduleId), await openScanner(scheduleId)];
    await gateA.context().setOffline(true);
    await gateB.context().setOffline(true);
    expect(await enter(gateA, codeNow(ticket!))).toBe('ADMITTED');
    expect(await enter(gateB, codeNow(ticket!))).toBe('ADMITTED');

    await gateA.context().setOffline(false);
    await gateA.waitForSelector('#queue-count[data-count="0"]', { timeout: 60_000 });
    await gateB.context().setOffline(false);
    await gateB.waitForSelector('#queue-count[data-count="0"]', { timeout: 60_000 });
    await gateB.waitForSelector(`#conflicts li[data-ticket="${ticket!.id}"]`);
    await gateA.click('#sync-now');
    await gateA.waitForSelector(`#conflicts li[data-ticket="${ticket!.id}"]`, { timeout: 60_000 });

    const conflicts = await eventually(async () => {
      const res = await ctx.request('GET', `/api/v1/entry/schedules/${scheduleId}/conflicts`, { token: staff.token });
      return res.body.items.length === 1 ? res.body.items : undefined;
    });
    expect(conflicts[0].entries).toHaveLength(2);
    expect(conflicts[0].entries.filter((e: any) => e.stands)).toHaveLength(1);
    const standing = conflicts[0].entries.find((e: any) => e.stands);
    expect(new Date((await admittedAt(ticket!.id))!).toISOString()).toBe(standing.scannedAt);
    expect(await checkInvariants(ctx.pool, { atLeast: { tickets: 1 } })).toEqual([]);
    await gateA.context().close();
    await gateB.context().close();
  }, 240_000);
});
