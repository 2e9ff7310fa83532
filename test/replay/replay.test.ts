import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Runtime, Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { workflowsPath } from '../../src/main/worker-app.js';
import { encryptedDataConverter } from '../../src/platform/temporal-codec.js';
import { historiesDir } from '../support/histories.js';

/**
 * Replays recorded histories (RECORD_HISTORIES=1 on the booking tests writes them) against the
 * current workflow code: a change that would break running workflows fails here with a
 * DeterminismViolationError instead of in production.
 */
try {
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
} catch {
  /* already installed in this worker process */
}

describe('workflow replay', () => {
  const files = readdirSync(fileURLToPath(historiesDir)).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('replays %s deterministically', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(new URL(file, historiesDir), 'utf8')));
    // Histories recorded by the tests carry payloads encrypted with the default (test) key.
    const dataConverter = encryptedDataConverter(loadConfig({}).DATA_ENCRYPTION_KEY);
    await Worker.runReplayHistory({ workflowsPath, replayName: file, dataConverter }, history);
  });
});
