import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_PASSWORD, type TestContext } from './harness.js';

/** Debian's chromium (scripts/stack.sh install puts it there); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The test context's app on a real HTTP port, and one headless Chromium to drive it. */
export async function startBrowserStack(ctx: TestContext) {
  const server = serve({ fetch: ctx.app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  return {
    base,
    browser,
    /** A fresh browser profile (its own cookies), logged in through the login page. */
    async loggedIn(email: string): Promise<Page> {
      const context = await browser.newContext({ locale: 'ko-KR' });
      const page = await context.newPage();
      // WEB_DEBUG=1 prints the page's script errors and console (to see why a page did not draw).
      if (process.env.WEB_DEBUG) {
        page.on('pageerror', (e) => console.log('[page error]', e.message));
        page.on('console', (m) => console.log('[console]', m.text()));
      }
      await page.goto(`${base}/login`);
      await page.fill('#email', email);
      await page.fill('#password', TEST_PASSWORD);
      await Promise.all([page.waitForURL(`${base}/`), page.click('#login-form button[type=submit]')]);
      return page;
    },
    async close() {
      await browser.close();
      ctx.services.notifications.closeAll();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Waits until app.js has drawn the page. */
export const ready = (page: Page) => page.waitForSelector('main[data-ready="true"]');

/** axe-core on the current page: the serious and critical violations (id and first target). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource); // evaluate is not subject to the page's CSP
  const result = await page.evaluate(() => (globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe.run());
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${JSON.stringify(v.nodes[0]?.target)}`);
}
