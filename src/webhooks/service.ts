import type { EventEnvelope } from '../events/index.js';
import { DomainError, notFound } from '../shared/errors.js';
import { webhookDeliveryWorkflowId, type WebhookDeliveryResult } from '../../workflows/webhooks/delivery-contract.js';
import type { DeliveryRow, WebhookDeliveries } from './deliveries.js';
import type { DeliveryWorkflows } from './delivery-workflows.js';
import { signingSecrets, type EndpointRow, type WebhookEndpoints } from './endpoints.js';
import { concertRefOf, isWebhookEventType, messageBody } from './event-types.js';
import { outcomeOf, postWebhook } from './sender.js';
import { webhookHeaders, webhookMessageId } from './signing.js';

/** Catalog's public port, as webhooks need it (wired in src/main with catalog's repository). */
export interface ConcertDirectory {
  concertExists(concertId: number): Promise<boolean>;
  /** The concert a schedule belongs to; undefined for an unknown schedule. */
  concertOfSchedule(scheduleId: number): Promise<number | undefined>;
}

export interface WebhookSettings {
  /** Accept http:// for a loopback host (development and tests; never in production). */
  allowHttpLocalhost: boolean;
  timeoutMs: number;
  secretOverlapMs: number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Refuses a URL we will not call: not https (http only for loopback when allowed), or with credentials in it. */
export function checkEndpointUrl(raw: string, allowHttpLocalhost: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DomainError('WEBHOOK_URL_REFUSED', 'url is not an absolute URL');
  }
  if (url.username || url.password) throw new DomainError('WEBHOOK_URL_REFUSED', 'url must not carry credentials; authenticate by the signature');
  if (url.protocol === 'https:') return url.toString();
  if (url.protocol === 'http:' && allowHttpLocalhost && LOOPBACK.has(url.hostname)) return url.toString();
  throw new DomainError('WEBHOOK_URL_REFUSED', allowHttpLocalhost ? 'url must be https (or http on localhost)' : 'url must be https');
}

export function checkEventTypes(types: string[]): string[] {
  const unknown = types.filter((t) => !isWebhookEventType(t));
  if (unknown.length) throw new DomainError('WEBHOOK_EVENT_TYPE_UNKNOWN', `not an event type about a concert: ${unknown.join(', ')}`, { eventTypes: unknown });
  return [...new Set(types)];
}

/** Organisers' signed webhooks: endpoints, matching events to them, attempts, replays. */
export class WebhooksService {
  constructor(
    private readonly endpoints: WebhookEndpoints,
    private readonly deliveries: WebhookDeliveries,
    private readonly workflows: DeliveryWorkflows,
    private readonly concerts: ConcertDirectory,
    private readonly settings: WebhookSettings,
  ) {}

  async register(input: { concertId: number; url: string; eventTypes: string[]; description: string; createdBy: number }): Promise<EndpointRow> {
    const url = checkEndpointUrl(input.url, this.settings.allowHttpLocalhost);
    const eventTypes = checkEventTypes(input.eventTypes);
    if (!(await this.concerts.concertExists(input.concertId))) throw notFound('Concert');
    return this.endpoints.create({ ...input, url, eventTypes });
  }

  async endpoint(id: number): Promise<EndpointRow> {
    const endpoint = await this.endpoints.find(id);
    if (!endpoint) throw notFound('Webhook endpoint');
    return endpoint;
  }

  async forConcert(concertId: number): Promise<EndpointRow[]> {
    if (!(await this.concerts.concertExists(concertId))) throw notFound('Concert');
    return this.endpoints.forConcert(concertId);
  }

  /** Changes an endpoint; disabling it also stops its pending deliveries. */
  async change(id: number, change: { url?: string | undefined; eventTypes?: string[] | undefined; description?: string | undefined; enabled?: boolean | undefined }): Promise<EndpointRow> {
    await this.endpoint(id);
    await this.endpoints.update(id, {
      url: change.url === undefined ? undefined : checkEndpointUrl(change.url, this.settings.allowHttpLocalhost),
      eventTypes: change.eventTypes === undefined ? undefined : checkEventTypes(change.eventTypes),
      description: change.description,
    });
    if (change.enabled === true) await this.endpoints.setEnabled(id, true, null);
    if (change.enabled === false) await this.disable(id, 'DISABLED_BY_ORGANISER');
    return this.endpoint(id);
  }

  async rotateSecret(id: number): Promise<EndpointRow> {
    const endpoint = await this.endpoints.rotateSecret(id, this.settings.secretOverlapMs);
    if (!endpoint) throw notFound('Webhook endpoint');
    return endpoint;
  }

  async remove(id: number): Promise<void> {
    await this.endpoint(id);
    await this.workflows.stop(await this.deliveries.cancelPendingOf(id));
    await this.endpoints.delete(id);
  }

