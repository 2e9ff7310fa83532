import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Faults on this run's native test stack (scripts/stack.sh, profile "test"): kill -9 a service by its
 * pid file, restart it the way an operator would. Only the native stack can be killed this way.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const stackScript = `${root}/scripts/stack.sh`;
const runDir = () => `${process.env.STACK_DIR ?? `${root}/.stack`}/test/run`;

export type StackService = 'mysql' | 'redis' | 'temporal' | 'kafka' | 'stripe';

export const canKillServices = () => !process.env.TEST_STACK || process.env.TEST_STACK === 'native';

export function servicePid(svc: StackService): number {
  return Number(readFileSync(`${runDir()}/${svc}.pid`, 'utf8').trim());
}

/** kill -9: no shutdown, no flush, exactly as a crash. Waits until the process is gone. */
export async function killService(svc: StackService) {
  const pid = servicePid(svc);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a killed service again: MariaDB and Kafka on their data directories, Redis empty (the test
 * profile never saves it), Temporal on the same SQLite file (restart-one keeps it).
 */
export async function restartService(svc: StackService) {
  // restart-one keeps Temporal's database and localstripe's saved objects.
  const command = svc === 'temporal' || svc === 'stripe' ? 'restart-one' : 'start-one';
  // Asynchronous on purpose: the API under test runs in this process and must keep answering.
  await promisify(execFile)('bash', [stackScript, command, svc], { env: { ...process.env, STACK_PROFILE: 'test' }, timeout: 240_000 });
}

/** Starts whatever is not running (used after a failed test so the next files find a whole stack). */
export function ensureStackRunning() {
  execFileSync('bash', [stackScript, 'start'], { stdio: 'ignore', env: { ...process.env, STACK_PROFILE: 'test' }, timeout: 300_000 });
}
