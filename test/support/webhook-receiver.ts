import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  path: string;
  webhookId: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The signature checked out against the path's secret (the standardwebhooks library). */
  verified: boolean;
  answered: number;
}

/**
 * An organiser's receiver, as the docs tell one to write it: verify the Standard Webhooks signature
 * with the endpoint's secret, then handle each `webhook-id` once (a retry or a replay of a message
 * already handled is acknowledged and skipped). Each path is one endpoint; `answer` decides the
 * status per request (500 to force retries, 410 to say "gone"), before handling.
 */
export async function startWebhookReceiver() {
  const secrets = new Map<string, string>();
  const answers = new Map<string, (request: ReceivedWebhook, nth: number) => number>();
  const requests: ReceivedWebhook[] = [];
  /** The webhook-ids handled (the receiver's dedup set). */
  const handled = new Set<string>();
  /** How many times an event's effect ran at an endpoint (`<path> <eventId>` -> count): 1 when every retry, replay and redelivery kept its webhook-id. */
  const effects = new Map<string, number>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => String(req.headers[name] ?? '');
      const received: ReceivedWebhook = { path, webhookId: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature'), body, verified: false, answered: 0 };
      const secret = secrets.get(path);
      try {
        if (secret) {
          new Webhook(secret).verify(body, { 'webhook-id': received.webhookId, 'webhook-timestamp': received.timestamp, 'webhook-signature': received.signature });
          received.verified = true;
        }
      } catch {
        received.verified = false;
      }
      const nth = requests.filter((r) => r.path === path).length + 1;
      requests.push(received);
      let status = received.verified ? (answers.get(path)?.(received, nth) ?? 200) : 401;
      if (status >= 200 && status < 300) {
        // Handling by webhook-id: the effect runs for a webhook-id not seen before, once.
        if (!handled.has(received.webhookId)) {
          handled.add(received.webhookId);
          const key = `${path} ${(JSON.parse(body) as { data: { eventId: string } }).data.eventId}`;
          effects.set(key, (effects.get(key) ?? 0) + 1);
        }
      }
      received.answered = status;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    secrets,
    answers,
    requests,
    handled,
    effects,
    on: (path: string) => requests.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
