// Lint fences (issue 14): the rules no import graph or type-checker enforces on its own.
// Architecture fences (issue 27): which folder may import which, in eslint.fences.js.
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';
import { readdirSync } from 'node:fs';
import { boundariesRules, boundariesSettings, exceptionBlocks, workflowImportBlocks } from './eslint.fences.js';

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
    // Capabilities import each other through index.ts only, in layers (no folder cycles).
    files: ['src/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts'],
    plugins: { boundaries },
    settings: boundariesSettings,
    rules: boundariesRules,
  },
  ...exceptionBlocks,
  // Workflow code runs in Temporal's deterministic sandbox (the samples' workflow override): each
  // workflow file imports only @temporalio/workflow, its own contract and parts, and the activity
  // interface as a type, so no I/O or nondeterminism leaks into a replay and no workflow reaches
  // into src/.
  ...workflowImportBlocks(readdirSync('workflows', { recursive: true }).filter((f) => /^[a-z]+\/[a-z-]+\.ts$/.test(f) && !f.endsWith('-contract.ts')).map((f) => `workflows/${f}`)),
  {
    // A workflow's contract is read by the sandbox and by every capability: Temporal's definitions
    // and other contracts only.
    files: ['workflows/*/*-contract.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!@temporalio/(workflow|common)$|(\\.|\\.\\./[a-z]+)/[a-z-]+-contract\\.js$)',
              message: 'A workflow contract imports only @temporalio/workflow, @temporalio/common and other contracts.',
            },
          ],
        },
      ],
    },
  },
);
