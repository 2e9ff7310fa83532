/**
 * `npm run build`: the production build in dist/, run with plain node (no tsx, no webpack at start):
 *  - the TypeScript of src/, workflows/ and activities/ compiled by tsc (tsconfig.build.json);
 *  - the workflow bundle, dist/workflow-bundle.js, which workers load by default when it exists;
 *  - the SQL migrations, dist/drizzle (the migrator finds them relative to its own file).
 * Start the processes with `node dist/src/main/{api,worker,relay,migrate,seed}.js`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

rmSync(`${root}/dist`, { recursive: true, force: true });
run(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json']);
run(process.execPath, ['--import', 'tsx', 'src/main/bundle-workflows.ts', 'dist/workflow-bundle.js']);
cpSync(`${root}/drizzle`, `${root}/dist/drizzle`, { recursive: true });
cpSync(`${root}/src/web/assets`, `${root}/dist/src/web/assets`, { recursive: true });
console.log('build: dist/ ready (node dist/src/main/api.js)');
