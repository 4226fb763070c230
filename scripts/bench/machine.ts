import { cpus, freemem, platform, release, totalmem, arch } from 'node:os';

/** A one-paragraph description of the machine a benchmark ran on, for docs/benchmarks.md. */
export function describeMachine(): string {
  const cpu = cpus();
  const model = cpu[0]?.model.trim() ?? 'unknown CPU';
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  return [
    `${cpu.length} x ${model}`,
    `${gib(totalmem())} memory (${gib(freemem())} free at start)`,
    `${platform()} ${release()} ${arch()}`,
    `Node.js ${process.versions.node}`,
  ].join('; ');
}
