/**
 * The card purchase beside the wallet purchase (issue 20), for `npm run bench:booking`: two open
 * loops in the same run, wallet purchases first, then card purchases, each with its CPU per purchase.
 *
 * A wallet purchase: hold (201), pay (200 CONFIRMED).
 * A card purchase: hold (201), POST payment {method: card} (202, the PaymentIntent created), the
 * buyer's confirmation at the emulator (what Stripe.js does), the emulator's webhook to the API
 * (through a forwarding proxy in this process, which notes when the API answered it), then the
 * reservation polled every POLL_MS from that moment until CONFIRMED: CONFIRMED is seen by poll.
 *
 * Also the primitives the card path is made of, measured here: one provider round trip (retrieve
 * a PaymentIntent through the app's adapter), one workflow signal (the empty workflow's) and one
 * HTTP round trip to the API (GET /healthz @1). They give the card path's floor: what it must add
 * whatever the code does (two more HTTP requests, the 202 and the webhook; two provider round trips,
 * create and retrieve, which issue 20 asks for; one signal).
 */
import type { Config } from '../../src/config.js';
import { createPaymentProvider } from '../../src/payment/provider-factory.js';
import { CARDS, emulatorClient } from '../../test/support/card.js';
import type { CpuSampler } from './cpu.js';
import { sleep, type BenchUser, type HttpResult } from './harness.js';
import { describeLoop, openLoop } from './open-loop.js';
import { measure, type Measurement } from './primitives.js';
import { Samples, Tally } from './stats.js';
import { WebhookProxy } from './webhook-proxy.js';

// Short, so the poll adds little to "to CONFIRMED" (on average half of it, plus one GET).
const POLL_MS = 5;

export interface CardBenchInput {
  count: number;
  ratePerSec: number;
  call: (method: string, path: string, token: string, body?: unknown) => Promise<HttpResult>;
  users: BenchUser[];
  seatIds: number[];
  scheduleId: number;
  apiUrls: string[];
  config: Config;
  runId: string;
  proxyPort: number;
  cpu: CpuSampler;
  cpuNames: string[];
  /** The empty workflow's signal, measured with the other Temporal primitives. */
  signal: Measurement;
}

