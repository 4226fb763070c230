/**
 * The install journal in SQLite: one row per execution (desired version x model) whose `step`
 * is written **before** the step is taken, plus an append-only history of every step, removal
 * and fallback. After a power cut the converger reads it to resume or roll back (DESIGN
 * section 8).
 */
import type { DesiredModel, DeviceDeploymentState } from '@edgefleet/protocol';
import type { AgentDb } from '../state/agent-db.js';

/** Where an execution is (or is about to be). */
export type ExecutionStep =
  | 'pending'
  | 'downloading'
  | 'extracting'
  | 'preparing'
  | 'switching'
  | 'activating'
  | 'probation'
  | 'rolling-back'
  | 'healthy'
  | 'failed'
  | 'rolled-back';

/** Steps after which nothing more happens to an execution. */
export const FINAL_STEPS: ReadonlySet<ExecutionStep> = new Set([
  'healthy',
  'failed',
  'rolled-back',
]);

/** One execution as journaled. */
export interface ExecutionRecord {
  executionId: string;
  desiredVersion: number;
  model: string;
  version: string;
  sha256: string;
  bytes: number;
  url: string | undefined;
  step: ExecutionStep;
  /** The last deployment state reported for it ([P-ST-2]), if any. */
  reported: DeviceDeploymentState | undefined;
  /** The bundle that served before the switch (what a rollback returns to). */
  previousSha256: string | undefined;
  previousVersion: string | undefined;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  probationStartedAt: string | undefined;
  /** Agent restarts seen while this execution was in probation. */
  probationRestarts: number;
  createdAt: string;
  updatedAt: string;
}

/** Fields a step change may set along with the step. */
export interface StepUpdate {
  previousSha256?: string | null;
  previousVersion?: string | null;
  error?: { code: string; message: string };
  probationStartedAt?: string;
}

/** One history row. */
export interface JournalEntry {
  id: number;
  executionId: string | undefined;
  model: string;
  step: string;
  detail: string | undefined;
  at: string;
}

interface RawExecution {
  execution_id: string;
  desired_version: number;
  model: string;
  version: string;
  sha256: string;
  bytes: number;
  url: string | null;
  step: ExecutionStep;
  reported: DeviceDeploymentState | null;
  previous_sha256: string | null;
  previous_version: string | null;
  error_code: string | null;
  error_message: string | null;
  probation_started_at: string | null;
  probation_restarts: number;
  created_at: string;
  updated_at: string;
}

const HISTORY_KEEP = 5000;

/**
 * The execution id of `model` under desired version `version` ([P-ST-2]: a new desired version
 * starts a new execution).
 *
 * @example
 * executionIdOf(42, 'pump-anomaly'); // '42:pump-anomaly'
 */
export function executionIdOf(desiredVersion: number, model: string): string {
  return `${desiredVersion}:${model}`;
}

