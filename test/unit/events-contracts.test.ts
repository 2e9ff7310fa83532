import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { asyncApiDocument, exampleEnvelope } from '../../src/events/asyncapi.js';
import { renderAsyncApiPage } from '../../src/events/asyncapi-page.js';
import { allAggregateTypes, eventCatalog, parseEnvelope, type EventType } from '../../src/events/catalog.js';
import { fixtureFile, RELEASED_SCHEMAS_DIR } from '../../src/events/cli/contracts-check.js';
import { undocumentedFields } from '../../src/events/contract-check.js';
import { eventExamples } from '../../src/events/examples.js';
import { allVersionedSchemas, releasedSchemaFile } from '../../src/events/json-schemas.js';
import { appendEvent } from '../../src/events/outbox.js';
import { foldReservation } from '../../src/booking/reservation-fold.js';
import { salesDeltaOf } from '../../src/events/sales-projection.js';
import { checkAgainstReleased, incompatibilities } from '../../src/events/schema-compat.js';
import { holdingChangeOf } from '../../src/recommendations/co-purchase.js';

const root = join(import.meta.dirname, '..', '..');
const types = Object.keys(eventCatalog) as EventType[];
// uuid: checked by the schema's own pattern too; true keeps ajv from warning about the format.
const ajv = new Ajv({ strict: false, allErrors: true, formats: { uuid: true } });
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

describe('event contracts: one schema per event type, published as AsyncAPI 3.0', () => {
  const doc = asyncApiDocument({ topicPrefix: 'booking.', brokers: ['127.0.0.1:9092'] });

  it('is a valid AsyncAPI document by @asyncapi/parser, with a channel per topic and a message per event type', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    const errors = diagnostics.filter((d) => d.severity === 0 || d.severity === 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
    expect(errors).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    expect(document!.channels().all().map((c) => c.address()).sort()).toEqual(allAggregateTypes.map((a) => `booking.${a}`).sort());
    expect(document!.messages().all().map((m) => m.id()).sort()).toEqual([...types].sort());
    const held = document!.messages().all().find((m) => m.id() === 'ReservationHeld')!;
    expect(held.headers()?.properties()).toHaveProperty('event-id');
    expect(held.examples().all()).toHaveLength(1);
  });

  it('renders as a page (GET /asyncapi): every topic and message, with no script', () => {
    const page = renderAsyncApiPage(doc);
    for (const a of allAggregateTypes) expect(page).toContain(`<code>booking.${a}</code>`);
    for (const t of types) expect(page).toContain(`id="message-${t}"`);
    expect(page).not.toMatch(/<script|<style|https?:\/\/(?!127)/);
  });

  it('the parser reports a broken document (so the test above could fail)', async () => {
    const broken = structuredClone(doc) as { channels: Record<string, { messages: Record<string, unknown> }> };
    broken.channels.reservation!.messages.ReservationHeld = { $ref: '#/components/messages/NoSuchMessage' };
    const { diagnostics } = await new Parser().parse(JSON.stringify(broken));
    expect(diagnostics.some((d) => d.severity === 0)).toBe(true);
  });

  it.each(types)('%s: its example validates against its zod schema exactly and against its JSON schema in the document', (type) => {
    const parsed = eventCatalog[type].payload.parse(eventExamples[type]);
    expect(undocumentedFields(eventExamples[type], parsed)).toEqual([]);
    const components = (doc.components as { schemas: Record<string, unknown> }).schemas;
    const validate = ajv.compile({ ...(components[`${type}Envelope`] as object), definitions: {}, components: { schemas: components } } as never);
    // $refs point into #/components/schemas: resolve them by validating within a document that has them.
    const ok = validate(exampleEnvelope(type));
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
    const bad = { ...exampleEnvelope(type), payload: { ...exampleEnvelope(type).payload, [Object.keys(parsed)[0]!]: { not: 'this' } } };
    expect(validate(bad)).toBe(false);
  });
});

describe('enforced when appended (EVENTS_CONTRACT_CHECK=strict in the test suite)', () => {
  it('refuses a payload with a field its contract does not name, and one that misses a field', async () => {
    expect(process.env.EVENTS_CONTRACT_CHECK).toBe('strict');
    const noDb = {} as never; // both refusals come before any statement
    await expect(appendEvent(noDb, 'WalletCharged', 1, { ...eventExamples.WalletCharged, currency: 'KRW' } as never, { first: true })).rejects.toThrow(/currency/);
    const { balance: _b, ...missing } = eventExamples.WalletCharged;
    await expect(appendEvent(noDb, 'WalletCharged', 1, missing as never, { first: true })).rejects.toThrow(/balance/);
  });

  it('finds undocumented fields at any depth, and not the defaults a schema fills in', () => {
    expect(undocumentedFields({ a: 1, seats: [{ id: 1, x: 2 }] }, { a: 1, seats: [{ id: 1 }] })).toEqual(['seats[0].x']);
    expect(undocumentedFields({ a: 1 }, { a: 1, tier: null })).toEqual([]);
  });
});

