import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/main/openapi-document.js';
import { IDEMPOTENCY_RESPONSES } from '../../src/platform/http/route-conventions.js';

/**
 * The rules the API document must keep for schemathesis `--checks all` to come out clean
 * (scripts/schemathesis.sh, docs/security.md "Testing the API document"). The fuzzer is Python and
 * slow, so the suite checks the document's side directly: every answer the shared middleware can
 * give is documented, the server's rules that JSON Schema can state are stated, and every example
 * is valid against its own schema today (no date in the past).
 */
type Json = Record<string, unknown>;
interface Operation {
  key: string;
  op: { parameters?: Array<{ name: string; in: string; schema?: Json }>; requestBody?: { required?: boolean; content: Json }; responses: Record<string, { description: string; content?: Json }> };
}

describe('OpenAPI document', () => {
  let doc: Json;
  let operations: Operation[];
  const schemas = () => (doc.components as { schemas: Record<string, Json> }).schemas;

  beforeAll(async () => {
    doc = await openApiDocument();
    operations = Object.entries(doc.paths as Record<string, Record<string, Operation['op']>>).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
    );
  });

  it('documents 409 IDEMPOTENCY_IN_PROGRESS and 422 IDEMPOTENCY_KEY_REUSED, as problem+json, on every route that takes Idempotency-Key', () => {
    const keyed = operations.filter(({ op }) => op.parameters?.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key'));
    expect(keyed.length).toBeGreaterThan(20);
    for (const { key, op } of keyed) {
      for (const status of [409, 422] as const) {
        const res = op.responses[status];
        expect(res?.description, `${key} ${status}`).toContain(IDEMPOTENCY_RESPONSES[status]);
        expect(Object.keys(res?.content ?? {}), `${key} ${status}`).toEqual(['application/problem+json']);
      }
    }
  });

  it('documents 400 wherever a request has input, and 415 wherever it requires a JSON body', () => {
    for (const { key, op } of operations) {
      if (op.parameters?.length || op.requestBody) expect(op.responses[400], key).toBeDefined();
      // An optional body (POST .../payment: no body means the wallet) is read only when it is JSON.
      if (op.requestBody?.required) expect(op.responses[415], key).toBeDefined();
    }
  });

  it('states the rules the server enforces: one shape per hold, no empty PATCH, no zero adjustment, the codec namespace', () => {
    const hold = schemas().HoldRequest!;
    expect((hold.oneOf as Json[]).map((s) => s.required)).toEqual([['seatIds'], ['quantity']]);
    for (const name of ['ConcertChange', 'ScheduleChange', 'UserChange']) expect(schemas()[name]!.minProperties, name).toBe(1);
    expect((schemas().WalletAdjustment!.properties as Record<string, Json>).amount!.not).toEqual({ const: 0 });
    const decode = operations.find((o) => o.key === 'POST /codec/decode')!;
    expect(decode.op.parameters!.find((p) => p.name === 'x-namespace')!.schema!.enum).toEqual(['default']);
    // Path ids are canonical positive integers that fit a double exactly (16 digits at most).
    for (const { key, op } of operations) {
      for (const p of op.parameters ?? []) {
        if (p.in === 'path' && p.schema?.type === 'integer') expect([key, p.schema.minimum, p.schema.maximum]).toEqual([key, 1, Number.MAX_SAFE_INTEGER]);
        // Query integers too (id filters, pages, limits): the server refuses more than 16 digits, so a bound is stated.
        if (p.in === 'query' && p.schema?.type === 'integer') expect([key, p.name, typeof p.schema.maximum]).toEqual([key, p.name, 'number']);
      }
    }
    // A cursor is a ledger id, and the document says so (a schema-valid cursor is one the server honours).
    const wallet = operations.find((o) => o.key === 'GET /api/v1/wallet')!;
    expect(wallet.op.parameters!.find((p) => p.name === 'cursor')!.schema!.pattern).toBe('^[1-9][0-9]{0,15}$');
  });

  it('holds what the hold schema says: exactly one of seatIds and quantity', () => {
    const ajv = validator();
    ajv.addSchema(doc, 'doc');
    const valid = ajv.getSchema('doc#/components/schemas/HoldRequest')!;
    expect(valid({ scheduleId: 1, seatIds: [1] })).toBe(true);
    expect(valid({ scheduleId: 1, quantity: 2, tier: 'R' })).toBe(true);
    expect(valid({ scheduleId: 1, seatIds: [1], quantity: 2 })).toBe(false);
    expect(valid({ scheduleId: 1 })).toBe(false);
    expect(valid({ scheduleId: 1, seatIds: [1], together: true })).toBe(false);
  });

  it('has examples that are valid against their own schemas, with dates ahead of now', () => {
    const ajv = validator();
    ajv.addSchema(doc, 'doc');
    const found: string[] = [];
    const visit = (node: unknown, pointer: string) => {
      if (!node || typeof node !== 'object') return;
      const here = node as Json;
      if ('example' in here && (here.type !== undefined || here.$ref !== undefined || here.properties !== undefined)) {
        found.push(pointer);
        const valid = ajv.getSchema(`doc#${pointer}`)!;
        expect(valid(here.example), `${pointer}: ${JSON.stringify(valid.errors)}`).toBe(true);
        if (here.format === 'date-time') expect(new Date(String(here.example)).getTime(), pointer).toBeGreaterThan(Date.now());
      }
      for (const [k, v] of Object.entries(here)) if (k !== 'example') visit(v, `${pointer}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    };
    visit(doc.paths, '/paths');
    visit(doc.components, '/components');
    expect(found.length).toBeGreaterThan(5);
  });
});

/** A JSON Schema 2020-12 validator that knows OpenAPI's keywords (example, discriminator, ...). */
function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}
