/**
 * Writes the web client's types (src/web/assets/api.d.ts) from the API's OpenAPI 3.1 document, so
 * app.js is type-checked against what the API really declares, not against hand-written copies.
 * Small on purpose: it covers the JSON Schema the zod-openapi registry emits (types and type lists,
 * const, enum, anyOf/oneOf/allOf, $ref to components, objects, arrays, tuples) and says `unknown`
 * for anything else, so an unsupported construct loosens a type instead of inventing one.
 */
type Schema = Record<string, unknown> | boolean;
type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (name: string) => (IDENTIFIER.test(name) ? name : JSON.stringify(name));
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** One-line JSDoc (descriptions may hold `*\/`, which would end the comment early). */
const doc = (text: unknown, pad: string) => (typeof text === 'string' && text.trim() ? `${pad}/** ${text.trim().replace(/\s+/g, ' ').replaceAll('*/', '*\\/')} */\n` : '');

const union = (parts: string[]) => {
  const unique = [...new Set(parts)];
  return unique.length === 0 ? 'never' : unique.length === 1 ? unique[0]! : unique.map((p) => (p.includes('=>') ? `(${p})` : p)).join(' | ');
};

/** A JSON Schema as a TypeScript type; `pad` is the indentation of the line it starts on. */
export function schemaType(schema: Schema | undefined, pad = ''): string {
  if (schema === undefined || schema === true) return 'unknown';
  if (schema === false) return 'never';
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
    return m ? `Schemas[${JSON.stringify(m[1])}]` : 'unknown';
  }
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return union(schema.enum.map((v) => JSON.stringify(v)));
  for (const k of ['anyOf', 'oneOf'] as const) {
    if (!Array.isArray(schema[k])) continue;
    const alternatives = union(list(schema[k]).map((s) => schemaType(s as Schema, pad)));
    // Beside an object's own properties the alternatives narrow it (HoldRequest: seatIds or quantity).
    const { [k]: _alternatives, ...own } = schema;
    return own.type !== undefined || own.properties !== undefined ? `${schemaType(own, pad)} & (${alternatives})` : alternatives;
  }
  if (Array.isArray(schema.allOf)) return list(schema.allOf).map((s) => `(${schemaType(s as Schema, pad)})`).join(' & ') || 'unknown';
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : schema.properties ? ['object'] : [];
  if (types.length === 0) return 'unknown';
  return union(types.map((t) => oneType(t, schema, pad)));
}

function oneType(type: string, schema: Json, pad: string): string {
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array': {
      if (Array.isArray(schema.prefixItems)) return `[${schema.prefixItems.map((s) => schemaType(s as Schema, pad)).join(', ')}]`;
      const item = schemaType(schema.items as Schema | undefined, pad);
      return /^[\w$"'[\].]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
    }
    case 'object':
      return objectType(schema, pad);
    default:
      return 'unknown';
  }
}

function objectType(schema: Json, pad: string): string {
  const props = obj(schema.properties);
  const required = new Set(list(schema.required));
  const inner = `${pad}  `;
  const lines = Object.entries(props).map(([name, s]) => `${doc(obj(s).description, inner)}${inner}${key(name)}${required.has(name) ? '' : '?'}: ${schemaType(s as Schema, inner)};\n`);
  const extra = schema.additionalProperties;
  const open = extra !== undefined && extra !== false;
  // A map (no named properties) keeps its value type; beside named ones an index signature must be loose.
  if (lines.length === 0) return !open ? (extra === false ? 'Record<string, never>' : 'Record<string, unknown>') : `Record<string, ${schemaType(extra === true ? undefined : (extra as Schema), pad)}>`;
  if (open) lines.push(`${inner}[key: string]: unknown;\n`);
  return `{\n${lines.join('')}${pad}}`;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
  description?: string;
}

/** The parameters of one place (path, query or header) as an object type, or undefined when none. */
function parameterGroup(params: Parameter[], where: string, pad: string) {
  const mine = params.filter((p) => p.in === where);
  if (mine.length === 0) return undefined;
  const props = Object.fromEntries(mine.map((p) => [p.name, { ...obj(p.schema), description: p.description ?? obj(p.schema).description }]));
  return { type: objectType({ properties: props, required: mine.filter((p) => p.required).map((p) => p.name) }, pad), required: mine.some((p) => p.required) };
}

