import { allAggregateTypes, envelopeSchema, eventCatalog, topicFor, type EventType } from './catalog.js';
import { eventExamples } from './examples.js';
import { payloadJsonSchema, type JsonSchema } from './json-schemas.js';

/** What each aggregate's topic carries, for the channel descriptions. */
const aggregateDescriptions: Record<string, string> = {
  reservation: 'A reservation from hold to confirmation, expiry, cancellation, failure or refund. Key: the reservation id.',
  payment: 'Payments of reservations and their refunds. Key: the reservation id.',
  wallet: 'Wallet top-ups, debits, refunds and admin adjustments. Key: the user id.',
  queue: 'The waiting room: tokens admitted and expired (key: token id), sale ended or reopened and admission changes (key: schedule-<id>).',
  waitlist: 'Waiting-list entries (key: entry-<id>) and closed lists (key: schedule-<id>).',
  user: 'Sign-ups. Key: the user id.',
  security: 'Security-relevant events (failed logins, locks, 403s, forged ticket codes). Key: user-<id>.',
  concert: 'Concerts and their schedules created, edited, paused, resumed or cancelled. Key: the concert id.',
  admin: 'Audited admin actions. Key: admin-<id>.',
  ticket: 'Tickets issued with a confirmation and every scan at the door. Key: tickets-<reservation id>.',
};

const envelopeFields = (envelopeSchemaJson: JsonSchema) => (envelopeSchemaJson.properties ?? {}) as Record<string, JsonSchema>;

/**
 * The AsyncAPI 3.0 document of every event, generated from the catalog (the one place contracts
 * live): one channel per Kafka topic, one message per event type with its envelope, headers, key
 * and an example. Served at GET /asyncapi.json and rendered at GET /asyncapi.
 */
export function asyncApiDocument(opts: { topicPrefix: string; brokers: readonly string[] }): Record<string, unknown> {
  const types = Object.keys(eventCatalog) as EventType[];
  const envelope = payloadJsonSchema(envelopeSchema);
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const aggregate of allAggregateTypes) {
    const ofAggregate = types.filter((t) => eventCatalog[t].aggregateType === aggregate);
    const address = topicFor(opts.topicPrefix, aggregate);
    channels[aggregate] = {
      address,
      title: address,
      description: aggregateDescriptions[aggregate] ?? `Events of the ${aggregate} aggregate.`,
      messages: Object.fromEntries(ofAggregate.map((t) => [t, { $ref: `#/components/messages/${t}` }])),
      bindings: { kafka: { topic: address, bindingVersion: '0.5.0' } },
    };
    operations[`publish${aggregate[0]!.toUpperCase()}${aggregate.slice(1)}Events`] = {
      action: 'send',
      title: `The relay publishes ${aggregate} events`,
      description: 'From the transactional outbox (domain_events), in per-aggregate order, at least once; consumers dedupe by event id.',
      channel: { $ref: `#/channels/${aggregate}` },
      messages: ofAggregate.map((t) => ({ $ref: `#/channels/${aggregate}/messages/${t}` })),
    };
  }
  const messages = Object.fromEntries(
    types.map((type) => {
      const def = eventCatalog[type];
      const example = exampleEnvelope(type);
      return [
        type,
        {
          name: type,
          title: type,
          summary: `${type} (schemaVersion ${def.schemaVersion}) on the ${def.aggregateType} topic`,
          contentType: 'application/json',
          headers: { $ref: '#/components/schemas/EventHeaders' },
          payload: { $ref: `#/components/schemas/${type}Envelope` },
          correlationId: { description: 'The event id, repeated in the event-id header', location: '$message.header#/event-id' },
          bindings: { kafka: { key: { type: 'string', description: `The aggregate id (${def.aggregateType}): all events of one aggregate share a partition, in sequence order` }, bindingVersion: '0.5.0' } },
          examples: [{ name: `${type}Example`, headers: { 'event-id': example.id, 'event-type': type }, payload: example }],
        },
      ];
    }),
  );
  const fields = envelopeFields(envelope);
  const schemas: Record<string, unknown> = {
    EventHeaders: {
      type: 'object',
      required: ['event-id', 'event-type'],
      properties: { 'event-id': { type: 'string', format: 'uuid', description: 'The envelope id' }, 'event-type': { type: 'string', description: 'The envelope type' } },
    },
  };
  for (const type of types) {
    const def = eventCatalog[type];
    schemas[`${type}Payload`] = payloadJsonSchema(def.payload);
    schemas[`${type}Envelope`] = {
      type: 'object',
      description: `The envelope of ${type}; the payload is validated with zod when written and when read.`,
      required: Object.keys(fields),
      additionalProperties: false,
      properties: {
        ...fields,
        type: { type: 'string', const: type },
        schemaVersion: { type: 'integer', const: def.schemaVersion },
        aggregateType: { type: 'string', const: def.aggregateType },
        payload: { $ref: `#/components/schemas/${type}Payload` },
      },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Concert booking domain events',
      version: '1.0.0',
      description:
        'Every state change is written to a transactional outbox (MySQL domain_events) in the same transaction, then published to Kafka by the relay. ' +
        'One topic per aggregate type, keyed by aggregate id. Versioning rules, upcasters and replay: docs/events.md.',
    },
    defaultContentType: 'application/json',
    servers: Object.fromEntries(opts.brokers.map((host, i) => [`kafka${i + 1}`, { host, protocol: 'kafka', description: 'A Kafka broker of this deployment' }])),
    channels,
    operations,
    components: { messages, schemas },
  };
}

/** The example payload of a type in a complete envelope, as a consumer receives it. */
export function exampleEnvelope(type: EventType) {
  const def = eventCatalog[type];
  return {
    id: '6f1d8c2e-4b7a-4e3f-9a51-2c8d7e6b1f04',
    type,
    schemaVersion: def.schemaVersion,
    aggregateType: def.aggregateType,
    aggregateId: '42',
    sequence: 1,
    occurredAt: '2026-12-07T10:00:00.000Z',
    payload: def.payload.parse(eventExamples[type]),
  };
}
