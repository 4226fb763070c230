/** Test records and a temp agent database. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAgentDb } from '../../src/state/agent-db.js';
import type { AgentDb } from '../../src/state/agent-db.js';

export const DEVICE = 'press-07';
export const BOOT_A = 'aaaaaaaa-0000-4000-8000-000000000001';
export const BOOT_B = 'bbbbbbbb-0000-4000-8000-000000000002';
export const SHA = 'c'.repeat(64);

/** An `events` record carrying its index in `details.i`. */
export function event(i: number, message = `record ${i}`): Record<string, unknown> {
  return {
    ts: new Date().toISOString(),
    level: 'info',
    code: 'EF_TEST_EVENT',
    message,
    details: { i },
  };
}

/** An `inference` record carrying its index in `count`. */
export function inference(i: number): Record<string, unknown> {
  const ts = new Date().toISOString();
  return {
    model: 'pm',
    version: '1.0.0',
    windowStart: ts,
    windowEnd: ts,
    count: i,
    errors: 0,
    latencyMs: { p50: 1, p95: 2, p99: 3 },
  };
}

/** A deployment status (without device/bootId/seq) carrying its index in `progress.bytes`. */
export function status(i: number): Record<string, unknown> {
  return {
    desiredVersion: 1,
    executionId: 'exec-1',
    model: 'pm',
    version: '1.0.0',
    sha256: SHA,
    state: 'downloading',
    progress: { bytes: i, total: 1_000_000 },
  };
}

/** Temp directories holding agent databases; `cleanup()` closes and removes them all. */
export class TempDbs {
  private readonly dirs: string[] = [];
  private readonly dbs: AgentDb[] = [];

  /** A new directory; the database path in it. */
  path(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ef-outbox-'));
    this.dirs.push(dir);
    return join(dir, 'agent.db');
  }

  open(path: string): AgentDb {
    const db = openAgentDb(path);
    this.dbs.push(db);
    return db;
  }

  cleanup(): void {
    for (const db of this.dbs.splice(0)) if (db.open) db.close();
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}
