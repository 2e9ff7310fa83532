/**
 * Unit tests of the webhook delivery workflow (workflows/webhooks/delivery.ts): real workflow code,
 * a scripted attempt activity (what the receiver "answered" per attempt).
 *
 * Branches, and the test that covers each:
 *  - 2xx on a later attempt after retries, each retry told its delay ........... 'retries with backoff until delivered'
 *  - 410: ends at once, no further attempt ....................................... 'ends on 410'
 *  - the retry window runs out: the last attempt is told so (retryInMs null) ..... 'gives up'
 *  - the stop signal during a backoff wait: ends without another attempt ......... 'stops when told'
 *  - an attempt that finds its run stopped (endpoint disabled) ................... 'ends when an attempt says STOPPED'
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopDeliverySignal, webhookDeliveryWorkflow, webhookRetryDelayMs, webhookTestBed, type WebhookActivities, type WebhookDeliveryInput } from './support.js';

type Outcome = Awaited<ReturnType<WebhookActivities['attemptWebhookDelivery']>>;
type Call = Parameters<WebhookActivities['attemptWebhookDelivery']>[0];

/** Per delivery id: what each attempt answers (by attempt number), and every call made. */
const scripts = new Map<number, (call: Call) => Outcome>();
const calls: Call[] = [];
const activities: WebhookActivities = {
  async attemptWebhookDelivery(call) {
    calls.push(call);
    return scripts.get(call.deliveryId)!(call);
  },
};
let nextDelivery = 1;
const script = (answer: (call: Call) => Outcome) => {
  const deliveryId = nextDelivery++;
  scripts.set(deliveryId, answer);
  return deliveryId;
};
const callsOf = (deliveryId: number) => calls.filter((c) => c.deliveryId === deliveryId);

describe('webhook delivery workflow', () => {
  let bed: Awaited<ReturnType<typeof webhookTestBed>>;
  beforeAll(async () => {
    bed = await webhookTestBed(activities);
  });
  afterAll(async () => {
    await bed?.close();
  });
  const start = (deliveryId: number, retry: WebhookDeliveryInput['retry']) =>
    bed.client.workflow.start(webhookDeliveryWorkflow, { taskQueue: bed.taskQueue, workflowId: bed.newId('webhook'), args: [{ deliveryId, run: 0, retry }] });

  it('has the documented schedule: 5 s doubling, at most 6 h apart', () => {
    const schedule = { initialMs: 5_000, maxMs: 6 * 3_600_000, forMs: 3 * 86_400_000 };
    expect([1, 2, 3, 4].map((n) => webhookRetryDelayMs(schedule, n))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(webhookRetryDelayMs(schedule, 13)).toBe(20_480_000);
    expect(webhookRetryDelayMs(schedule, 14)).toBe(6 * 3_600_000);
    expect(webhookRetryDelayMs(schedule, 500)).toBe(6 * 3_600_000);
  });

  it('retries with backoff until delivered', async () => {
    const id = script((c) => (c.attempt < 3 ? 'RETRY' : 'DELIVERED'));
    const handle = await start(id, { initialMs: 100, maxMs: 1_000, forMs: 600_000 });
    expect(await handle.result()).toBe('DELIVERED');
    expect(callsOf(id).map((c) => [c.attempt, c.retryInMs])).toEqual([[1, 100], [2, 200], [3, 400]]);
  });

  it('ends on 410 without another attempt', async () => {
    const id = script(() => 'GONE');
    expect(await (await start(id, { initialMs: 100, maxMs: 1_000, forMs: 600_000 })).result()).toBe('GONE');
    expect(callsOf(id)).toHaveLength(1);
  });

  it('gives up when the next wait would pass the retry window, telling the last attempt so', async () => {
    // Attempt 1 at 0 ms may wait 100 ms (within 250); attempt 2, at 100 ms or later, would wait 200 ms more: past 250.
    const id = script((c) => (c.retryInMs === null ? 'GAVE_UP' : 'RETRY'));
    expect(await (await start(id, { initialMs: 100, maxMs: 1_000, forMs: 250 })).result()).toBe('GAVE_UP');
    expect(callsOf(id).map((c) => c.retryInMs)).toEqual([100, null]);
  });

  it('stops when told during a backoff wait, without another attempt', async () => {
    const id = script(() => 'RETRY');
    const handle = await start(id, { initialMs: 3_600_000, maxMs: 3_600_000, forMs: 86_400_000 });
    await expect.poll(() => callsOf(id).length, { timeout: 30_000 }).toBe(1);
    await handle.signal(stopDeliverySignal);
    expect(await handle.result()).toBe('STOPPED');
    expect(callsOf(id)).toHaveLength(1);
  });

  it('ends when an attempt says its run is stopped (endpoint disabled or deleted)', async () => {
    const id = script((c) => (c.attempt === 1 ? 'RETRY' : 'STOPPED'));
    expect(await (await start(id, { initialMs: 100, maxMs: 1_000, forMs: 600_000 })).result()).toBe('STOPPED');
    expect(callsOf(id)).toHaveLength(2);
  });
});
