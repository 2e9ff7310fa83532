import { z } from '@hono/zod-openapi';

/** Schemas and helpers shared by every capability's route declarations. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().openapi({ example: 'SEAT_UNAVAILABLE' }),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
  })
  .openapi('Problem');

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

const problemResponse = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description });

/** Standard error responses, keyed by status, for route declarations. */
export const problems = (...statuses: Array<400 | 401 | 402 | 403 | 404 | 409 | 413 | 422 | 423 | 429 | 503>) =>
  Object.fromEntries(statuses.map((s) => [s, problemResponse(`Problem (${s})`)])) as Record<number, ReturnType<typeof problemResponse>>;

export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });

const positiveId = (name: string) => z.coerce.number().int().positive().max(2 ** 53 - 1).openapi({ param: { name, in: 'path' }, example: 1 });
export const IdParam = <K extends string>(name: K) => z.object({ [name]: positiveId(name) } as Record<K, ReturnType<typeof positiveId>>);

export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

export const bearerSecurity = [{ bearerAuth: [] }];

const idempotencyKey = z
  .string()
  .min(8)
  .max(100)
  .regex(/^[A-Za-z0-9_\-:.]+$/, 'letters, digits and _-:. only');

export const IdempotencyKeyHeader = z.object({
  'idempotency-key': idempotencyKey
    .optional()
    .openapi({ param: { name: 'idempotency-key', in: 'header' }, description: 'Repeat a request safely: same key and body give the same response' }),
});

/** For routes that refuse to run without a key (wallet charges): documented as required. */
export const RequiredIdempotencyKeyHeader = z.object({
  'idempotency-key': idempotencyKey.openapi({
    param: { name: 'idempotency-key', in: 'header', required: true },
    description: 'Required. Repeat a request safely: same key and body give the same response',
  }),
});

/** A JSON Schema for a string whose content is JSON of `schema` (JSON Schema 2020-12 contentSchema). */
const jsonString = (schema: z.ZodType | { $ref: string }) => ({
  type: 'string',
  contentMediaType: 'application/json',
  contentSchema: '$ref' in schema ? schema : withoutDialect(z.toJSONSchema(schema, { unrepresentable: 'any' })),
});
const withoutDialect = ({ $schema: _dialect, ...rest }: Record<string, unknown>) => rest;

export interface StreamMessage {
  /** The SSE `event:` name, or a description of the names when there are many. */
  event: string | { description: string };
  /** What `data:` holds, as JSON text: a zod schema or a reference to a component. */
  data: z.ZodType | { $ref: string };
  description: string;
}

/**
 * A text/event-stream response. OpenAPI 3.1 has no schema for the items of a stream, so the schema
 * is that of one message (one of `messages`): its `event` name, `id`, and `data`, a string holding
 * JSON (contentMediaType/contentSchema say of what), not an arbitrary string.
 */
export function eventStreamResponse(description: string, messages: StreamMessage[]) {
  const one = (m: StreamMessage) => ({
    type: 'object',
    description: m.description,
    required: ['event', 'data'],
    properties: {
      event: typeof m.event === 'string' ? { type: 'string', const: m.event } : { type: 'string', description: m.event.description },
      id: { type: 'string' },
      retry: { type: 'integer', minimum: 0 },
      data: jsonString(m.data),
    },
  });
  const schema = messages.length === 1 ? one(messages[0]!) : { oneOf: messages.map(one) };
  return { description, content: { 'text/event-stream': { schema: schema as never } } };
}
