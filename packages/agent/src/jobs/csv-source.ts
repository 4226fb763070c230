/**
 * A CSV file that grows (a sensor log): each run reads the complete lines appended since the
 * last one. The position (byte offset, file identity, the bytes just before the offset, header,
 * next row index) is saved after every batch reaches the sink. A partial last line is left until
 * its newline arrives. A file that was replaced (other inode), truncated, or truncated and
 * rewritten (copytruncate rotation: the bytes before the offset differ) is read again from the
 * start.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { cellValue, splitCsvLine } from './csv-line.js';
import { JobError } from './job-errors.js';
import type { JobLogger, JobRow, JobSource, SourceBatch } from './job-source.js';
import type { JobStateStore } from './job-state.js';

/** Bytes read per batch at most, so also the longest line kept (longer ones are malformed). */
export const DEFAULT_CSV_READ_BYTES = 1024 * 1024;

interface CsvPosition {
  offset: number;
  nextIndex: number;
  /** Inside an over-long line: skip to the next newline. */
  skipping: boolean;
}

interface CsvState extends CsvPosition {
  kind: 'csv';
  path: string;
  dev: number;
  ino: number;
  /** Base64 of up to {@link TAIL_BYTES} bytes before `offset`, to notice a rewritten file. */
  tail: string;
  header: string[] | undefined;
  malformed: number;
}

const TAIL_BYTES = 32;

/** One line of a batch and the position after it. */
interface Entry {
  row: JobRow | undefined;
  bad: boolean;
  after: CsvPosition;
}

export class CsvSource implements JobSource {
  readonly #job: string;
  readonly #path: string;
  readonly #store: JobStateStore;
  readonly #logger: JobLogger;
  readonly #maxBytes: number;
  #state: CsvState;
  #saved = '';

  constructor(
    job: string,
    path: string,
    store: JobStateStore,
    logger: JobLogger,
    maxBytes = DEFAULT_CSV_READ_BYTES,
  ) {
    this.#job = job;
    this.#path = path;
    this.#store = store;
    this.#logger = logger;
    this.#maxBytes = maxBytes;
    this.#state = this.#load();
  }

  status(): Record<string, unknown> {
    const { offset, nextIndex, malformed } = this.#state;
    return { path: this.#path, offset, nextIndex, malformed };
  }

  async close(): Promise<void> {}

  async take(maxRows: number, features: readonly string[] | undefined): Promise<SourceBatch> {
    let fh: FileHandle;
    try {
      fh = await open(this.#path, 'r');
    } catch (err) {
      // A log that does not exist yet is not an error: the job waits for it.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyBatch();
      throw this.#sourceError(err);
    }
    try {
      const stat = await fh.stat();
      const s = this.#state;
      if (
        s.dev !== stat.dev ||
        s.ino !== stat.ino ||
        stat.size < s.offset ||
        !(await sameTail(fh, s))
      ) {
        if (s.offset > 0) {
          this.#logger.info(
            { job: this.#job, path: this.#path, offset: s.offset, size: stat.size },
            'the job source was replaced or truncated; reading it from the start',
          );
        }
        this.#state = {
          ...fresh(this.#path),
          dev: stat.dev,
          ino: stat.ino,
          malformed: s.malformed,
        };
      }
      if (this.#state.header === undefined && !(await this.#readHeader(fh))) return emptyBatch();
      const columns = this.#columns(features);
      const chunk = await readAt(
        fh,
        this.#state.offset,
        Math.min(this.#maxBytes, stat.size - this.#state.offset),
      );
      return this.#batch(this.#entries(chunk, maxRows, columns), chunk);
    } catch (err) {
      throw err instanceof JobError ? err : this.#sourceError(err);
    } finally {
      await fh.close();
    }
  }

  /** Reads the first line as the header; false while it is not complete yet. */
  async #readHeader(fh: FileHandle): Promise<boolean> {
    const chunk = await readAt(fh, 0, this.#maxBytes);
    const nl = chunk.indexOf(10);
    if (nl < 0) {
      if (chunk.length < this.#maxBytes) return false;
      throw this.#headerError(
        `the header line of ${this.#path} is longer than ${this.#maxBytes} bytes`,
      );
    }
    const cells = splitCsvLine(chunk.toString('utf8', 0, nl).replace(/\r$/, ''));
    const header = cells?.map((c) => c.trim());
    if (
      header === undefined ||
      header.some((h) => h === '') ||
      new Set(header).size !== header.length
    ) {
      throw this.#headerError(
        `the header of ${this.#path} is malformed, has an empty or a repeated column`,
      );
    }
    this.#state.header = header;
    this.#state.offset = nl + 1;
    this.#state.tail = chunk.subarray(Math.max(0, nl + 1 - TAIL_BYTES), nl + 1).toString('base64');
    return true;
  }

  /** The columns passed on, by header position. */
  #columns(features: readonly string[] | undefined): { name: string; at: number }[] {
    const header = this.#state.header ?? [];
    if (features === undefined) return header.map((name, at) => ({ name, at }));
    const missing = features.filter((f) => !header.includes(f));
    if (missing.length > 0) {
      throw this.#headerError(
        `the header of ${this.#path} lacks the model's features ${missing.join(', ')}`,
        {
          missing,
        },
      );
    }
    return features.map((name) => ({ name, at: header.indexOf(name) }));
  }

  #entries(chunk: Buffer, maxRows: number, columns: { name: string; at: number }[]): Entry[] {
    const width = this.#state.header?.length ?? 0;
    const entries: Entry[] = [];
    let { offset, nextIndex, skipping } = this.#state;
    const base = offset;
    let pos = 0;
    let rows = 0;
    while (rows < maxRows) {
      const nl = chunk.indexOf(10, pos);
      if (nl < 0) {
        // A chunk with no newline at all is one line longer than a run may read: drop it.
        if (pos === 0 && chunk.length >= this.#maxBytes) {
          offset = base + chunk.length;
          entries.push({
            row: undefined,
            bad: !skipping,
            after: { offset, nextIndex: nextIndex + (skipping ? 0 : 1), skipping: true },
          });
        }
        break;
      }
      const line = chunk.toString('utf8', pos, nl).replace(/\r$/, '');
      pos = nl + 1;
      offset = base + pos;
      if (skipping) {
        // The tail of an over-long line, already counted as malformed.
        skipping = false;
        entries.push({ row: undefined, bad: false, after: { offset, nextIndex, skipping } });
        continue;
      }
      if (line.trim() === '') {
        entries.push({ row: undefined, bad: false, after: { offset, nextIndex, skipping } });
        continue;
      }
      const row = parseRow(line, width, columns, nextIndex);
      nextIndex++;
      if (row !== undefined) rows++;
      entries.push({ row, bad: row === undefined, after: { offset, nextIndex, skipping } });
    }
    return entries;
  }

