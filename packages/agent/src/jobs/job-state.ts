/**
 * Each job's progress on disk (`<state-dir>/jobs/<name>.json`): small JSON written atomically
 * (temp file + rename) after every batch of rows reaches the sink. A crash between the sink
 * write and the state write replays that batch (at-least-once: sink lines carry the row index,
 * so a consumer can drop repeats).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobError } from './job-errors.js';

/** Reads and writes the state files of one state folder. */
export class JobStateStore {
  readonly #dir: string;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, 'jobs');
  }

  /**
   * The saved state of `job`, undefined when there is none. Throws `EF_AGENT_JOB_STATE` when
   * the file cannot be read or is not a JSON object.
   */
  load(job: string): Record<string, unknown> | undefined {
    const path = this.#path(job);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new JobError(
        'EF_AGENT_JOB_STATE',
        `cannot read ${path}`,
        { job, path },
        { cause: err },
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new JobError(
        'EF_AGENT_JOB_STATE',
        `${path} is not JSON`,
        { job, path },
        { cause: err },
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new JobError('EF_AGENT_JOB_STATE', `${path} is not a job state`, { job, path });
    }
    return value as Record<string, unknown>;
  }

  /** Replaces the saved state of `job`. Throws `EF_AGENT_JOB_STATE`. */
  save(job: string, state: Record<string, unknown>): void {
    const path = this.#path(job);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      mkdirSync(this.#dir, { recursive: true });
      writeFileSync(tmp, `${JSON.stringify(state)}\n`);
      renameSync(tmp, path);
    } catch (err) {
      throw new JobError(
        'EF_AGENT_JOB_STATE',
        `cannot write ${path}`,
        { job, path },
        { cause: err },
      );
    }
  }

  #path(job: string): string {
    // Job names are slugs (JobSpecSchema), so they are safe file names.
    return join(this.#dir, `${job}.json`);
  }
}
