import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createAdaptorServer } from '@hono/node-server';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';
import { createTestContext, type TestContext } from '../support/harness.js';

const run = promisify(execFile);
const CODEC_SECRET = 'operator-codec-secret-0123456789abcdef';
const UI_ORIGIN = 'http://localhost:8233';
// The CLI scripts/stack.sh installs (same version as the dev server and the compose image).
const root = fileURLToPath(new URL('../..', import.meta.url));
const temporalCli = process.env.TEMPORAL_CLI ?? `${process.env.STACK_TOOLS ?? `${root}/.stack/tools`}/temporal-1.9.1/bin/temporal`;

const fromBase64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
/** Every payload `data` of a CLI JSON output, as text. */
const payloadTexts = (stdout: string) => [...stdout.matchAll(/"data": "([A-Za-z0-9+/=]*)"/g)].map((m) => fromBase64(m[1]!));

/**
 * What operators do with the payload codec, with the real `temporal` CLI against the API served
 * on a socket: `workflow show` and `workflow query` decode through /codec, and the Web UI's decode
 * call (a browser fetch from the UI origin, with X-Namespace) works through the secret UI path.
 */
describe.skipIf(!existsSync(temporalCli))('operator codec with the real Temporal CLI', () => {
  let ctx: TestContext;
  let server: ReturnType<typeof createAdaptorServer>;
  let api: string;
  let adminToken: string;
  let reservationId: string;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { CODEC_SHARED_SECRET: CODEC_SECRET, TEMPORAL_UI_URL: UI_ORIGIN } });
    server = createAdaptorServer({ fetch: ctx.app.fetch });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    adminToken = (await ctx.createUser({ role: 'ADMIN' })).token;
    const buyer = await ctx.createUser();
    const { scheduleId, seatIds } = await ctx.createSchedule({ price: 12_345 });
    const held = await ctx.request('POST', '/api/v1/reservations', { token: buyer.token, body: { scheduleId, seatIds: [seatIds[0]] } });
    expect(held.status).toBe(201);
    reservationId = held.body.id;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await ctx?.close();
  });

  const temporal = (...args: string[]) =>
    run(temporalCli, [...args, '--address', inject('stack').temporalAddress, '--namespace', ctx.config.TEMPORAL_NAMESPACE, '--command-timeout', '20s'], { timeout: 60_000 });

  it('the stored history is ciphertext: without the codec the CLI sees binary/encrypted payloads', async () => {
    const { stdout } = await temporal('workflow', 'show', '--workflow-id', reservationWorkflowId(reservationId), '-o', 'json');
    expect(stdout).toContain(Buffer.from('binary/encrypted').toString('base64'));
    expect(payloadTexts(stdout).some((t) => t.includes('12345'))).toBe(false);
  });

  it('temporal workflow show --codec-endpoint decodes the history (admin token and codec secret)', async () => {
    // `--codec-auth` is sent verbatim as the Authorization header: with or without the scheme, any case.
    for (const auth of [`Bearer ${adminToken}`, `Bearer ${CODEC_SECRET}`, CODEC_SECRET, `bearer ${adminToken}`]) {
      const { stdout } = await temporal('workflow', 'show', '--workflow-id', reservationWorkflowId(reservationId), '--codec-endpoint', `${api}/codec`, '--codec-auth', auth, '-o', 'json');
      const events = JSON.parse(stdout).events as Array<Record<string, any>>;
      const input = events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0];
      expect(fromBase64(input.metadata.encoding)).toBe('json/plain');
      expect(JSON.parse(fromBase64(input.data))).toMatchObject({ reservationId, seatIds: [expect.any(Number)] });
      expect(payloadTexts(stdout).some((t) => t.includes('"amount":12345'))).toBe(true); // the hold's result
      expect(stdout).not.toContain(Buffer.from('binary/encrypted').toString('base64'));
    }
  });

  it('temporal workflow query --codec-endpoint returns the live state decoded', async () => {
    const { stdout } = await temporal('workflow', 'query', '--workflow-id', reservationWorkflowId(reservationId), '--type', 'state', '--codec-endpoint', `${api}/codec`, '--codec-auth', `Bearer ${adminToken}`, '-o', 'json');
    expect(stdout).toContain('"HELD"');
    expect(stdout).toContain('12345');
  });

  it('the CLI without codec credentials gets nothing decoded', async () => {
    // (The CLI retries a failing codec until its command timeout, so this one is kept short.)
    const failed = await run(temporalCli, ['workflow', 'show', '--workflow-id', reservationWorkflowId(reservationId), '--codec-endpoint', `${api}/codec`, '--address', inject('stack').temporalAddress, '--command-timeout', '3s', '-o', 'json'], { timeout: 60_000 }).then(
      (out) => ({ stdout: out.stdout, failed: false }),
      (err: { stdout: string }) => ({ stdout: err.stdout ?? '', failed: true }),
    );
    expect(failed.failed).toBe(true);
    expect(payloadTexts(failed.stdout).some((t) => t.includes('12345'))).toBe(false);
  });

  it('empty and missing payload lists decode to an empty list (what the CLI sends for no payloads)', async () => {
    for (const body of ['{}', '{"payloads":[]}']) {
      const res = await fetch(`${api}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}`, 'x-namespace': ctx.config.TEMPORAL_NAMESPACE }, body });
      expect([res.status, await res.json()]).toEqual([200, { payloads: [] }]);
    }
  });

  it("the Web UI's decode call: preflight from the UI origin, then POST with X-Namespace to the secret UI path", async () => {
    const { stdout } = await temporal('workflow', 'show', '--workflow-id', reservationWorkflowId(reservationId), '-o', 'json');
    const encrypted = JSON.parse(stdout).events[0].workflowExecutionStartedEventAttributes.input.payloads;
    const url = `${api}/codec/ui/${CODEC_SECRET}/decode`;
    const preflight = await fetch(url, { method: 'OPTIONS', headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
    // The UI (ui-server v2) posts {payloads} as JSON with X-Namespace, and credentials when configured.
    const res = await fetch(url, { method: 'POST', headers: { origin: UI_ORIGIN, 'content-type': 'application/json', 'x-namespace': ctx.config.TEMPORAL_NAMESPACE }, body: JSON.stringify({ payloads: encrypted }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const decoded = (await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    expect(Buffer.from(decoded.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString())).toMatchObject({ reservationId, seatIds: expect.any(Array) });
  });
});
