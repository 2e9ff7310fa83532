// Architecture fences (issue 27): which folder may import which, checked by eslint-plugin-boundaries.
//
// - A capability (src/<name>) imports another only through that capability's public index.ts.
// - Capabilities form layers: each may import only the ones listed below it in `LAYERS`, so no import
//   cycle between folders can come back (a cycle needs an edge going up).
// - Workflow contracts (workflows/<capability>/*-contract.ts) sit at the bottom: any capability may
//   import them; workflow code and activities are wired by src/main (the composition root).
// - src/main is the composition root: it may import any file. src/platform and src/shared are
//   libraries under every capability, imported file by file.
//
// `EXCEPTIONS` lists the imports that still cross a fence, each with the issue that removes it.

/** Bottom to top: a capability may depend on those before it (platform and shared are below all). */
export const LAYERS = [
  'events',
  'payment',
  'identity',
  'ticketing',
  'catalog',
  'booking',
  'waitlist',
  'queue',
  'recommendations',
  'notifications',
  'webhooks',
  'admin',
  'web',
];

/**
 * Imports that still cross a fence, one file pair each. Each names the issue that removes it; the
 * fence stays on for every other import of these files.
 */
export const EXCEPTIONS = [
  // None left (issue 27 removed the last: booking's repository wrote catalog's seats table until
  // booking owned the seat status, src/booking/schema.ts seat_status). A new one names its issue.
];

export const boundariesSettings = {
  'import/resolver': { typescript: { alwaysTryTypes: true } },
  // Folders; a file directly under workflows/, activities/ or src/ (index.ts, config.ts) is captured
  // under its file name.
  'boundaries/elements': [
    { type: 'workflow', pattern: 'workflows/*', capture: ['capability'] },
    { type: 'activity', pattern: 'activities/*', capture: ['capability'] },
    { type: 'capability', pattern: 'src/*', capture: ['capability'] },
  ],
  'boundaries/files': [{ category: 'contract', pattern: 'workflows/*/*-contract.ts' }],
};

const cap = (capability) => ({ element: { type: 'capability', captured: { capability } } });
const publicApi = (capability) => ({ element: { type: 'capability', captured: { capability }, internalPath: 'index.ts' } });
const contract = { file: { categories: 'contract' } };
const workflowIndex = { element: { type: 'workflow', captured: { capability: 'index.ts' } } };
const activityIndex = { element: { type: 'activity', captured: { capability: 'index.ts' } } };
const config = cap('config.ts');

function policies() {
  const out = [
    // Anyone may read a workflow's contract (it imports only Temporal's definitions and other
    // contracts: the no-restricted-imports block in eslint.config.js checks that).
    { allow: { to: contract } },
    // Workflow code: its folder, and the activity interface (types only: eslint.config.js). The
    // bundle's entry (workflows/index.ts) lists the workflows.
    { from: { element: { type: 'workflow' } }, allow: { to: [{ element: { type: 'workflow' } }, activityIndex] } },
    // Activities: their own capability's code; another capability through its index.ts. The
    // composition (activities/index.ts) gathers them.
    { from: activityIndex, allow: { to: [{ element: { type: 'activity' } }, ...LAYERS.map(publicApi)] } },
    // Configuration reads its defaults from the capabilities' pure rule files (no I/O: the index
    // would load a capability's adapters into every process's configuration); everyone reads it.
    { from: config, allow: { to: [cap('identity'), cap('catalog')].map((c) => ({ element: { ...c.element, internalPath: ['login-policy.ts', 'schedule-rules.ts'] } })) } },
    { from: { element: { type: 'capability' } }, allow: { to: config } },
    // Libraries under every capability, imported file by file; they import no capability.
    { from: { element: { type: 'capability' } }, allow: { to: [cap('platform'), cap('shared')] } },
    // The composition root (src/main) wires everything: any file.
    { from: cap('main'), allow: { to: [{ element: { type: 'capability' } }, workflowIndex, activityIndex] } },
  ];
  // A capability imports only the capabilities below it, and only through their index.ts.
  for (const [i, name] of LAYERS.entries()) {
    const below = LAYERS.slice(0, i);
    if (below.length) out.push({ from: cap(name), allow: { to: below.map(publicApi) } });
  }
  for (const capability of ['booking', 'catalog', 'payment', 'ticketing']) {
    out.push({ from: { element: { type: 'activity', captured: { capability } } }, allow: { to: [cap(capability), { element: { type: 'activity', captured: { capability } } }, ...LAYERS.map(publicApi)] } });
  }
  return out;
}

export const boundariesRules = {
  'boundaries/dependencies': [2, { default: 'disallow', policies: policies() }],
};

/** One config block per exception: the same policies plus an allowance for that file's one import. */
export const exceptionBlocks = EXCEPTIONS.map(({ file, to }) => {
  const [, capability, ...rest] = to.split('/');
  const allowance = { allow: { to: { element: { type: 'capability', captured: { capability }, internalPath: rest.join('/') } } } };
  return { files: [file], rules: { 'boundaries/dependencies': [2, { default: 'disallow', policies: [...policies(), { from: { element: { type: 'capability' } }, ...allowance }] }] } };
});

/**
 * Workflow files (not contracts) may import @temporalio/workflow, their own contract and parts, and
 * an activity interface (booking's or payment's) as a type. "Own" by name: `reservation-card-payment.ts` is a part of the
 * reservation workflow, so it reads `./reservation-contract.js`; `reservation.ts` may import its
 * parts `./reservation-*.js`.
 */
export function workflowImportBlocks(files) {
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Booking's activity interface, or payment's (served on payment's own task queue), or webhooks'.
  const activities = '^\\.\\./\\.\\./activities/(index|payment|webhooks)\\.js$';
  return files.map((file) => {
    const [folder, name] = file.split('/').slice(-2);
    const stem = name.replace(/\.ts$/, '');
    const words = stem.split('-');
    const ownContracts = words.map((_, i) => `^${escape(`./${words.slice(0, i + 1).join('-')}-contract.js`)}$`);
    const allowed = ['^@temporalio/workflow$', ...ownContracts, `^${escape(`./${stem}-`)}[a-z-]+\\.js$`, activities];
    return {
      files: [`workflows/${folder}/${name}`],
      rules: {
        '@typescript-eslint/no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^(?!(${allowed.join('|')}))`,
                message: 'A workflow imports only @temporalio/workflow, its own contract and parts, and the activity interface (types only).',
              },
              {
                regex: activities,
                allowTypeImports: true,
                message: 'Workflows may import only the type of the activity interface (a value import pulls I/O into the sandbox).',
              },
            ],
          },
        ],
      },
    };
  });
}