  async deliveriesOf(endpointId: number, opts: { before?: number | undefined; limit: number }): Promise<DeliveryRow[]> {
    await this.endpoint(endpointId);
    return this.deliveries.forEndpoint(endpointId, opts);
  }

  async delivery(id: number) {
    const delivery = await this.deliveries.find(id);
    if (!delivery) throw notFound('Webhook delivery');
    return { delivery, attempts: await this.deliveries.attemptsOf(id) };
  }

  /** Sends a finished delivery again under a new run with the same `webhook-id` (the receiver dedupes). */
  async replay(id: number): Promise<DeliveryRow> {
    const { delivery } = await this.delivery(id);
    const endpoint = await this.endpoint(delivery.endpointId);
    if (!endpoint.enabled) throw new DomainError('WEBHOOK_ENDPOINT_DISABLED', 'Enable the endpoint before replaying to it');
    if (delivery.status === 'PENDING') throw new DomainError('CONFLICT', 'This delivery is still being attempted');
    const replaying = await this.deliveries.beginReplay(id, (replay) => webhookDeliveryWorkflowId(delivery.endpointId, delivery.eventId, replay));
    if (!replaying) throw new DomainError('CONFLICT', 'This delivery is being replayed already');
    await this.workflows.start(replaying.workflowId, replaying.id, replaying.replays);
    return replaying;
  }

  /**
   * One event from Kafka: a delivery, and its workflow, for every enabled endpoint of the event's
   * concert that subscribes to its type. Safe to run twice for one event (a redelivered message): the
   * delivery row is unique per (endpoint, event) and its workflow id refuses a second run. Resolves
   * true when it started anything.
   */
  async dispatch(event: EventEnvelope): Promise<boolean> {
    if (!isWebhookEventType(event.type)) return false;
    const ref = concertRefOf(event);
    const concertId = ref && ('concertId' in ref ? ref.concertId : await this.concerts.concertOfSchedule(ref.scheduleId));
    if (concertId === undefined) return false;
    let started = false;
    for (const endpoint of await this.endpoints.matching(concertId, event.type, new Date(event.occurredAt))) {
      const delivery = await this.deliveries.open({
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: event.type,
        messageId: webhookMessageId(endpoint.id, event.id),
        body: messageBody(event, concertId),
        workflowId: webhookDeliveryWorkflowId(endpoint.id, event.id),
      });
      // A replay may own the row by now; the first run's id is still the pair's, refused once used.
      if (await this.workflows.start(webhookDeliveryWorkflowId(endpoint.id, event.id), delivery.id, 0)) started = true;
    }
    return started;
  }

  /**
   * One attempt of a run (the delivery workflow's activity): sign now, POST, log it. 2xx ends the
   * delivery; 410 disables the endpoint and stops its other deliveries; anything else is retried after
   * `retryInMs`, or is final when that is null (retries ran out). A run that is no longer the
   * delivery's current one, or whose endpoint is off or gone, stops without a request.
   */
  async attempt(input: { deliveryId: number; run: number; attempt: number; retryInMs: number | null }): Promise<WebhookDeliveryResult | 'RETRY'> {
    const delivery = await this.deliveries.find(input.deliveryId);
    if (!delivery || delivery.status !== 'PENDING' || delivery.replays !== input.run) return 'STOPPED';
    const endpoint = await this.endpoints.find(delivery.endpointId);
    if (!endpoint?.enabled) {
      await this.deliveries.cancel(delivery.id);
      return 'STOPPED';
    }
    const body = JSON.stringify(delivery.body);
    const now = new Date();
    const result = await postWebhook(endpoint.url, webhookHeaders(signingSecrets(endpoint, now), delivery.messageId, now, body), body, this.settings.timeoutMs);
    const outcome = outcomeOf(result);
    if (outcome === 'DELIVERED') {
      await this.deliveries.recordAttempt(delivery.id, input.run, input.attempt, result, { status: 'DELIVERED' });
      return 'DELIVERED';
    }
    if (outcome === 'GONE') {
      await this.deliveries.recordAttempt(delivery.id, input.run, input.attempt, result, { status: 'FAILED' });
      await this.disable(endpoint.id, 'GONE');
      return 'GONE';
    }
    if (input.retryInMs === null) {
      await this.deliveries.recordAttempt(delivery.id, input.run, input.attempt, result, { status: 'FAILED' });
      return 'GAVE_UP';
    }
    await this.deliveries.recordAttempt(delivery.id, input.run, input.attempt, result, { nextAttemptAt: new Date(Date.now() + input.retryInMs) });
    return 'RETRY';
  }

  private async disable(endpointId: number, reason: 'GONE' | 'DISABLED_BY_ORGANISER'): Promise<void> {
    await this.endpoints.setEnabled(endpointId, false, reason);
    await this.workflows.stop(await this.deliveries.cancelPendingOf(endpointId));
  }
}
