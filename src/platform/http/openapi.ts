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

export const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(8)
    .max(100)
    .regex(/^[A-Za-z0-9_\-:.]+$/, 'letters, digits and _-:. only')
    .optional()
    .openapi({ param: { name: 'idempotency-key', in: 'header' }, description: 'Repeat a request safely: same key and body give the same response' }),
});