export async function cardBesideWallet(o: CardBenchInput): Promise<void> {
  const f1 = (v: number) => v.toFixed(1);
  const provider = createPaymentProvider(o.config);
  if (!provider) return void console.log('card purchase: skipped (PAYMENT_PROVIDER=none)');
  console.log(`\n== card purchase beside the wallet purchase, open loop: ${o.count} of each at ${o.ratePerSec}/s (wallet first, then card), provider ${o.config.STRIPE_API_BASE}`);

  // The provider's own round trip, through the adapter the app uses.
  const probe = await provider.createPayment({ reservationId: `${o.runId}-probe`, amount: 1000, currency: 'KRW' }, `${o.runId}-probe`);
  const providerRt = await measure('provider round trip (retrieve PI) @1', 100, 1, () => provider.retrievePayment(probe.id));
  const httpRt = await measure('HTTP round trip (GET /healthz) @1', 100, 1, () => o.call('GET', '/healthz', o.users[0]!.token));

  // Webhooks: localstripe sends every event to every registered endpoint; this run's goes to the proxy.
  const answered = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const handling = new Samples('  webhook handled by the API');
  const proxy = new WebhookProxy(o.apiUrls, (body, status, ms) => {
    const id = (JSON.parse(body.toString()) as { data?: { object?: { id?: string } } }).data?.object?.id;
    if (!id || status !== 200 || answered.has(id)) return;
    handling.add(ms);
    answered.set(id, performance.now());
    waiting.get(id)?.();
  });
  const emulator = emulatorClient(o.config.STRIPE_API_BASE, o.config.STRIPE_SECRET_KEY);
  const register = (url: string) =>
    fetch(`${o.config.STRIPE_API_BASE}/_config/webhooks/bench-${o.runId}`, { method: 'POST', body: new URLSearchParams({ url, secret: o.config.STRIPE_WEBHOOK_SECRET }) });
  await register(await proxy.listen(o.proxyPort));

  const statuses = new Tally<string>();
  let seat = 0;
  const hold = async (user: BenchUser) => {
    const h = await o.call('POST', '/api/v1/reservations', user.token, { scheduleId: o.scheduleId, seatIds: [o.seatIds[seat++]] });
    statuses.add(`hold ${h.status}`);
    return h.status === 201 ? (h.body.id as string) : undefined;
  };

  try {
    // ---- wallet purchases
    const wallet = new Samples('wallet purchase (hold + pay 200)');
    const walletPay = new Samples('  of which pay (200 CONFIRMED)');
    const walletMark = o.cpu.mark();
    const walletLoop = await openLoop({ count: o.count, ratePerSec: o.ratePerSec }, async (i) => {
      const t0 = performance.now();
      const id = await hold(o.users[i]!);
      if (!id) return;
      const paid = await o.call('POST', `/api/v1/reservations/${id}/payment`, o.users[i]!.token);
      statuses.add(`wallet pay ${paid.status}`);
      if (paid.status !== 200) return;
      walletPay.add(paid.ms);
      wallet.add(performance.now() - t0);
    });
    const walletCpu = walletMark();

    // ---- card purchases
    const card = new Samples('card purchase (hold to CONFIRMED)');
    const cardPay = new Samples('  pay by card (202, PI created)');
    const clientConfirm = new Samples('  buyer confirms at provider');
    const toWebhook = new Samples('  confirm to webhook answered'); // the emulator's 1 s wait + handling
    const toSeen = new Samples('  webhook answered to CONFIRMED');
    let polls = 0;
    const cardMark = o.cpu.mark();
    const cardLoop = await openLoop({ count: o.count, ratePerSec: o.ratePerSec }, async (k) => {
      const user = o.users[o.count + k]!;
      const t0 = performance.now();
      const id = await hold(user);
      if (!id) return;
      const started = await o.call('POST', `/api/v1/reservations/${id}/payment`, user.token, { method: 'card' });
      statuses.add(`card pay ${started.status}`);
      if (started.status !== 202) return;
      cardPay.add(started.ms);
      const pi = started.body.providerPaymentId as string;
      const webhook = new Promise<void>((resolve) => (answered.has(pi) ? resolve() : waiting.set(pi, resolve)));
      const t1 = performance.now();
      const confirmed = await emulator.confirm(pi, CARDS.success);
      statuses.add(`confirm ${confirmed}`);
      if (confirmed !== 200) return;
      const t2 = performance.now();
      clientConfirm.add(t2 - t1);
      if ((await Promise.race([webhook.then(() => true), sleep(30_000).then(() => false)])) === false) return void statuses.add('webhook not seen in 30 s');
      toWebhook.add(answered.get(pi)! - t2);
      for (const until = performance.now() + 30_000; performance.now() < until; await sleep(POLL_MS)) {
        polls += 1;
        const r = await o.call('GET', `/api/v1/reservations/${id}`, user.token);
        if (r.body?.status === 'CONFIRMED') {
          const seen = performance.now();
          toSeen.add(seen - answered.get(pi)!);
          card.add(seen - t0);
          return;
        }
      }
      statuses.add('card not CONFIRMED in 30 s');
    });
    const cardCpu = cardMark();

    for (const m of [providerRt, o.signal, httpRt]) console.log(m.line());
    for (const s of [wallet, walletPay]) console.log(s.line(walletLoop.elapsedMs));
    console.log(describeLoop(walletLoop));
    for (const s of [card, cardPay, clientConfirm, toWebhook, handling, toSeen]) console.log(s.line(cardLoop.elapsedMs));
    console.log(describeLoop(cardLoop));
    console.log(`statuses: ${statuses}; polls per card purchase ${f1(polls / Math.max(1, card.count))} (every ${POLL_MS} ms, from the webhook's answer)`);
    console.log(`CPU ms per wallet purchase: ${walletCpu.perOp(wallet.count, o.cpuNames)}  (total ${f1(walletCpu.total(o.cpuNames) / Math.max(1, wallet.count))})`);
    console.log(`CPU ms per card purchase:   ${cardCpu.perOp(card.count, o.cpuNames)}  (total ${f1(cardCpu.total(o.cpuNames) / Math.max(1, card.count))}; stripe = the emulator)`);
    // What the card path adds on our side: the 202 and the webhook-to-outcome legs, against the
    // wallet's one payment call. The buyer's confirmation and the emulator's fixed 1 s wait before
    // each webhook (localstripe's asyncio.sleep(1)) are the provider's and the buyer's time.
    for (const p of [50, 95, 99]) {
      const added = cardPay.percentile(p) + handling.percentile(p) + toSeen.percentile(p) - walletPay.percentile(p);
      const budget = providerRt.p(p) + o.signal.p(p);
      console.log(
        `p${p}: card adds ${f1(added)} ms on our side (pay 202 ${f1(cardPay.percentile(p))} + webhook handled ${f1(handling.percentile(p))} + to CONFIRMED seen ${f1(toSeen.percentile(p))} - wallet pay ${f1(walletPay.percentile(p))}); ` +
          `one provider round trip + one signal = ${f1(budget)} ms: ${added <= budget ? 'within' : 'OVER'} (end to end the card purchase is ${f1(card.percentile(p) - wallet.percentile(p))} ms longer, with the buyer's confirmation and the emulator's 1 s webhook delay)`,
      );
      const floor = 2 * httpRt.p(p) + 2 * providerRt.p(p) + o.signal.p(p);
      console.log(`     floor of those additions: 2 HTTP round trips + 2 provider round trips + 1 signal = ${f1(floor)} ms; the rest, ${f1(added - floor)} ms, is our code (auth, MySQL reads and writes, the workflow task)`);
    }
  } finally {
    await register('http://127.0.0.1:9/closed').catch(() => undefined);
    await proxy.close();
  }
}