function fromRaw(r: RawExecution): ExecutionRecord {
  return {
    executionId: r.execution_id,
    desiredVersion: r.desired_version,
    model: r.model,
    version: r.version,
    sha256: r.sha256,
    bytes: r.bytes,
    url: r.url ?? undefined,
    step: r.step,
    reported: r.reported ?? undefined,
    previousSha256: r.previous_sha256 ?? undefined,
    previousVersion: r.previous_version ?? undefined,
    errorCode: r.error_code ?? undefined,
    errorMessage: r.error_message ?? undefined,
    probationStartedAt: r.probation_started_at ?? undefined,
    probationRestarts: r.probation_restarts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * Creates the journal's tables (idempotent).
 *
 * @example
 * ensureJournalTables(db);
 */
export function ensureJournalTables(db: AgentDb): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS converge_executions (
      execution_id TEXT PRIMARY KEY,
      desired_version INTEGER NOT NULL,
      model TEXT NOT NULL,
      version TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      bytes INTEGER NOT NULL,
      url TEXT,
      step TEXT NOT NULL,
      reported TEXT,
      previous_sha256 TEXT,
      previous_version TEXT,
      error_code TEXT,
      error_message TEXT,
      probation_started_at TEXT,
      probation_restarts INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS converge_executions_step ON converge_executions (step);
    CREATE TABLE IF NOT EXISTS converge_journal (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      execution_id TEXT,
      model TEXT NOT NULL,
      step TEXT NOT NULL,
      detail TEXT,
      at TEXT NOT NULL
    ) STRICT;
  `);
}

/** Reads and writes the install journal. All writes are synchronous SQLite transactions. */
export class ExecutionJournal {
  constructor(private readonly db: AgentDb) {
    ensureJournalTables(db);
  }

  /**
   * The execution of `model` under `desiredVersion`, created at `pending` when new.
   *
   * @example
   * const exec = journal.open(42, desiredModel);
   */
  open(desiredVersion: number, model: DesiredModel): ExecutionRecord {
    const id = executionIdOf(desiredVersion, model.name);
    const existing = this.get(id);
    if (existing) return existing;
    const now = new Date().toISOString();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO converge_executions (execution_id, desired_version, model, version, sha256, bytes, url, step, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(
          id,
          desiredVersion,
          model.name,
          model.version,
          model.sha256,
          model.bytes,
          model.url ?? null,
          now,
          now,
        );
      this.history(
        id,
        model.name,
        'pending',
        `desired ${desiredVersion}: ${model.version} ${model.sha256}`,
      );
    })();
    return this.get(id) as ExecutionRecord;
  }

  get(executionId: string): ExecutionRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM converge_executions WHERE execution_id = ?')
      .get(executionId) as RawExecution | undefined;
    return row ? fromRaw(row) : undefined;
  }

  /** Executions not in a final step, oldest first. */
  active(): ExecutionRecord[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM converge_executions WHERE step NOT IN ('healthy', 'failed', 'rolled-back') ORDER BY created_at, rowid`,
      )
      .all() as RawExecution[];
    return rows.map(fromRaw);
  }

  /** The most recent executions, newest first. */
  recent(limit = 50): ExecutionRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM converge_executions ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(limit) as RawExecution[];
    return rows.map(fromRaw);
  }

  /** The newest execution of `model` that installed `sha256`, if any. */
  latestFor(model: string, sha256: string): ExecutionRecord | undefined {
    const row = this.db
      .prepare(
        'SELECT * FROM converge_executions WHERE model = ? AND sha256 = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
      )
      .get(model, sha256) as RawExecution | undefined;
    return row ? fromRaw(row) : undefined;
  }

  /**
   * Records that `executionId` is about to take (or has reached) `step`, with a history row.
   *
   * @example
   * journal.setStep(exec.executionId, 'extracting');
   */
  setStep(
    executionId: string,
    step: ExecutionStep,
    update: StepUpdate = {},
    detail?: string,
  ): ExecutionRecord {
    const now = new Date().toISOString();
    const sets = ['step = @step', 'updated_at = @now'];
    const params: Record<string, unknown> = { id: executionId, step, now };
    if (update.previousSha256 !== undefined) {
      sets.push('previous_sha256 = @previousSha256', 'previous_version = @previousVersion');
      params['previousSha256'] = update.previousSha256;
      params['previousVersion'] = update.previousVersion ?? null;
    }
    if (update.error) {
      sets.push('error_code = @errorCode', 'error_message = @errorMessage');
      params['errorCode'] = update.error.code;
      params['errorMessage'] = update.error.message;
    }
    if (update.probationStartedAt !== undefined) {
      sets.push('probation_started_at = @probationStartedAt');
      params['probationStartedAt'] = update.probationStartedAt;
    }
    this.db.transaction(() => {
      const info = this.db
        .prepare(`UPDATE converge_executions SET ${sets.join(', ')} WHERE execution_id = @id`)
        .run(params);
      if (info.changes === 0) return;
      const model = (
        this.db
          .prepare('SELECT model FROM converge_executions WHERE execution_id = ?')
          .get(executionId) as {
          model: string;
        }
      ).model;
      this.history(
        executionId,
        model,
        step,
        detail ?? (update.error ? `${update.error.code}: ${update.error.message}` : undefined),
      );
    })();
    return this.get(executionId) as ExecutionRecord;
  }

  /** Records the deployment state last reported for `executionId`. */
  setReported(executionId: string, state: DeviceDeploymentState): void {
    this.db
      .prepare('UPDATE converge_executions SET reported = ?, updated_at = ? WHERE execution_id = ?')
      .run(state, new Date().toISOString(), executionId);
  }

  /** Counts one more agent restart during probation; returns the new count. */
  countRestart(executionId: string): number {
    this.db
      .prepare(
        'UPDATE converge_executions SET probation_restarts = probation_restarts + 1, updated_at = ? WHERE execution_id = ?',
      )
      .run(new Date().toISOString(), executionId);
    return this.get(executionId)?.probationRestarts ?? 0;
  }

  /**
   * Appends a history row not tied to a step change (a removal, a startup fallback).
   *
   * @example
   * journal.note('pump-anomaly', 'removing', 'not in desired 43');
   */
  note(model: string, step: string, detail?: string, executionId?: string): void {
    this.history(executionId, model, step, detail);
  }

  /** The newest history rows, newest first. */
  entries(limit = 100): JournalEntry[] {
    const rows = this.db
      .prepare(
        'SELECT id, execution_id, model, step, detail, at FROM converge_journal ORDER BY id DESC LIMIT ?',
      )
      .all(limit) as {
      id: number;
      execution_id: string | null;
      model: string;
      step: string;
      detail: string | null;
      at: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      executionId: r.execution_id ?? undefined,
      model: r.model,
      step: r.step,
      detail: r.detail ?? undefined,
      at: r.at,
    }));
  }

  private history(
    executionId: string | undefined,
    model: string,
    step: string,
    detail: string | undefined,
  ): void {
    const info = this.db
      .prepare(
        'INSERT INTO converge_journal (execution_id, model, step, detail, at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(executionId ?? null, model, step, detail ?? null, new Date().toISOString());
    // Bounded: the history is for inspection, the executions table is what recovery reads.
    const id = Number(info.lastInsertRowid);
    if (id % 500 === 0)
      this.db.prepare('DELETE FROM converge_journal WHERE id <= ?').run(id - HISTORY_KEEP);
  }
}
