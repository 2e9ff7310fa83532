/**
 * `npm run web:types`: regenerates src/web/assets/api.d.ts, the web client's types, from the API's own
 * OpenAPI document (built in-process, no service needed). `--check` only says whether it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../src/main/openapi-document.js';
import { renderApiTypes } from '../src/web/openapi-to-ts.js';

export const API_TYPES_FILE = fileURLToPath(new URL('../src/web/assets/api.d.ts', import.meta.url));

const fresh = renderApiTypes(await openApiDocument());
const current = (() => {
  try {
    return readFileSync(API_TYPES_FILE, 'utf8');
  } catch {
    return '';
  }
})();
if (process.argv.includes('--check')) {
  if (current !== fresh) {
    console.error('src/web/assets/api.d.ts is stale: run npm run web:types');
    process.exit(1);
  }
  console.log('src/web/assets/api.d.ts is up to date');
} else {
  writeFileSync(API_TYPES_FILE, fresh);
  console.log(current === fresh ? 'src/web/assets/api.d.ts unchanged' : 'src/web/assets/api.d.ts written');
}
