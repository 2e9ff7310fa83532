import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * scripts/netem.sh (issue 24 item 4): the tiers in network namespaces with a delay between them.
 * It must create its namespaces and remove them, both idempotently, and the delay must really be on
 * the wire: the round trip between two tiers (ping's minimum of 100, answered by the kernel) is
 * measured with 0.25 ms each way (0.5 ms a round trip) and without. The bounds are wide on purpose:
 * this measures the set-up, not the machine. Needs root and iproute2 (CI has both:
 * `scripts/stack.sh install` installs iproute2, ping and the delayer's build).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const tag = Math.random().toString(36).slice(2, 7);
const prefix = `nt${tag}`;
const env = {
  ...process.env,
  NETEM_PREFIX: prefix,
  // A subnet of its own, so a benchmark's layout (10.77.0) on the same machine is left alone.
  NETEM_NET: `10.78.${Math.floor(Math.random() * 250) + 1}`,
  NETEM_STACK_DIR: mkdtempSync(join(tmpdir(), 'netem-test-')),
};
const tiers = ['data', 'work', 'api', 'load', 'sw'].map((t) => `${prefix}-${t}`);

const netem = (...args: string[]) => execFileSync('bash', [`${root}scripts/netem.sh`, ...args], { env, encoding: 'utf8' });
const namespaces = () =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n?.startsWith(`${prefix}-`));
/** The minimum round trip from the load tier to the data tier, in ms. */
const minRtt = () => {
  const out = netem('rtt', 'load', 'data');
  const min = /min ([\d.]+)/.exec(out);
  if (!min) throw new Error(`no round trip in: ${out}`);
  return Number(min[1]);
};

describe.skipIf(process.getuid?.() !== 0)('scripts/netem.sh', () => {
  afterAll(() => {
    netem('down');
    rmSync(env.NETEM_STACK_DIR, { recursive: true, force: true });
  });

  it('creates the tiers, delays what crosses between them, and removes them again', () => {
    netem('up', '0.25ms');
    expect(namespaces().sort()).toEqual([...tiers].sort());
    const delayed = minRtt();
    // Rerunning `up` changes nothing: the same namespaces, still delayed.
    netem('up', '0.25ms');
    expect(namespaces().sort()).toEqual([...tiers].sort());
    expect(minRtt()).toBeGreaterThan(0.4);
    expect(delayed).toBeGreaterThan(0.4);

    netem('delay', '0');
    expect(minRtt()).toBeLessThan(0.2);

    netem('down');
    expect(namespaces()).toEqual([]);
    netem('down'); // idempotent
    expect(namespaces()).toEqual([]);
  });
});
