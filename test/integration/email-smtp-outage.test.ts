import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sentEmails } from '../../src/notifications/schema.js';
import { canKillServices } from '../support/chaos.js';
import { startEmailPipeline } from '../support/email.js';
import { createTestContext, eventually, type TestContext } from '../support/harness.js';
import { retrying } from '../support/client-retry.js';
import { checkInvariants } from '../support/invariants.js';
import { Mailpit } from '../support/mailpit.js';

const mailpitUrl = inject('stack').mailpitUrl;
const stackScript = fileURLToPath(new URL('../../scripts/stack.sh', import.meta.url));
/** This run's native stack (the suite's own, or STACK_PORT_BASE's): stop-one / restart-one a service. */
const stack = (command: string, service: string) => promisify(execFile)('bash', [stackScript, command, service], { env: { ...process.env, STACK_PROFILE: 'test' }, timeout: 120_000 });

/**
 * Sending is durable (issue 23 item 1): with the SMTP server stopped, purchases still confirm, every
 * send fails and is retried; once Mailpit is back each email arrives exactly once. It stops a
 * service, so it runs only on a stack this run owns (scripts/stack.sh), never on a shared one.
 */
describe.skipIf(!mailpitUrl || !canKillServices())('email through an SMTP outage', () => {
  let ctx: TestContext;
  let pipeline: Awaited<ReturnType<typeof startEmailPipeline>>;
  const mailpit = new Mailpit(mailpitUrl ?? '');

  beforeAll(async () => {
    // The request deadline (503 after 4 s) is not under test here.
    ctx = await createTestContext({ env: { REQUEST_DEADLINE_MS: '120000' } });
    pipeline = await startEmailPipeline(ctx);
  });
  afterAll(async () => {
    // Whatever happened, the next files find Mailpit running (restart-one keeps its mailbox).
    await stack('restart-one', 'mailpit').catch(() => undefined);
    await pipeline?.stop();
    await ctx?.close();
  });

  it('emails of purchases made while SMTP is down arrive once each after it comes back', async () => {
    const buyers = await Promise.all([1, 2, 3].map(() => ctx.createUser({ balance: 100_000 })));
    const { scheduleId, seatIds } = await ctx.createSchedule();
    await stack('stop-one', 'mailpit');
    for (const [i, b] of buyers.entries()) {
      // Retried with its Idempotency-Key through a 503 at the request deadline, as a client does.
      const held = await retrying(() => ctx.request('POST', '/api/v1/reservations', { token: b.token, body: { scheduleId, seatIds: [seatIds[i]!] }, headers: { 'idempotency-key': `${ctx.id}-hold-${i}` } }));
      expect(held.status).toBe(201);
      const paid = await retrying(() => ctx.request('POST', `/api/v1/reservations/${held.body.id}/payment`, { token: b.token, headers: { 'idempotency-key': `${ctx.id}-pay-${i}` } }));
      expect(paid.status).toBe(200);
    }
    // The consumer tried, the SMTP server was not there, and nothing was recorded as sent.
    await eventually(async () => (await pipeline.failures()) >= 2, 180_000, 500);
    expect(await ctx.notificationsDb.select().from(sentEmails).where(eq(sentEmails.template, 'purchase-confirmation'))).toEqual([]);

    await stack('restart-one', 'mailpit');
    for (const b of buyers) await mailpit.waitFor(b.email, 1, 300_000);
    // Let retries that were in flight settle, then: one confirmation per purchase, no more.
    await eventually(async () => (await ctx.notificationsDb.select().from(sentEmails).where(eq(sentEmails.template, 'purchase-confirmation'))).length === 3, 120_000, 500);
    await new Promise((r) => setTimeout(r, 5_000));
    for (const b of buyers) {
      const received = await mailpit.to(b.email);
      expect(received.map((m) => m.Subject)).toEqual([expect.stringMatching(/^\[예매 완료\]/)]);
    }
    expect(await checkInvariants(ctx.pool, { atLeast: { confirmed: 3, tickets: 3 } })).toEqual([]);
  });
});
