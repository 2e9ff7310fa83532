import { ESLint } from 'eslint';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

/**
 * The architecture fences (eslint.fences.js) refuse what they exist to refuse: each case lints a
 * small probe as if it were a file of the tree (the imported files exist, so the resolver sees the
 * real folders). `npm run lint` applies the same rules to the whole tree.
 */
// Plain JavaScript next to eslint.config.js: loaded by URL, so tsc does not need its types.
const fences = await import(new URL('../../eslint.fences.js', import.meta.url).href);

const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { boundaries, '@typescript-eslint': tseslint.plugin } },
    { files: ['src/**/*.ts', 'workflows/**/*.ts', 'activities/**/*.ts'], settings: fences.boundariesSettings, rules: fences.boundariesRules },
    ...fences.exceptionBlocks,
    ...fences.workflowImportBlocks(['workflows/booking/reservation.ts']),
  ],
});

async function refusals(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('architecture fences', () => {
  it("let a capability import a lower one's index.ts and any workflow contract", async () => {
    expect(await refusals('src/booking/probe.ts', "export { CatalogRepository } from '../catalog/index.js';\nexport { reservationWorkflowId } from '../../workflows/booking/reservation-contract.js';\n")).toEqual([]);
  });

  it("refuse another capability's internals", async () => {
    expect(await refusals('src/booking/probe.ts', "export { CatalogRepository } from '../catalog/repository.js';\n")).toEqual(['boundaries/dependencies']);
  });

  it('refuse an import up the layers, so no folder cycle can form', async () => {
    expect(await refusals('src/ticketing/probe.ts', "export { reservationIdFor } from '../booking/index.js';\n")).toEqual(['boundaries/dependencies']);
    expect(await refusals('src/platform/probe.ts', "export { appendEvent } from '../events/index.js';\n")).toEqual(['boundaries/dependencies']);
  });

  it("refuse catalog's seats table to booking, which owns only the seat status (issue 27's last exception)", async () => {
    expect(fences.EXCEPTIONS).toEqual([]);
    expect(await refusals('src/booking/repository.ts', "export { seats } from '../catalog/schema.js';\n")).toEqual(['boundaries/dependencies']);
    expect(await refusals('src/booking/repository.ts', "export { schedules } from '../catalog/schema.js';\n")).toEqual(['boundaries/dependencies']);
    expect(await refusals('src/booking/service.ts', "export { seats } from '../catalog/schema.js';\n")).toEqual(['boundaries/dependencies']);
    // Booking reaches the layout through catalog's public surface; catalog never imports booking
    // (it asks booking's seat statuses through its SeatStatusPort).
    expect(await refusals('src/booking/repository.ts', "export { seatLayoutOf } from '../catalog/index.js';\n")).toEqual([]);
    expect(await refusals('src/catalog/repository.ts', "export { seatStatus } from '../booking/schema.js';\n")).toEqual(['boundaries/dependencies']);
    expect(await refusals('src/catalog/repository.ts', "export { SeatStatusRepository } from '../booking/index.js';\n")).toEqual(['boundaries/dependencies']);
  });

  it("refuse the owners' tables to the files whose exceptions issue 27 removed", async () => {
    // The queue reads a schedule's sale window through catalog's port, identity opens the wallet
    // through payment's, the sales read model keeps its own copy of the schedules it counts.
    expect(await refusals('src/queue/settings.ts', "export { schedules } from '../catalog/schema.js';\n")).toEqual(['boundaries/dependencies']);
    expect(await refusals('src/queue/wiring.ts', "export { schedules } from '../catalog/schema.js';\n")).toEqual(['boundaries/dependencies']);
    expect(await refusals('src/identity/service.ts', "export { wallets } from '../payment/schema.js';\n")).toEqual(['boundaries/dependencies']);
    expect(await refusals('src/events/sales-repository.ts', "export { schedules } from '../catalog/schema.js';\n")).toEqual(['boundaries/dependencies']);
    expect(fences.EXCEPTIONS.map((e: { file: string }) => e.file)).not.toContain('src/queue/settings.ts');
  });

  it('let a workflow import only Temporal, its own contract and parts, and the activity types', async () => {
    const file = 'workflows/booking/reservation.ts';
    expect(await refusals(file, "import { condition } from '@temporalio/workflow';\nimport { holdUpdate } from './reservation-contract.js';\nimport type { BookingActivities } from '../../activities/index.js';\nexport { condition, holdUpdate };\nexport type { BookingActivities };\n")).toEqual([]);
    expect(await refusals(file, "import { payable } from '../../src/booking/domain.js';\nexport { payable };\n")).toContain('@typescript-eslint/no-restricted-imports');
    expect(await refusals(file, "import { refundWorkflowId } from './refund-contract.js';\nexport { refundWorkflowId };\n")).toContain('@typescript-eslint/no-restricted-imports');
    expect(await refusals(file, "import { createActivities } from '../../activities/index.js';\nexport { createActivities };\n")).toContain('@typescript-eslint/no-restricted-imports');
    // Payment's activity interface (payment's own task queue): its type, never its code.
    expect(await refusals(file, "import type { PaymentActivities } from '../../activities/payment.js';\nexport type { PaymentActivities };\n")).toEqual([]);
    expect(await refusals(file, "import { paymentActivities } from '../../activities/payment.js';\nexport { paymentActivities };\n")).toContain('@typescript-eslint/no-restricted-imports');
    expect(await refusals(file, "import { randomUUID } from 'node:crypto';\nexport { randomUUID };\n")).toContain('@typescript-eslint/no-restricted-imports');
  });
});
