/**
 * The agent process's CPU share between two samples, as the health record wants it ([P-TL-1]):
 * 0..1 of all cores, so 1 means every core busy with this process.
 */
import { cpus } from 'node:os';

/**
 * Measures CPU time used by this process (user + system, `process.cpuUsage`) against wall time
 * elapsed times the number of cores.
 *
 * @example
 * const cpu = new CpuSampler();
 * // ... 30 s later
 * cpu.sample(); // 0.07: 7% of the machine since the previous sample
 */
export class CpuSampler {
  readonly #cores: number;
  #lastUsage: NodeJS.CpuUsage;
  #lastWall: bigint;

  constructor(cores: number = cpus().length) {
    // os.cpus() is empty on some restricted platforms; one core keeps the share defined.
    this.#cores = Number.isInteger(cores) && cores > 0 ? cores : 1;
    this.#lastUsage = process.cpuUsage();
    this.#lastWall = process.hrtime.bigint();
  }

  /** The share since the previous sample (or construction), clamped to 0..1. */
  sample(): number {
    const usage = process.cpuUsage(this.#lastUsage);
    const wall = process.hrtime.bigint();
    const wallMicros = Number(wall - this.#lastWall) / 1000;
    this.#lastUsage = process.cpuUsage();
    this.#lastWall = wall;
    if (!(wallMicros > 0)) return 0;
    const share = (usage.user + usage.system) / (wallMicros * this.#cores);
    // Clock granularity can push a busy sample a hair over 1.
    return Math.min(1, Math.max(0, share));
  }
}
