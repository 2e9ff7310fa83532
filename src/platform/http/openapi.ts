import { z } from '@hono/zod-openapi';
import type { ErrorCode } from '../../shared/errors.js';
import { errorCodes } from './problem.js';

/** Schemas and helpers shared by every capability's route declarations. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(errorCodes as [ErrorCode, ...ErrorCode[]]).openapi({ example: 'SEAT_UNAVAILABLE' }),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(
        z.object({
          path: z.string().openapi({ description: 'The refused field, dotted (schedules.0.saleClosesAt); empty for the whole body' }),
          message: z.string().openapi({ description: 'Why, in English for developers' }),
          reason: z.string().openapi({ description: 'Why, stable for clients: a rule of the API (STARTS_IN_PAST, ...) or the schema check (too_small, too_big, invalid_type, ...)' }),
          minimum: z.number().optional(),
          maximum: z.number().optional(),
          origin: z.string().optional().openapi({ description: 'The kind of value a bound applies to: string (length), number, array (items)' }),
        }),
      )
      .optional()
      .openapi({ description: 'VALIDATION_FAILED: each refused field' }),
  })
  .openapi('Problem');

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const problemResponse = (description: string) => ({ content: { 'application/problem+json': { schema: ProblemSchema } }, description });

/** Standard error responses, keyed by status, for route declarations. */
export const problems = (...statuses: Array<400 | 401 | 402 | 403 | 404 | 409 | 413 | 422 | 423 | 429 | 503>) =>
  Object.fromEntries(statuses.map((s) => [s, problemResponse(`Problem (${s})`)])) as Record<number, ReturnType<typeof problemResponse>>;

export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });

/**
 * A positive integer written the one canonical way (decimal digits, no sign, no leading zero, no
 * spaces): `z.coerce.number()` would read `0x1`, `01`, `+1`, `1 ` and `1e3` as numbers, so several
 * spellings would name one resource and `1e3` another. Ids and page numbers all go through this.
 */
export const canonicalPositiveInt = (max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'a positive whole number in decimal digits (no sign, leading zero or spaces)')
    .transform(Number)
    .pipe(z.number().max(max, `at most ${max}`));

/**
 * An ISO-8601 date or date-time (`2026-05-01`, `2026-05-01T19:00:00Z`, with an offset or
 * milliseconds), as a Date. `z.coerce.date()` would also take `0.5` or `May 1` and, on a bad value,
 * answer "expected date, received Date".
 */
/**
 * Examples must stay valid whenever the document is read (past dates are refused), so they lie far
 * ahead; schedules give each date its own example, in the order the rules want (isoDate(example)).
 */
export const FAR_FUTURE_EXAMPLE = '2099-05-01T19:00:00Z';
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
export const isoDate = (example = FAR_FUTURE_EXAMPLE) =>
  z
    .string()
    .regex(ISO_DATE, 'an ISO-8601 date (2026-05-01) or date-time (2026-05-01T19:00:00Z)')
    .transform((v, ctx) => {
      const d = new Date(v);
      const [y, m, day] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
      const calendar = new Date(Date.UTC(y, m - 1, day));
      // Date would roll 2026-02-31 over into March: refuse a day the month does not have.
      if (Number.isNaN(d.getTime()) || calendar.getUTCMonth() !== m - 1 || calendar.getUTCDate() !== day) {
        ctx.addIssue({ code: 'custom', message: 'not a real calendar date' });
        return z.NEVER;
      }
      return d;
    })
    .openapi({ type: 'string', format: 'date-time', example });

const positiveId = (name: string) => canonicalPositiveInt().openapi({ param: { name, in: 'path' }, type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, example: 1 });
export const IdParam = <K extends string>(name: K) => z.object({ [name]: positiveId(name) } as Record<K, ReturnType<typeof positiveId>>);

export const PageQuery = z.object({
  page: canonicalPositiveInt(10_000).default(1).openapi({ type: 'integer', minimum: 1, maximum: 10_000, default: 1 }),
  pageSize: canonicalPositiveInt(100).default(20).openapi({ type: 'integer', minimum: 1, maximum: 100, default: 20 }),
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
