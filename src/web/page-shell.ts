import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Fragment = HtmlEscapedString | Promise<HtmlEscapedString> | string;

/**
 * The document every server-rendered page is (the web app's pages, routes.ts, and the door scanner,
 * scanner-page.ts): language, viewport, title, the session's CSRF token for the page's script, the
 * stylesheet, then what the page adds to its head and its own body. Escaped by hono/html.
 */
export function pageShell(o: { lang: 'ko' | 'en'; title: string; csrfToken: string | undefined; stylesheet: string; head: Fragment; body: Fragment }) {
  return html`<!doctype html>
<html lang="${o.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title}</title>
${o.csrfToken ? html`<meta name="csrf-token" content="${o.csrfToken}">` : ''}
<link rel="stylesheet" href="${o.stylesheet}">
${o.head}
</head>
${o.body}
</html>`;
}
