import { transformSync } from 'esbuild';

/**
 * What the browser gets of a script or stylesheet: minified by esbuild when the API first serves it
 * (no build step: the files in the repo stay as written, comments and JSDoc types included). ES
 * modules stay modules (imports and exports kept).
 */
export function minified(name: string, source: string): string {
  const loader = name.endsWith('.css') ? 'css' : name.endsWith('.js') ? 'js' : undefined;
  if (!loader) return source;
  return transformSync(source, { loader, minify: true, legalComments: 'none', target: 'es2022', charset: 'utf8' }).code;
}
