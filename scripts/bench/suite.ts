/** One benchmark suite: a section of docs/benchmarks.md. */
export interface BenchSuite {
  readonly id: string;
  readonly title: string;
  /** Returns the section's markdown body (tables and a sentence on what was measured). */
  readonly run: (log: (line: string) => void) => Promise<string>;
}
