import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';

/**
 * Swagger UI at /docs, served from the pinned `swagger-ui-dist` npm package: no CDN, so the page
 * works offline and trusts no third party, and its Content-Security-Policy (app.ts) allows only
 * this origin. The page has no inline script or style; the start-up code is a file of its own.
 */
const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const version = (JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8')) as { version: string }).version;

const page = (specUrl: string) => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Concert booking API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css?v=${version}">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png?v=${version}">
</head>
<body>
  <div id="swagger-ui" data-spec-url="${specUrl}"></div>
  <script src="/docs/swagger-ui-bundle.js?v=${version}"></script>
  <script src="/docs/swagger-initializer.js?v=${version}"></script>
</body>
</html>
`;

// validatorUrl null: the default badge would fetch from validator.swagger.io.
const initializer = `window.ui = SwaggerUIBundle({
  url: document.getElementById('swagger-ui').dataset.specUrl,
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

const assets: Record<string, { type: string; file?: string; text?: string }> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', file: 'swagger-ui.css' },
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', file: 'swagger-ui-bundle.js' },
  'favicon-32x32.png': { type: 'image/png', file: 'favicon-32x32.png' },
  'swagger-initializer.js': { type: 'text/javascript; charset=utf-8', text: initializer },
};
const loaded = new Map<string, Uint8Array | string>();

/** GET /docs and its assets, to mount at the root; `specUrl` is the OpenAPI document's address. */
export function swaggerUiRoutes(specUrl: string) {
  const app = new Hono();
  app.get('/docs', (c) => c.html(page(specUrl)));
  app.get('/docs/:asset', (c) => {
    const name = c.req.param('asset');
    const asset = Object.hasOwn(assets, name) ? assets[name] : undefined;
    if (!asset) return c.notFound();
    let body = loaded.get(name);
    if (body === undefined) {
      // Read on first use (the bundle is 1.7 MB) and kept: the files never change while we run.
      body = asset.text ?? new Uint8Array(readFileSync(join(dist, asset.file!)));
      loaded.set(name, body);
    }
    // The page asks for ?v=<package version>, so a new package version is a new address.
    return c.body(body as never, 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=31536000, immutable' });
  });
  return app;
}
