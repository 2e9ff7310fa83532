import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Context } from 'hono';

/**
 * Large public JSON (seat maps) sent the cheap way: a weak ETag over the JSON so a client that has
 * it gets 304 and no body, and gzip or brotli (Node's zlib, on its thread pool) when the client
 * accepts one. A seat map is the same bytes for every client until a seat changes, so the last few
 * compressed bodies are kept in memory: a rush of readers costs one compression per change.
 */
const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

export type ContentCoding = 'br' | 'gzip';

/** Below this a compressed body saves less than the work costs. */
const MIN_COMPRESS_BYTES = 1024;
const CACHE_ENTRIES = 64;

const compressed = new Map<string, Promise<Buffer>>();

function compress(json: string, etag: string, coding: ContentCoding): Promise<Buffer> {
  const key = `${coding} ${etag}`;
  let hit = compressed.get(key);
  if (!hit) {
    // Brotli quality 5: most of quality 11's gain for a small part of its time on a megabyte of JSON.
    hit = coding === 'br' ? brotli(json, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: json.length } }) : gzipAsync(json);
    if (compressed.size >= CACHE_ENTRIES) compressed.delete(compressed.keys().next().value!);
    compressed.set(key, hit);
    hit.catch(() => compressed.delete(key));
  }
  return hit;
}

/** The coding to use from an Accept-Encoding header: br over gzip, honouring q=0 and `*`. */
export function chooseCoding(acceptEncoding: string | undefined): ContentCoding | undefined {
  if (!acceptEncoding) return undefined;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [rawName, ...params] = part.toLowerCase().split(';');
    const name = rawName?.trim();
    if (!name) continue;
    const weight = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    q.set(name, weight === undefined ? 1 : Number(weight));
  }
  const weightOf = (c: ContentCoding) => q.get(c) ?? q.get('*') ?? 0;
  const best = (['br', 'gzip'] as const).filter((c) => weightOf(c) > 0).sort((a, b) => weightOf(b) - weightOf(a));
  return best[0];
}

/** Weak comparison (RFC 9110 13.1.2): the client's list holds our tag, with or without W/, or is `*`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

export const etagOf = (json: string) => `W/"${createHash('sha256').update(json).digest('base64url').slice(0, 32)}"`;

/** Answers `value` as JSON with an ETag, 304 on a matching If-None-Match, compressed when accepted. */
export async function sendJson(c: Context, value: unknown, opts: { cacheControl?: string } = {}): Promise<Response> {
  const json = JSON.stringify(value);
  const etag = etagOf(json);
  const headers: Record<string, string> = { ETag: etag, Vary: 'Accept-Encoding', 'Cache-Control': opts.cacheControl ?? 'no-cache' };
  if (matches(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
  headers['Content-Type'] = 'application/json';
  const coding = json.length >= MIN_COMPRESS_BYTES ? chooseCoding(c.req.header('accept-encoding')) : undefined;
  if (!coding) return c.body(json, 200, headers);
  const body = await compress(json, etag, coding);
  return c.body(new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength), 200, { ...headers, 'Content-Encoding': coding });
}
