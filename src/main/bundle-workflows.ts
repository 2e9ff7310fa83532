/**
 * Writes the workflow bundle once, at build time (`npm run build` runs it), so a worker start loads
 * the file instead of running webpack: seconds and ~100 MB saved per worker, and every worker of a
 * release runs byte-identical workflow code.
 *   npx tsx src/main/bundle-workflows.ts dist/workflow-bundle.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflows } from './worker-app.js';

const out = resolve(process.argv[2] ?? 'dist/workflow-bundle.js');
const { code } = await bundleWorkflows();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
