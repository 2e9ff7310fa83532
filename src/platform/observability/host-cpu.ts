import { cpus } from 'node:os';

/**
 * The share of the machine's CPU that was busy (all cores, every process) since the previous call,
 * 0-1; null on the first call. Read from the kernel's per-core counters (os.cpus(), /proc/stat on
 * Linux): the admission controller uses it to tell idle cores from a path that is merely slow.
 */
export function hostCpuBusy(): () => number | null {
  let last = totals();
  return () => {
    const now = totals();
    const total = now.total - last.total;
    const busy = total > 0 ? 1 - (now.idle - last.idle) / total : null;
    last = now;
    return busy;
  };
}

function totals(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}