describe('versions: stored fixtures of every version, upcasters, released schemas', () => {
  const versions = allVersionedSchemas();

  it('has a fixture of every version of every event type, and the current consumers read each one', () => {
    for (const { type, schemaVersion } of versions) {
      const fixture = readJson(fixtureFile(root, type, schemaVersion));
      expect(fixture.schemaVersion, `${type} v${schemaVersion}`).toBe(schemaVersion);
      const event = parseEnvelope(fixture);
      // Every consumer reads the current version, whatever version was stored.
      expect(event.schemaVersion).toBe(eventCatalog[type].schemaVersion);
      expect(() => eventCatalog[type].payload.parse(event.payload)).not.toThrow();
      // The projections run on it without throwing: sales, recommendations, the reservation fold.
      salesDeltaOf(event);
      holdingChangeOf(event);
      if (event.aggregateType === 'reservation' && type === 'ReservationHeld') expect(foldReservation([event as never])?.status).toBe('HELD');
    }
    // No stray fixture of a version the catalog does not know.
    for (const dir of readdirSync(join(root, 'test/fixtures/events')).filter((d) => d in eventCatalog)) {
      for (const f of readdirSync(join(root, 'test/fixtures/events', dir))) expect(versions.some((v) => v.type === dir && `v${v.schemaVersion}.json` === f), `${dir}/${f}`).toBe(true);
    }
  });

  it('upcasts a stored ReservationHeld v1 (seats without a tier) to v2 and the sales and fold consumers use it', () => {
    const v1 = readJson(fixtureFile(root, 'ReservationHeld', 1));
    expect((v1.payload as { seats: object[] }).seats.every((s) => !('tier' in s))).toBe(true);
    const event = parseEnvelope(v1);
    expect(event.schemaVersion).toBe(2);
    expect((event.payload as { seats: Array<{ tier: string | null }> }).seats.map((s) => s.tier)).toEqual([null, null]);
    expect(salesDeltaOf(event)).toEqual({ scheduleId: 7, delta: { reservationsStarted: 1, reservationsConfirmed: 0, seatsHeld: 2, seatsSold: 0, revenue: 0 } });
    expect(foldReservation([event as never])).toMatchObject({ status: 'HELD', seatIds: [1201, 1202], amount: 300000 });
  });

  it('refuses an event from a newer version than it knows (consumers deploy first)', () => {
    const v9 = { ...readJson(fixtureFile(root, 'ReservationConfirmed', 1)), schemaVersion: 9 };
    expect(() => parseEnvelope(v9)).toThrow(/newer than this consumer/);
  });

  it('the v2 bump of ReservationHeld was needed: v1 -> v2 is incompatible at the same version', () => {
    const v1 = readJson(join(root, RELEASED_SCHEMAS_DIR, releasedSchemaFile('ReservationHeld', 1)));
    const v2 = readJson(join(root, RELEASED_SCHEMAS_DIR, releasedSchemaFile('ReservationHeld', 2)));
    expect(incompatibilities(v1, v2).join('\n')).toMatch(/tier/);
  });

  describe('the released-schema check (npm run events:check)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'released-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    const released = (name: string) => {
      const dir = join(tmp, name);
      cpSync(join(root, RELEASED_SCHEMAS_DIR), dir, { recursive: true });
      return dir;
    };

    it('passes on the committed released schemas', () => {
      expect(checkAgainstReleased(join(root, RELEASED_SCHEMAS_DIR))).toEqual({ failures: [], unreleased: [] });
    });

    it('fails on an incompatible change without a version bump (a deliberate change in a fixture)', () => {
      const dir = released('incompatible');
      cpSync(join(root, 'test/fixtures/events/deliberate-changes/ReservationConfirmed.v1.json'), join(dir, 'ReservationConfirmed.v1.json'));
      const { failures } = checkAgainstReleased(dir);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/ReservationConfirmed v1 \$\.currency: removed/);
    });

    it('accepts a compatible change: a new optional field', () => {
      const dir = released('compatible');
      cpSync(join(root, 'test/fixtures/events/deliberate-changes/ScheduleChanged.v1.json'), join(dir, 'ScheduleChanged.v1.json'));
      expect(checkAgainstReleased(dir).failures).toEqual([]);
    });

    it('fails when a past version is edited, and lists a version not released yet', () => {
      const dir = released('past');
      const file = join(dir, releasedSchemaFile('ReservationHeld', 1));
      writeFileSync(file, JSON.stringify({ ...readJson(file), required: [] }));
      rmSync(join(dir, releasedSchemaFile('TicketScanned', 1)));
      const result = checkAgainstReleased(dir);
      expect(result.failures).toEqual([expect.stringMatching(/ReservationHeld v1: a past version changed/)]);
      expect(result.unreleased).toEqual([{ type: 'TicketScanned', schemaVersion: 1 }]);
    });

    it('finds the kinds of incompatible change', () => {
      const base = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'integer' } }, required: ['a'] };
      expect(incompatibilities(base, { ...base, properties: { ...base.properties, c: { type: 'string' } }, required: ['a', 'c'] })).toEqual([expect.stringMatching(/\$\.c: added as required/)]);
      expect(incompatibilities(base, { ...base, properties: { ...base.properties, a: { type: 'integer' } } })).toEqual([expect.stringMatching(/\$\.a: "type" changed/)]);
      expect(incompatibilities(base, { ...base, required: ['a', 'b'] })).toEqual([expect.stringMatching(/\$\.b: optional became required/)]);
      expect(incompatibilities(base, { ...base, required: [] })).toEqual([expect.stringMatching(/\$\.a: required became optional/)]);
      expect(incompatibilities({ enum: ['X', 'Y'] }, { enum: ['X', 'Y', 'Z'] })).toHaveLength(1);
      expect(incompatibilities(base, { ...base, description: 'documented' })).toEqual([]);
    });
  });
});
