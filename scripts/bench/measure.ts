/** The result of timing one operation repeatedly. */
export interface Timing {
  readonly name: string;
  readonly iterations: number;
  readonly opsPerSecond: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p95Us: number;
  readonly p99Us: number;
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/**
 * Runs `fn` for a warm-up, then for about `seconds` (at least `minIterations` times), and
 * reports per-call latency percentiles. Each call is timed on its own so that percentiles mean
 * something; the clock's own cost (~50 ns) is included and is negligible for what we measure.
 */
export async function timeIt(
  name: string,
  fn: () => unknown | Promise<unknown>,
  { seconds = 1, minIterations = 20, warmup = 10 } = {},
): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  while (samples.length < minIterations || process.hrtime.bigint() < deadline) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  const totalUs = Number(process.hrtime.bigint() - start) / 1e3;
  samples.sort((a, b) => a - b);
  return {
    name,
    iterations: samples.length,
    opsPerSecond: samples.length / (totalUs / 1e6),
    meanUs: samples.reduce((a, b) => a + b, 0) / samples.length,
    p50Us: percentile(samples, 0.5),
    p95Us: percentile(samples, 0.95),
    p99Us: percentile(samples, 0.99),
  };
}

export function timingTable(rows: readonly Timing[]): string {
  const f = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  return [
    '| operation | iterations | ops/s | mean µs | p50 µs | p95 µs | p99 µs |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.iterations} | ${r.opsPerSecond.toFixed(0)} | ${f(r.meanUs)} | ${f(r.p50Us)} | ${f(r.p95Us)} | ${f(r.p99Us)} |`,
    ),
  ].join('\n');
}
