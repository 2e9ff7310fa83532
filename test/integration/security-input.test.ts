import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../support/harness.js';
import { checkInvariants } from '../support/invariants.js';

/**
 * Hostile input on every route, found through the OpenAPI document so routes added later are
 * covered without touching this file: SQL-injection strings, oversized and malformed values in path,
 * query, headers and body. Every answer must be a 4xx/2xx, never a 5xx, and no answer may carry a
 * stack trace or SQL.
 */
type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  op: Schema;
}

const INJECTIONS = [
  "' OR '1'='1",
  "1; DROP TABLE users; --",
  "1' UNION SELECT password_hash FROM users --",
  '" OR ""="',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '\u0000',
  '%00%27',
  '-1',
  '0',
  '1e309',
  '99999999999999999999999',
  'NaN',
  '𝕏'.repeat(50),
  'a'.repeat(5000),
];
const EVIL_VALUES: unknown[] = ["' OR 1=1 --", 'a'.repeat(20_000), -1, 0, 1e308, 2 ** 63, 1.5, '1', null, true, {}, [], { $gt: '' }, Array.from({ length: 500 }, () => 1)];
const LEAKS = /(\bat .+:\d+:\d+\))|\bER_[A-Z_]{4,}|sqlMessage|sqlState|SELECT .+ FROM|node_modules|DrizzleQueryError|\.ts:\d+/;

