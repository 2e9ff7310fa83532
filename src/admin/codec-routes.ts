import { createRoute, z } from '@hono/zod-openapi';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { createRouter, noStore, type AppEnv } from '../platform/http/app.js';
import { json, jsonBody, problems } from '../platform/http/openapi.js';
import { problem } from '../platform/http/problem.js';
import { fromWire, PayloadDecryptionError, toWire, type AesGcmPayloadCodec } from '../platform/temporal-codec.js';
import { DomainError } from '../shared/errors.js';
import type { AccessTokens } from '../identity/index.js';

const MAX_BODY_BYTES = 8 * 1024 * 1024;

// Protocol shape, not ours: proto3-JSON Payloads (bytes as base64). Unknown fields inside a payload
// are dropped rather than refused so a newer Temporal UI still works; the envelope itself is strict.
const WirePayload = z.object({
  metadata: z.record(z.string().max(128), z.string().max(4096)).optional(),
  data: z.string().max(MAX_BODY_BYTES).optional(),
});
const CodecBody = z.object({ payloads: z.array(WirePayload).max(10_000) }).strict().openapi('CodecPayloads');
// Requests are proto3-JSON `Payloads`, where an empty list is simply absent: the Temporal CLI sends
// `{}` when a call has no payloads (a query without arguments), so a missing list means none.
const CodecRequest = z
  .object({ payloads: z.array(WirePayload).max(10_000).default([]) })
  .strict()
  .openapi('CodecRequest', { description: 'proto3-JSON Payloads; `{}` (no list) is an empty list' });
/** X-Namespace may name only the namespace this codec serves (the document says which). */
const namespaceHeader = (namespace: string) =>
  z.object({
    'x-namespace': z.enum([namespace]).optional().openapi({ description: 'Temporal namespace (X-Namespace); this codec serves only this one' }),
  });

export interface CodecRouteDeps {
  codec: AesGcmPayloadCodec;
  tokens: AccessTokens;
  namespace: string;
  /** Origins of the Temporal Web UI, the only browsers allowed to call the codec. */
  uiOrigins: string[];
  sharedSecret?: string | undefined;
  /** Records the 403s (identity's auditForbidden, passed in by the composition root). */
  auditForbidden: MiddlewareHandler<AppEnv>;
}

/**
 * Temporal's remote codec protocol (POST /codec/encode, /codec/decode), so the Temporal Web UI and
 * `temporal workflow show --codec-endpoint` can show payloads decrypted. Decrypted payloads are
 * personal data, so callers must present `Authorization: Bearer <token>` where the token is an ADMIN
 * access token or CODEC_SHARED_SECRET (for a UI or CLI that cannot obtain our JWTs; see
 * docs/security.md). CORS admits the Temporal UI origins only.
 */
export function codecRoutes(deps: CodecRouteDeps) {
  const app = createRouter();
  const secretDigest = deps.sharedSecret ? digest(deps.sharedSecret) : undefined;

  const allowOperator: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.method === 'OPTIONS' || c.req.path.startsWith('/codec/ui/')) return next();
    // `--codec-auth` sends its value as is: take "Bearer <t>" (any case) or the bare token.
    const token = /^(?:bearer\s+)?(\S{10,4096})$/i.exec(c.req.header('authorization')?.trim() ?? '')?.[1];
    if (!token) throw new DomainError('UNAUTHENTICATED', 'The codec needs Authorization: Bearer <admin access token or codec secret>');
    if (secretDigest && timingSafeEqual(digest(token), secretDigest)) return next();
    const claims = await deps.tokens.verify(token);
    if (claims.role !== 'ADMIN') throw new DomainError('FORBIDDEN', 'The codec is for operators (role ADMIN)');
    c.set('user', { id: Number(claims.sub), role: claims.role });
    await next();
  };

  // Decoded payloads are personal answers: never cached.
  app.use('/codec/*', deps.auditForbidden, noStore);
  app.use('/codec/*', cors({ origin: deps.uiOrigins, allowMethods: ['POST', 'OPTIONS'], allowHeaders: ['Content-Type', 'X-Namespace', 'Authorization'], credentials: true, maxAge: 600 }));
  app.use('/codec/*', bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => problem(c, 'PAYLOAD_TOO_LARGE', `Codec request exceeds ${MAX_BODY_BYTES} bytes`) }));
  app.use('/codec/*', allowOperator);

  const checkNamespace = (c: Context) => {
    const ns = c.req.header('x-namespace');
    // The caller's value is not echoed back (it is arbitrary input).
    if (ns && ns !== deps.namespace) throw new DomainError('VALIDATION_FAILED', `This codec serves namespace ${deps.namespace} only (X-Namespace)`);
  };

  const run = async (c: Context<AppEnv>, op: 'encode' | 'decode', body: z.infer<typeof CodecRequest>) => {
    checkNamespace(c);
    const input = body.payloads.map((p) => fromWire(p));
    let out;
    try {
      out = op === 'decode' ? await deps.codec.decode(input) : await deps.codec.encode(input);
    } catch (err) {
      if (err instanceof PayloadDecryptionError) throw new DomainError('VALIDATION_FAILED', `Cannot decode payload: ${err.message}`);
      throw err;
    }
    if (op === 'decode') c.get('log').info({ audit: true, adminAction: 'codec.decode', adminId: c.get('user')?.id ?? null, payloads: out.length }, 'operator decoded payloads');
    return { payloads: out.map(toWire) as Array<{ metadata?: Record<string, string>; data?: string }> };
  };

  // The Temporal Web UI cannot add headers, only an endpoint URL: with CODEC_SHARED_SECRET set it may
  // call /codec/ui/<secret>/decode. Not in the OpenAPI document (the path holds a secret).
  app.post('/codec/ui/:secret/:op{encode|decode}', async (c) => {
    if (!secretDigest || !timingSafeEqual(digest(c.req.param('secret')), secretDigest)) throw new DomainError('UNAUTHENTICATED', 'Unknown codec secret');
    const parsed = CodecRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', 'Body must be {"payloads": [{"metadata": {...}, "data": "<base64>"}]}');
    return c.json(await run(c, c.req.param('op') as 'encode' | 'decode', parsed.data), 200);
  });

  for (const op of ['encode', 'decode'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/codec/${op}`,
        tags: ['operations'],
        summary: op === 'decode' ? 'Temporal remote codec: decrypt payloads for the Web UI / CLI (operators only)' : 'Temporal remote codec: encrypt payloads (operators only)',
        security: [{ bearerAuth: [] }],
        request: { ...jsonBody(CodecRequest), headers: namespaceHeader(deps.namespace) },
        responses: { 200: json(CodecBody, 'Payloads'), ...problems(400, 401, 403, 413) },
      }),
      async (c) => c.json(await run(c, op, c.req.valid('json')), 200),
    );
  }
  return app;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
