import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/main/openapi-document.js';
import { renderApiTypes, schemaType } from '../../src/web/openapi-to-ts.js';

/**
 * The web client (src/web/assets/app.js) is type-checked against src/web/assets/api.d.ts, which is
 * generated from the API's own OpenAPI document. If a route changes and the file is not regenerated,
 * the check would run against the old API: this test catches that.
 */
describe('web client types', () => {
  it('src/web/assets/api.d.ts is what the current OpenAPI document generates (else run npm run web:types)', async () => {
    const fresh = renderApiTypes(await openApiDocument());
    const current = readFileSync(new URL('../../src/web/assets/api.d.ts', import.meta.url), 'utf8');
    expect(current === fresh, 'src/web/assets/api.d.ts is stale: run `npm run web:types` and commit it').toBe(true);
    // The pages' own operations are there, keyed by method and path template.
    for (const op of ['POST /api/v1/reservations', 'POST /api/v1/admin/concerts', 'GET /api/v1/schedules/{scheduleId}/seats']) expect(fresh).toContain(`"${op}": {`);
  });

  it('turns the JSON Schema the registry emits into TypeScript', () => {
    expect(schemaType({ type: ['string', 'null'] })).toBe('string | null');
    expect(schemaType({ $ref: '#/components/schemas/Seat' })).toBe('Schemas["Seat"]');
    expect(schemaType({ type: 'array', items: { type: 'string', enum: ['A', 'B'] } })).toBe('Array<"A" | "B">');
    expect(schemaType({ type: 'object', properties: { id: { type: 'integer' }, note: { type: 'string' } }, required: ['id'] })).toBe('{\n  id: number;\n  note?: string;\n}');
    expect(schemaType({ type: 'object', additionalProperties: { type: 'string' } })).toBe('Record<string, string>');
    expect(schemaType({ anyOf: [{ type: 'integer' }, { type: 'string' }] })).toBe('number | string');
    // What it does not know becomes `unknown`, never an invented type.
    expect(schemaType({ not: { type: 'string' } })).toBe('unknown');
  });
});