describe('security: hostile input on every route (from /openapi.json)', () => {
  let ctx: TestContext;
  let doc: Schema;
  let userToken: string;
  let adminToken: string;
  let throwawayToken: string; // logout-all revokes the caller's tokens
  const failures: string[] = [];
  let requests = 0;

  beforeAll(async () => {
    ctx = await createTestContext();
    userToken = (await ctx.createUser({ balance: 50_000 })).token;
    adminToken = (await ctx.createUser({ role: 'ADMIN' })).token;
    throwawayToken = (await ctx.createUser()).token;
    doc = (await ctx.request('GET', '/openapi.json')).body;
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const operations = (): Operation[] =>
    Object.entries(doc.paths as Record<string, Schema>).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map(([method, op]) => ({ method: method.toUpperCase(), path, op: op as Schema })),
    );
  const deref = (s: Schema | undefined): Schema => (s?.$ref ? deref(doc.components.schemas[s.$ref.split('/').pop()!]) : (s ?? {}));
  const params = (op: Schema, where: string): Schema[] => (op.parameters ?? []).map(deref).filter((p: Schema) => p.in === where);
  const bodySchema = (op: Schema) => deref(op.requestBody?.content?.['application/json']?.schema);
  const isStream = (op: Schema) => !!op.responses?.['200']?.content?.['text/event-stream'];

  /** A plausible value for a schema (the base the mutations start from). */
  function sample(s0: Schema | undefined): unknown {
    const s = deref(s0);
    if (s.enum) return s.enum[0];
    if (s.anyOf) return sample(s.anyOf.find((x: Schema) => x.type !== 'null') ?? s.anyOf[0]);
    switch (Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type) {
      case 'object':
        return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v as Schema)]));
      case 'array':
        return [sample(s.items)];
      case 'integer':
      case 'number':
        return Math.max(1, s.minimum ?? 1);
      case 'boolean':
        return true;
      default:
        if (s.format === 'email') return `fuzz-${Math.random().toString(36).slice(2)}@test.example`;
        if (s.format === 'date-time' || s.format === 'date') return new Date(Date.now() + 86_400_000).toISOString();
        if (s.pattern === '^[a-f0-9]{24}$') return '0'.repeat(24);
        return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    }
  }
  const pathSample = (p: Schema) => (deref(p.schema).type === 'integer' || deref(p.schema).type === 'number' ? '999999' : String(sample(p.schema)));

  async function send(o: Operation, label: string, init: { path?: string; query?: string; headers?: Record<string, string>; body?: string }) {
    requests++;
    const token = o.path.startsWith('/api/v1/admin') || o.path.startsWith('/codec') ? adminToken : o.path.endsWith('/logout-all') ? throwawayToken : userToken;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...init.headers };
    if (init.body !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
    if (headers['content-type'] === '') delete headers['content-type'];
    const res = await ctx.app.request(`${init.path ?? o.path}${init.query ? `?${init.query}` : ''}`, { method: o.method, headers, body: init.body });
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('text/event-stream')) {
      await res.body?.cancel();
      return;
    }
    const text = await res.text();
    const where = `${o.method} ${o.path} [${label}] -> ${res.status}`;
    if (res.status >= 500) failures.push(`${where}: ${text.slice(0, 300)}`);
    else if (res.status >= 400 && !type.includes('application/problem+json')) failures.push(`${where}: not problem+json (${type})`);
    // The problem's `instance` echoes the (hostile) path back; everything else must be ours.
    if (LEAKS.test(text.replace(/"instance":"(?:[^"\\]|\\.)*"/, ''))) failures.push(`${where}: leaks internals: ${text.slice(0, 300)}`);
  }

  const fillPath = (o: Operation, override: Record<string, string> = {}) =>
    params(o.op, 'path').reduce((p, prm) => p.replace(`{${prm.name}}`, encodeURIComponent(override[prm.name] ?? pathSample(prm))), o.path);

  it('has a document that lists the API', () => {
    expect(operations().length).toBeGreaterThan(15);
  });

  it('declares every path id with a type and a bound, every body string/array bounded, every body strict', () => {
    const gaps: string[] = [];
    const walk = (s0: Schema, at: string) => {
      const s = deref(s0);
      const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
      if (type === 'string' && s.maxLength === undefined && !s.enum && !s.format && s.pattern === undefined) gaps.push(`${at}: unbounded string`);
      if (type === 'array') {
        if (s.maxItems === undefined) gaps.push(`${at}: unbounded array`);
        walk(s.items ?? {}, `${at}[]`);
      }
      if (type === 'object' && s.properties) {
        if (s.additionalProperties !== false && !at.includes('payloads')) gaps.push(`${at}: unknown fields not rejected`);
        for (const [k, v] of Object.entries(s.properties)) walk(v as Schema, `${at}.${k}`);
      }
      for (const alt of s.anyOf ?? []) walk(alt, at);
    };
    for (const o of operations()) {
      const name = `${o.method} ${o.path}`;
      for (const p of params(o.op, 'path')) {
        const s = deref(p.schema);
        if (!(s.type === 'integer' && (s.minimum !== undefined || s.exclusiveMinimum !== undefined) && s.maximum !== undefined) && !(s.type === 'string' && s.pattern)) gaps.push(`${name} path ${p.name}: not validated`);
      }
      for (const p of params(o.op, 'query')) walk(p.schema ?? {}, `${name} query ${p.name}`);
      if (o.op.requestBody) walk(bodySchema(o.op), `${name} body`);
    }
    expect(gaps).toEqual([]);
  });

  it('never answers 5xx or leaks internals, whatever arrives', { timeout: 300_000 }, async () => {
    for (const o of operations()) {
      // Path parameters
      for (const p of params(o.op, 'path')) for (const evil of INJECTIONS) await send(o, `path ${p.name}=${evil.slice(0, 20)}`, { path: fillPath(o, { [p.name]: evil }), ...(o.op.requestBody ? { body: JSON.stringify(sample(bodySchema(o.op))) } : {}) });
      const path = fillPath(o);
      if (isStream(o)) {
        // Only invalid input for streams (a valid one would stream): bad query values and headers.
        for (const p of [...params(o.op, 'query'), ...params(o.op, 'header')]) await send(o, `stream ${p.name}`, p.in === 'query' ? { path, query: `${p.name}=${encodeURIComponent('a'.repeat(5000))}` } : { path, headers: { [p.name]: 'a'.repeat(5000) } });
        await send(o, 'stream unknown query', { path, query: 'role=ADMIN&__proto__[x]=1' });
        continue;
      }
      // Query parameters, plus unknown ones
      for (const p of params(o.op, 'query')) for (const evil of INJECTIONS) await send(o, `query ${p.name}=${evil.slice(0, 20)}`, { path, query: `${p.name}=${encodeURIComponent(evil)}` });
      await send(o, 'unknown query', { path, query: 'role=ADMIN&userId=1&__proto__[admin]=1&constructor[prototype][x]=1' });
      // Header parameters (printable ASCII only: anything else is not a valid header value)
      for (const p of params(o.op, 'header')) for (const evil of INJECTIONS.filter((e) => /^[\x20-\x7e]+$/.test(e))) await send(o, `header ${p.name}=${evil.slice(0, 20)}`, { path, headers: { [p.name]: evil } });
      if (!o.op.requestBody) continue;
      // Malformed and oversized bodies
      const base = sample(bodySchema(o.op)) as Record<string, unknown>;
      const malformed: Array<[string, string, Record<string, string>?]> = [
        ['not json', '{"a": '],
        ['json array', '[1,2,3]'],
        ['json null', 'null'],
        ['json string', '"x"'],
        ['empty', ''],
        ['deep nesting', `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`],
        ['oversized', JSON.stringify({ ...base, pad: 'a'.repeat(ctx.config.BODY_LIMIT_BYTES + 10) })],
        ['text/plain', JSON.stringify(base), { 'content-type': 'text/plain' }],
        ['form', 'role=ADMIN', { 'content-type': 'application/x-www-form-urlencoded' }],
        ['no content-type', JSON.stringify(base), { 'content-type': '' }],
        ['no content-type, no body', undefined as unknown as string, { 'content-type': '' }],
        ['unknown field', JSON.stringify({ ...base, role: 'ADMIN', isAdmin: true })],
        ['proto pollution', JSON.stringify(base).replace(/^\{/, '{"__proto__":{"role":"ADMIN"},"constructor":{"prototype":{"x":1}},')],
      ];
      for (const [label, body, headers] of malformed) await send(o, label, { path, body, ...(headers ? { headers } : {}) });
      // Every top-level field replaced by every hostile value
      if (base && typeof base === 'object' && !Array.isArray(base)) {
        for (const key of Object.keys(base)) for (const v of EVIL_VALUES) await send(o, `body ${key}=${JSON.stringify(v)?.slice(0, 20)}`, { path, body: JSON.stringify({ ...base, [key]: v }) });
      }
    }
    expect(requests).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  });

  it('changed nothing it should not have', async () => {
    const [admins] = await ctx.identityPool.query<any[]>(`SELECT COUNT(*) AS n FROM users WHERE role = 'ADMIN'`);
    expect(Number(admins[0].n)).toBe(1);
    expect(await checkInvariants(ctx.pool)).toEqual([]);
  });
});