  #batch(entries: Entry[], chunk: Buffer): SourceBatch {
    const base = this.#state.offset;
    const before = Buffer.from(this.#state.tail, 'base64');
    const rowAt: number[] = [];
    entries.forEach((e, i) => {
      if (e.row !== undefined) rowAt.push(i);
    });
    return {
      rows: rowAt.map((i) => entries[i]?.row as JobRow),
      commit: (done) => {
        const cut = done < rowAt.length ? (rowAt[done] as number) : entries.length;
        const malformed = entries.slice(0, cut).filter((e) => e.bad).length;
        const after = entries[cut - 1]?.after;
        if (after !== undefined) {
          const upTo = Buffer.concat([before, chunk.subarray(0, after.offset - base)]);
          this.#state = {
            ...this.#state,
            ...after,
            tail: upTo.subarray(-TAIL_BYTES).toString('base64'),
          };
        }
        this.#state.malformed += malformed;
        this.#save();
        return { malformed };
      },
    };
  }

  /** Saves the position when it changed (a run with nothing new writes nothing). */
  #save(): void {
    const json = JSON.stringify(this.#state);
    if (json === this.#saved) return;
    this.#store.save(this.#job, { ...this.#state });
    this.#saved = json;
  }

  #load(): CsvState {
    let saved: Record<string, unknown> | undefined;
    try {
      saved = this.#store.load(this.#job);
    } catch (err) {
      this.#logger.warn(
        { job: this.#job, err },
        'the job state is damaged; reading the source from the start',
      );
    }
    if (saved !== undefined && isCsvState(saved) && saved.path === this.#path) {
      this.#saved = JSON.stringify(saved);
      return saved;
    }
    return fresh(this.#path);
  }

  #headerError(message: string, details: Record<string, unknown> = {}): JobError {
    return new JobError('EF_AGENT_JOB_HEADER', message, {
      job: this.#job,
      path: this.#path,
      ...details,
    });
  }

  #sourceError(err: unknown): JobError {
    return new JobError(
      'EF_AGENT_JOB_SOURCE',
      `cannot read ${this.#path}`,
      { job: this.#job, path: this.#path },
      {
        cause: err,
      },
    );
  }
}

function fresh(path: string): CsvState {
  return {
    kind: 'csv',
    path,
    dev: -1,
    ino: -1,
    tail: '',
    offset: 0,
    nextIndex: 0,
    skipping: false,
    header: undefined,
    malformed: 0,
  };
}

function emptyBatch(): SourceBatch {
  return { rows: [], commit: () => ({ malformed: 0 }) };
}

/** The bytes before the saved offset are still the ones read then. */
async function sameTail(fh: FileHandle, s: CsvState): Promise<boolean> {
  const tail = Buffer.from(s.tail, 'base64');
  if (tail.length === 0) return true;
  const now = await readAt(fh, s.offset - tail.length, tail.length);
  return now.equals(tail);
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  if (length <= 0) return Buffer.alloc(0);
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await fh.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** A data line as a row, or undefined when malformed (wrong cell count, not a number). */
function parseRow(
  line: string,
  width: number,
  columns: { name: string; at: number }[],
  index: number,
): JobRow | undefined {
  const cells = splitCsvLine(line);
  if (cells === undefined || cells.length !== width) return undefined;
  const values: Record<string, number | null> = {};
  for (const { name, at } of columns) {
    const value = cellValue(cells[at] as string);
    if (value === undefined) return undefined;
    values[name] = value;
  }
  return { index, values };
}

function isCsvState(s: Record<string, unknown>): s is Record<string, unknown> & CsvState {
  const count = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  return (
    s['kind'] === 'csv' &&
    typeof s['path'] === 'string' &&
    typeof s['dev'] === 'number' &&
    typeof s['ino'] === 'number' &&
    typeof s['tail'] === 'string' &&
    count(s['offset']) &&
    count(s['nextIndex']) &&
    count(s['malformed']) &&
    typeof s['skipping'] === 'boolean' &&
    (s['header'] === undefined ||
      (Array.isArray(s['header']) && s['header'].every((h) => typeof h === 'string')))
  );
}