/** The JSON body of the 2xx answers (null for one with no body, such as 204). */
function responseType(responses: Json, pad: string) {
  const parts: string[] = [];
  for (const [status, r] of Object.entries(responses)) {
    if (!/^2\d\d$/.test(status)) continue;
    const content = obj(obj(r).content);
    const json = content['application/json'];
    if (json) parts.push(schemaType(obj(json).schema as Schema, pad));
    else if (Object.keys(content).length === 0) parts.push('null');
  }
  return union(parts);
}

/** Server-sent events of a text/event-stream answer: event name → the JSON its `data` holds. */
function eventsType(responses: Json, pad: string) {
  const stream = obj(obj(obj(obj(responses['200']).content)['text/event-stream']).schema);
  if (Object.keys(stream).length === 0) return undefined;
  const messages = Array.isArray(stream.oneOf) ? stream.oneOf.map(obj) : [stream];
  const inner = `${pad}  `;
  const named: string[] = [];
  const other: string[] = [];
  for (const m of messages) {
    const props = obj(m.properties);
    const event = obj(props.event);
    const data = schemaType(obj(props.data).contentSchema as Schema | undefined, inner);
    if (typeof event.const === 'string') named.push(`${doc(m.description, inner)}${inner}${key(event.const)}: ${data};\n`);
    else other.push(data);
  }
  if (other.length) named.push(`${inner}[event: string]: ${union(other)};\n`);
  return `{\n${named.join('')}${pad}}`;
}

/** The whole .d.ts: component schemas, one entry per operation ('METHOD /path'), and the call helpers. */
export function renderApiTypes(document: Json): string {
  const out: string[] = [
    '// GENERATED by `npm run web:types` from the API\'s own OpenAPI document (GET /openapi.json, built',
    '// in-process by src/main/openapi-document.ts). Do not edit: test/unit/web-api-types.test.ts fails',
    '// when this file no longer matches the API. app.js is type-checked against it (tsconfig.web.json).',
    '',
    'export interface Schemas {',
  ];
  for (const [name, s] of Object.entries(obj(obj(document.components).schemas))) out.push(`${doc(obj(s).description, '  ')}  ${key(name)}: ${schemaType(s as Schema, '  ')};`);
  out.push('}', '', 'export interface Operations {');
  for (const [path, item] of Object.entries(obj(document.paths))) {
    for (const method of METHODS) {
      const op = obj(obj(item)[method]);
      if (Object.keys(op).length === 0) continue;
      const pad = '    ';
      const params = [...list(obj(item).parameters), ...list(op.parameters)].map((p) => obj(p) as unknown as Parameter);
      const fields: string[] = [];
      for (const where of ['path', 'query', 'header'] as const) {
        const group = parameterGroup(params, where, pad);
        if (group) fields.push(`${pad}${where === 'header' ? 'headers' : where}${group.required ? '' : '?'}: ${group.type};`);
      }
      const body = obj(obj(op.requestBody).content)['application/json'];
      if (body) fields.push(`${pad}body${obj(op.requestBody).required ? '' : '?'}: ${schemaType(obj(body).schema as Schema, pad)};`);
      const responses = obj(op.responses);
      fields.push(`${pad}response: ${responseType(responses, pad)};`);
      const events = eventsType(responses, pad);
      if (events) fields.push(`${pad}events: ${events};`);
      out.push(`${doc(op.summary, '  ')}  ${JSON.stringify(`${method.toUpperCase()} ${path}`)}: {`, ...fields, '  };');
    }
  }
  out.push(
    '}',
    '',
    "/** An operation's name: its method and path template, e.g. 'GET /api/v1/reservations/{reservationId}'. */",
    'export type Operation = keyof Operations;',
    "/** What a call sends. Headers are all optional: the client adds Idempotency-Key and the CSRF token itself. */",
    "export type ApiRequest<K extends Operation> = Omit<Operations[K], 'response' | 'events' | 'headers'> & { headers?: Partial<Operations[K] extends { headers?: infer H } ? H : never> };",
    '/** The JSON of a successful answer. */',
    "export type ApiResponse<K extends Operation> = Operations[K]['response'];",
    '/** The `data` of each event of a stream, by event name. */',
    "export type Events<K extends Operation> = Operations[K] extends { events: infer E } ? E : never;",
    '/** The client: the request argument may be left out only when nothing in it is required. */',
    'export type ApiCall = <K extends Operation>(operation: K, ...request: {} extends ApiRequest<K> ? [request?: ApiRequest<K>] : [request: ApiRequest<K>]) => Promise<ApiResponse<K>>;',
    '',
  );
  return out.join('\n');
}
