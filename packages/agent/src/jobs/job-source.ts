/**
 * What a job reads from. A run takes a batch, predicts it and then commits how many rows made
 * it to the sink; the rest stays for the next run, so a failed prediction or sink write never
 * loses rows.
 */

/** One input row: its index in the source and its values by column (null = missing). */
export interface JobRow {
  index: number;
  values: Record<string, number | null>;
}

export interface SourceBatch {
  rows: JobRow[];
  /**
   * Consumes the first `done` rows (and the malformed lines before them, or all of the
   * batch's lines when `done` is every row) and saves the position. Returns the malformed
   * lines or messages consumed.
   */
  commit(done: number): { malformed: number };
}

/** Where the logger's structured details go (a pino logger fits). */
export interface JobLogger {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface JobSource {
  /**
   * Up to `maxRows` rows not consumed yet. `features`, when known, are the model's input
   * names: only those columns are passed on, and a row missing a number for one of them is
   * malformed.
   */
  take(maxRows: number, features: readonly string[] | undefined): Promise<SourceBatch>;
  /** Figures for status (position, buffered, dropped). */
  status(): Record<string, unknown>;
  close(): Promise<void>;
}
