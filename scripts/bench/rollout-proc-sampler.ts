/**
 * CPU time and resident memory of a Linux process, read from /proc/<pid>/stat and
 * /proc/<pid>/status, sampled on a timer so a benchmark can report average and peak CPU % and
 * peak RSS of a process it does not run in (the hub child) or of itself (the fleet).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// Clock ticks per second of utime/stime; 100 on every Linux we run on, asked once to be sure.
const CLK_TCK = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** One reading of a process. */
export interface ProcReading {
  /** performance-style wall clock, ms. */
  atMs: number;
  /** user + system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
  /** The kernel's high-water mark of RSS (VmHWM). */
  peakRssBytes: number;
}

/**
 * Reads `/proc/<pid>` now; undefined once the process is gone.
 *
 * @example
 * readProc(process.pid)?.cpuSeconds;
 */
export function readProc(pid: number | 'self'): ProcReading | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after it start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return {
      atMs: performance.now(),
      cpuSeconds: (utime + stime) / CLK_TCK,
      rssBytes: kb('VmRSS'),
      peakRssBytes: kb('VmHWM'),
    };
  } catch {
    return undefined;
  }
}

/** CPU and memory of a process over an interval. */
export interface ProcFigures {
  seconds: number;
  cpuSeconds: number;
  /** CPU % of one core over the interval. */
  avgCpuPct: number;
  /** Highest CPU % over one sampling period. */
  peakCpuPct: number;
  avgRssBytes: number;
  /** Highest sampled RSS in the interval. */
  peakRssBytes: number;
  /** The kernel's lifetime RSS high-water mark at the end (includes start-up). */
  lifetimePeakRssBytes: number;
}

/**
 * Samples a process every `periodMs`; `mark()` starts an interval, `figures()` summarizes the
 * samples since the last mark.
 *
 * @example
 * const s = new ProcSampler(child.pid!, 500); s.start(); s.mark();
 * await work(); const f = s.figures(); s.stop();
 */
export class ProcSampler {
  private samples: ProcReading[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number | 'self',
    private readonly periodMs = 500,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Forgets earlier samples: the next `figures()` covers from now on. */
  mark(): void {
    this.samples = [];
    this.sample();
  }

  figures(): ProcFigures {
    this.sample();
    const s = this.samples;
    const first = s[0];
    const last = s.at(-1);
    if (first === undefined || last === undefined || s.length < 2) {
      throw new Error(`no /proc samples of process ${this.pid}`);
    }
    const seconds = (last.atMs - first.atMs) / 1000;
    const cpuSeconds = last.cpuSeconds - first.cpuSeconds;
    let peakCpuPct = 0;
    for (let i = 1; i < s.length; i++) {
      const a = s[i - 1]!;
      const b = s[i]!;
      const dt = (b.atMs - a.atMs) / 1000;
      // Periods much shorter than the tick make noisy percentages; skip them.
      if (dt >= (this.periodMs / 1000) * 0.5)
        peakCpuPct = Math.max(peakCpuPct, ((b.cpuSeconds - a.cpuSeconds) / dt) * 100);
    }
    return {
      seconds,
      cpuSeconds,
      avgCpuPct: seconds > 0 ? (cpuSeconds / seconds) * 100 : 0,
      peakCpuPct,
      avgRssBytes: s.reduce((sum, r) => sum + r.rssBytes, 0) / s.length,
      peakRssBytes: Math.max(...s.map((r) => r.rssBytes)),
      lifetimePeakRssBytes: last.peakRssBytes,
    };
  }

  private sample(): void {
    const r = readProc(this.pid);
    if (r !== undefined) this.samples.push(r);
  }
}
