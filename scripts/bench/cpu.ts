/**
 * Process CPU for the benchmarks: user + system time of named processes from /proc/<pid>/stat
 * (utime and stime, in clock ticks), so a phase can be reported as CPU ms per hold, per pay, per
 * empty Update-with-Start for the API, the worker and the Temporal server. Linux only; a process
 * that is gone (or was never found) reads as NaN and prints as "-".
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

let clockTicks: number | undefined;
/** `getconf CLK_TCK` (normally 100). */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of one process in ms (all its threads), NaN when it cannot be read. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    const ticks = Number(rest[11]) + Number(rest[12]);
    return (ticks * 1000) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/**
 * CPU of a process and everything under it, in ms: for servers that fork a process per connection
 * (PostgreSQL). The root's cutime/cstime hold the children it has already reaped; the live ones are
 * read one by one.
 */
export function processTreeCpuMs(root: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone meanwhile */
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  let reaped = 0;
  try {
    const rest = readFileSync(`/proc/${root}/stat`, 'utf8');
    const f = rest.slice(rest.lastIndexOf(')') + 2).split(' ');
    reaped = ((Number(f[13]) + Number(f[14])) * 1000) / ticksPerSecond(); // cutime + cstime
  } catch {
    return NaN;
  }
  return tree.reduce((t, pid) => t + (Number.isFinite(processCpuMs(pid)) ? processCpuMs(pid) : 0), reaped);
}

/** CPU ms per named process over one phase. */
export class CpuDelta {
  constructor(
    readonly ms: Record<string, number>,
    readonly wallMs: number,
  ) {}

  /** Cores used on average by a process over the phase (1 = one core busy all the time). */
  cores(name: string): number {
    return (this.ms[name] ?? NaN) / this.wallMs;
  }

  /** Sum over the given processes (all when omitted), ignoring missing ones. */
  total(names = Object.keys(this.ms)): number {
    return names.reduce((t, n) => t + (Number.isFinite(this.ms[n]) ? this.ms[n]! : 0), 0);
  }

  /** `api 3.2, worker 4.1, temporal 12.0` (ms per op) for `ops` operations. */
  perOp(ops: number, names = Object.keys(this.ms)): string {
    const f = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : (v / ops).toFixed(1));
    return names.map((n) => `${n} ${f(this.ms[n])}`).join(', ');
  }

  /** `api 0.45, worker 0.60 cores` */
  utilisation(names = Object.keys(this.ms)): string {
    return names.map((n) => `${n} ${Number.isFinite(this.cores(n)) ? this.cores(n).toFixed(2) : '-'}`).join(', ');
  }
}

/** Samples the CPU of a set of named pids; `mark()` starts a phase, calling its result ends it. */
export class CpuSampler {
  readonly pids: Record<string, number>;

  constructor(
    pids: Record<string, number | undefined>,
    /** Names read as a whole process tree (processTreeCpuMs). */
    private readonly trees: string[] = [],
  ) {
    this.pids = Object.fromEntries(Object.entries(pids).filter(([, p]) => p !== undefined && p > 0)) as Record<string, number>;
  }

  get names(): string[] {
    return Object.keys(this.pids);
  }

  read(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.pids).map(([n, p]) => [n, this.trees.includes(n) ? processTreeCpuMs(p) : processCpuMs(p)]));
  }

  mark(): () => CpuDelta {
    const before = this.read();
    const t = performance.now();
    return () => {
      const after = this.read();
      return new CpuDelta(Object.fromEntries(Object.keys(before).map((n) => [n, after[n]! - before[n]!])), performance.now() - t);
    };
  }

  describe(): string {
    return Object.entries(this.pids)
      .map(([n, p]) => `${n}=${p}`)
      .join(' ');
  }
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
};

const readPid = (file: string) => {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
};

/** Does this `temporal server start-dev` command line listen on `port` (7233 when --port is absent)? */
function devServerOnPort(args: string[], port: number): boolean {
  if (!args.includes('start-dev')) return false;
  const i = args.findIndex((a) => a === '--port' || a === '-p' || a.startsWith('--port='));
  const p = i < 0 ? 7233 : Number(args[i]!.includes('=') ? args[i]!.split('=')[1] : args[i + 1]);
  return p === port;
}

/**
 * The pid of the Temporal dev server serving `address`: the stack's pid file when its command line
 * matches the port, else any `temporal server start-dev` process listening on that port.
 */
export function findTemporalPid(address: string, runDir: string): number | undefined {
  const port = Number(address.split(':').pop());
  const fromFile = readPid(join(runDir, 'temporal.pid'));
  if (fromFile && devServerOnPort(cmdline(fromFile), port)) return fromFile;
  // TEMPORAL_MODE=server: the stack's Temporal server binary (scripts/temporal-server.sh).
  if (fromFile && cmdline(fromFile).includes('--config-file')) return fromFile;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = cmdline(Number(entry));
    if (args.some((a) => a.endsWith('temporal')) && args.includes('server') && devServerOnPort(args, port)) return Number(entry);
  }
  return undefined;
}

/** The stack's MySQL, Redis, (server mode) PostgreSQL and payment emulator pids (from `.stack/<profile>/run`), when they run. */
export function stackPids(runDir: string): { mysql?: number; redis?: number; postgres?: number; stripe?: number } {
  return { mysql: readPid(join(runDir, 'mysql.pid')), redis: readPid(join(runDir, 'redis.pid')), postgres: postgresPid(runDir), stripe: readPid(join(runDir, 'stripe.pid')) };
}

/** The postmaster: postgres.pid holds the `runuser` wrapper's pid, whose child is the server. */
function postgresPid(runDir: string): number | undefined {
  const wrapper = readPid(join(runDir, 'postgres.pid'));
  if (!wrapper) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === wrapper) return Number(entry);
    } catch {
      /* gone */
    }
  }
  return wrapper;
}

/** The `--dynamic-config-value` settings a Temporal dev server was started with (to print beside its numbers). */
export function temporalDynamicConfig(pid: number | undefined): string[] {
  if (!pid) return [];
  const args = cmdline(pid);
  return args.flatMap((a, i) => (a === '--dynamic-config-value' && args[i + 1] ? [args[i + 1]!] : a.startsWith('--dynamic-config-value=') ? [a.split('=').slice(1).join('=')] : []));
}

/** One line about the Temporal server's queue-processor tuning (scripts/stack.sh sets it). */
export function describeTemporalTuning(pid: number | undefined): string {
  if (!pid) return 'Temporal server process not found (CPU not sampled)';
  const poll = temporalDynamicConfig(pid).find((v) => v.startsWith('history.transferProcessorMaxPollRPS='));
  return `Temporal server pid ${pid}: ${poll ? poll : 'history.*ProcessorMaxPollRPS at the default 20 (not tuned)'}`;
}

/** A sampler over the run's children, the Temporal server, the benchmark itself and the stack's services; printed once. */
export function sampleProcesses(children: { pids(): Record<string, number | undefined> }, temporalAddress: string, runDir: string): CpuSampler {
  const cpu = new CpuSampler({ ...children.pids(), temporal: findTemporalPid(temporalAddress, runDir), bench: process.pid, ...stackPids(runDir) }, ['postgres']);
  console.log(`processes: ${cpu.describe()}`);
  console.log(describeTemporalTuning(cpu.pids.temporal));
  return cpu;
}
