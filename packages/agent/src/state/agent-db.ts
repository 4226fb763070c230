/**
 * The agent's one SQLite file (`<state-dir>/agent.db`). Each module owns its tables and creates
 * them with its own `ensure...Tables(db)` (idempotent `CREATE TABLE IF NOT EXISTS`), so modules
 * stay independent while sharing one WAL journal and one fsync policy.
 */
import Database from 'better-sqlite3';

/** An open agent database (better-sqlite3, synchronous API). */
export type AgentDb = Database.Database;

export interface AgentDbOptions {
  /**
   * `full` survives power loss at the cost of an fsync per transaction; `normal` (default)
   * survives a killed process (SIGKILL) and loses at most the last transactions on power loss.
   */
  readonly synchronous?: 'normal' | 'full';
}

/**
 * Opens (or creates) the agent database in WAL mode.
 *
 * @example
 * const db = openAgentDb('/var/lib/edgefleet/agent.db');
 */
export function openAgentDb(path: string, options: AgentDbOptions = {}): AgentDb {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
