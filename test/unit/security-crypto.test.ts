import { randomBytes } from 'node:crypto';
import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/identity/passwords.js';
import { PersonalDataCipher } from '../../src/identity/personal-data.js';
import { AccessTokens } from '../../src/identity/tokens.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, fromWire, toWire } from '../../src/platform/temporal-codec.js';

const key = () => randomBytes(32).toString('base64');
const SECRET = 'unit-test-jwt-secret-0123456789abcdefghijkl';
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);

describe('PersonalDataCipher (AES-256-GCM at rest)', () => {
  it('round-trips and uses a fresh nonce each time', () => {
    const c = new PersonalDataCipher(key());
    const a = c.encrypt('kim@example.com');
    const b = c.encrypt('kim@example.com');
    expect(a).not.toBe(b);
    expect(a).not.toContain('kim');
    expect(c.decrypt(a)).toBe('kim@example.com');
    expect(c.decrypt(b)).toBe('kim@example.com');
  });

  it('detects tampering with the ciphertext, the tag or the nonce', () => {
    const c = new PersonalDataCipher(key());
    const [v, nonce, tag, body] = c.encrypt('+82 10-1234-5678').split('.');
    expect(() => c.decrypt([v, nonce, tag, flip(body!, 1)].join('.'))).toThrow();
    expect(() => c.decrypt([v, nonce, flip(tag!, 1), body].join('.'))).toThrow();
    expect(() => c.decrypt([v, flip(nonce!, 1), tag, body].join('.'))).toThrow();
    // A truncated tag is refused (Node would accept 4-byte tags unless the length is pinned).
    expect(() => c.decrypt([v, nonce, Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url'), body].join('.'))).toThrow();
    expect(() => c.decrypt('v9.x.y.z')).toThrow();
  });

  it('refuses another key, but decrypts with the previous key during a rotation', () => {
    const oldKey = key();
    const sealed = new PersonalDataCipher(oldKey).encrypt('lee@example.com');
    expect(() => new PersonalDataCipher(key()).decrypt(sealed)).toThrow();
    const rotated = new PersonalDataCipher(key(), oldKey);
    expect(rotated.decrypt(sealed)).toBe('lee@example.com');
    expect(rotated.emailIndexes('Lee@Example.com ')).toEqual([rotated.emailIndex('lee@example.com'), new PersonalDataCipher(oldKey).emailIndex('lee@example.com')]);
  });

  it('derives a stable, normalised blind index that differs per key', () => {
    const k = key();
    const c = new PersonalDataCipher(k);
    expect(c.emailIndex(' Park@Example.COM')).toBe(new PersonalDataCipher(k).emailIndex('park@example.com'));
    expect(c.emailIndex('park@example.com')).toMatch(/^[0-9a-f]{64}$/);
    expect(c.emailIndex('park@example.com')).not.toBe(new PersonalDataCipher(key()).emailIndex('park@example.com'));
  });
});

describe('password hashing (scrypt)', () => {
  it('verifies the right password only, with a salted, parameterised hash', async () => {
    const h = await hashPassword('correct-horse-battery');
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(h).not.toContain('correct-horse');
    expect(await verifyPassword('correct-horse-battery', h)).toBe(true);
    expect(await verifyPassword('correct-horse-batterY', h)).toBe(false);
    expect(await hashPassword('correct-horse-battery')).not.toBe(h);
    expect(await verifyPassword('correct-horse-battery', 'bcrypt$whatever')).toBe(false);
    const parts = h.split('$');
    parts[5] = Buffer.alloc(32, 1).toString('base64');
    expect(await verifyPassword('correct-horse-battery', parts.join('$'))).toBe(false);
  });
});

describe('AccessTokens (HS256 pinned)', () => {
  const tokens = new AccessTokens(SECRET, 900, 3600);
  const user = { id: 7, role: 'USER' as const, tokenVersion: 2 };

  it('accepts its own tokens and carries role and version', async () => {
    const { accessToken } = await tokens.issue(user);
    expect(await tokens.verify(accessToken)).toMatchObject({ sub: '7', role: 'USER', ver: 2 });
  });

  it('rejects alg none, a wrong key, a modified payload and an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: '7', role: 'ADMIN', ver: 2, iat: now, exp: now + 600 };
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    await expect(tokens.verify(none)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(tokens.verify(await sign(claims, 'another-secret-0123456789abcdefghijklmnop', 'HS256'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(tokens.verify(await sign(claims, SECRET, 'HS512'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const [h, , s] = (await tokens.issue(user)).accessToken.split('.');
    await expect(tokens.verify(`${h}.${b64url(claims)}.${s}`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(tokens.verify(await sign({ ...claims, exp: now - 5 }, SECRET, 'HS256'))).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    // A forged token that is also expired learns nothing: the signature is checked first.
    await expect(tokens.verify(await sign({ ...claims, exp: now - 5 }, 'another-secret-0123456789abcdefghijklmnop', 'HS256'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    // No exp at all is not "valid forever".
    await expect(tokens.verify(await sign({ sub: '7', role: 'USER', ver: 2, iat: now }, SECRET, 'HS256'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('keeps refresh and access tokens apart', async () => {
    const pair = await tokens.issuePair(user);
    await expect(tokens.verify(pair.refreshToken)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(tokens.verifyRefresh(pair.accessToken)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await tokens.verifyRefresh(pair.refreshToken)).toMatchObject({ sub: '7', ver: 2, typ: 'refresh' });
  });

  it('accepts tokens of the previous secret during a rotation, and only then', async () => {
    const old = new AccessTokens(SECRET, 900);
    const { accessToken } = await old.issue(user);
    const NEW = 'rotated-jwt-secret-0123456789abcdefghijklmnop';
    expect(await new AccessTokens(NEW, 900, 3600, SECRET).verify(accessToken)).toMatchObject({ sub: '7' });
    await expect(new AccessTokens(NEW, 900).verify(accessToken)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('AesGcmPayloadCodec (Temporal payloads)', () => {
  const payload = { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode(JSON.stringify({ userId: 42, email: 'kim@example.com' })) };

  it('round-trips and hides the original encoding and data', async () => {
    const codec = new AesGcmPayloadCodec(key());
    const [enc] = await codec.encode([payload]);
    expect(new TextDecoder().decode(enc!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(enc!.data!).toString('latin1')).not.toContain('kim@example.com');
    const [dec] = await codec.decode([enc!]);
    expect(new TextDecoder().decode(dec!.data!)).toBe(new TextDecoder().decode(payload.data));
    expect(new TextDecoder().decode(dec!.metadata!.encoding)).toBe('json/plain');
  });

  it('refuses a tampered payload and an unknown key; passes plain payloads through', async () => {
    const k = key();
    const codec = new AesGcmPayloadCodec(k);
    const [enc] = await codec.encode([payload]);
    const bad = { ...enc!, data: new Uint8Array(enc!.data!) };
    bad.data[20] = bad.data[20]! ^ 1;
    await expect(codec.decode([bad])).rejects.toThrow(/authentication/);
    await expect(new AesGcmPayloadCodec(key()).decode([enc!])).rejects.toThrow(/no key/);
    expect(await codec.decode([payload])).toEqual([payload]);
    // After a rotation, old histories still decode while the old key is configured as previous.
    const [dec] = await new AesGcmPayloadCodec(key(), k).decode([enc!]);
    expect(new TextDecoder().decode(dec!.data!)).toContain('kim@example.com');
  });

  it('converts to and from the remote codec protocol JSON (bytes as base64)', () => {
    const wire = toWire(payload);
    expect(wire.metadata!.encoding).toBe(Buffer.from('json/plain').toString('base64'));
    expect(fromWire(wire)).toEqual({ metadata: { encoding: new Uint8Array(payload.metadata.encoding) }, data: new Uint8Array(payload.data) });
  });
});
