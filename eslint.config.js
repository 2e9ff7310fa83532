// Lint fences (issue 14): the rules no import graph or type-checker enforces on its own.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'drizzle/', '.stack/', 'coverage/'] },
  {
    files: ['**/*.ts'],
    // Only the fences below: tsc (strict) already covers what the recommended sets would add.
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its error: await it, return it, or mark it `void` on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      // Type-only imports are erased, so a workflow (or any module) never loads code it only names.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox (the samples' workflow override): no Node
    // built-ins, and from src/ only types, so no I/O or nondeterminism can leak into a replay.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflows run in the deterministic sandbox: no Node built-ins.' },
            {
              group: ['../src/*', '../src/**', '../../src/**'],
              allowTypeImports: true,
              message: 'Workflows may import only types from src/ (values pull I/O into the sandbox).',
            },
          ],
          paths: ['assert', 'buffer', 'child_process', 'crypto', 'events', 'fs', 'http', 'https', 'net', 'os', 'path', 'process', 'stream', 'timers', 'url', 'util', 'worker_threads', 'zlib'].map(
            (name) => ({ name, message: 'Workflows run in the deterministic sandbox: no Node built-ins.' }),
          ),
        },
      ],
    },
  },
);
