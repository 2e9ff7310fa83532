import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { BrowserSessions, isLocalOrigin } from '../../src/web/session.js';

const issued = { accessToken: 'a'.repeat(40), expiresIn: 900, refreshToken: 'r'.repeat(40), refreshExpiresIn: 3600 };

/** Cookie attributes and the CSRF check of browser sessions, without a stack. */
describe('browser sessions', () => {
  const appWith = (secure: boolean) => {
    const sessions = new BrowserSessions('s'.repeat(32), secure);
    const app = new Hono();
    app.post('/login', (c) => c.json({ csrf: sessions.start(c, issued) }));
    app.use('/api/*', sessions.middleware());
    app.all('/api/echo', (c) => c.text(c.req.header('authorization') ?? 'none'));
    app.onError((err, c) => c.text(err.message, 403));
    return { app, sessions };
  };

  it('sets HttpOnly SameSite=Strict cookies, Secure outside localhost, the refresh one on its own path', async () => {
    for (const secure of [false, true]) {
      const res = await appWith(secure).app.request('/login', { method: 'POST' });
      const cookies = res.headers.getSetCookie();
      for (const c of cookies) {
        expect(c).toMatch(/HttpOnly/);
        expect(c).toMatch(/SameSite=Strict/);
        expect(/Secure/.test(c)).toBe(secure);
      }
      expect(cookies.find((c) => c.startsWith('cb_refresh='))).toMatch(/Path=\/web\/session\/refresh/);
    }
    expect(isLocalOrigin(undefined)).toBe(true);
    expect(isLocalOrigin('http://127.0.0.1:3000')).toBe(true);
    expect(isLocalOrigin('https://tickets.example.com')).toBe(false);
  });

  it('turns the cookie into a Bearer header, asks writes for the CSRF token, and leaves REST clients alone', async () => {
    const { app, sessions } = appWith(false);
    const cookie = `cb_session=${issued.accessToken}`;
    expect(await (await app.request('/api/echo', { headers: { cookie } })).text()).toBe(`Bearer ${issued.accessToken}`);
    expect((await app.request('/api/echo', { method: 'POST', headers: { cookie } })).status).toBe(403);
    expect((await app.request('/api/echo', { method: 'POST', headers: { cookie, 'x-csrf-token': 'x'.repeat(43) } })).status).toBe(403);
    const ok = await app.request('/api/echo', { method: 'POST', headers: { cookie, 'x-csrf-token': sessions.csrfFor(issued.accessToken) } });
    expect([ok.status, await ok.text()]).toEqual([200, `Bearer ${issued.accessToken}`]);
    // Another session's CSRF token does not fit this session.
    expect((await app.request('/api/echo', { method: 'POST', headers: { cookie, 'x-csrf-token': sessions.csrfFor('b'.repeat(40)) } })).status).toBe(403);
    const rest = await app.request('/api/echo', { method: 'POST', headers: { cookie, authorization: 'Bearer other-token-123' } });
    expect(await rest.text()).toBe('Bearer other-token-123');
    expect(await (await app.request('/api/echo', { headers: { cookie: 'cb_session=bad token' } })).text()).toBe('none');
  });
});
