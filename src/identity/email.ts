import { z } from '@hono/zod-openapi';

/**
 * The one email rule of the platform: signup, login and the admin user search all take this schema,
 * so an address accepted at signup can always be found again (issue 25, defect 5).
 * WHATWG's definition of a valid email address (what browsers accept), kept by zod; its default
 * pattern refuses valid addresses such as a!b@example.com, a'b&c^d@example.com or
 * user@xn--p1ai.xn--p1ai. The document carries the same pattern, so clients and fuzzers generate only
 * what the server accepts.
 */
// No `format: email` in the document (RFC 5322 wants a dot in the domain and would call a@localhost
// invalid): clients and fuzzers generate only what the server accepts.
export const Email = z.string().trim().max(254).regex(z.regexes.html5Email, 'an email address');
