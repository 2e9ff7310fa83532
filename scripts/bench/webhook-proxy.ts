/**
 * A forwarding proxy between the payment emulator's webhook deliveries and the API processes, for
 * the chaos run's webhook faults (localstripe itself is not changed): localstripe is registered to
 * deliver here, and the proxy passes each delivery on (round robin over the APIs, the other one when
 * a process refuses the connection), drops it (it never reaches us; localstripe never resends), or
 * duplicates it (two copies at once to two API processes, a third a second later).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Tally } from './stats.js';

export type WebhookMode = 'pass' | 'drop' | 'duplicate';

export class WebhookProxy {
  mode: WebhookMode = 'pass';
  readonly counts = { received: 0, dropped: 0, duplicated: 0 };
  /** What the API answered each copy it received (0: no API could be reached). */
  readonly answers = new Tally<number>();
  private server: Server | undefined;
  private turn = 0;
  private readonly late = new Set<Promise<unknown>>();

  constructor(
    private readonly apiUrls: string[],
    /** Told of each delivery an API answered: its raw body, the answer, how long the API took (the benchmark times the card path by it). */
    private readonly onAnswered: (body: Buffer, status: number, ms: number) => void = () => undefined,
  ) {}

  async listen(port: number): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // The signature covers the raw bytes: they are passed on untouched.
        const body = Buffer.concat(chunks);
        const signature = req.headers['stripe-signature'];
        void this.handle(body, typeof signature === 'string' ? signature : undefined).then((status) => res.writeHead(status || 502).end());
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/stripe`;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.late]);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A copy of the counts, to tell one fault's deliveries from the next one's. */
  snapshot() {
    return { ...this.counts, answered: this.answers.total };
  }

  private async handle(body: Buffer, signature: string | undefined): Promise<number> {
    this.counts.received += 1;
    switch (this.mode) {
      case 'drop':
        this.counts.dropped += 1;
        // The emulator sees a delivered webhook; we never see it.
        return 200;
      case 'duplicate': {
        this.counts.duplicated += 1;
        const [first] = await Promise.all([this.forward(body, signature), this.forward(body, signature)]);
        const late = new Promise((r) => setTimeout(r, 1_000)).then(() => this.forward(body, signature));
        this.late.add(late);
        void late.finally(() => this.late.delete(late));
        return first;
      }
      case 'pass':
        return this.forward(body, signature);
    }
  }

  private async forward(body: Buffer, signature: string | undefined): Promise<number> {
    const first = this.turn++ % this.apiUrls.length;
    for (let k = 0; k < this.apiUrls.length; k++) {
      const url = this.apiUrls[(first + k) % this.apiUrls.length]!;
      const sent = performance.now();
      try {
        const res = await fetch(`${url}/webhooks/stripe`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        await res.arrayBuffer();
        this.answers.add(res.status);
        this.onAnswered(body, res.status, performance.now() - sent);
        return res.status;
      } catch {
        // That API process is down (the api fault): the other one takes it, as a load balancer would.
      }
    }
    this.answers.add(0);
    return 0;
  }
}
