import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/outbox/outbox.js';
import { openAgentDb } from '../../src/state/agent-db.js';
import type { AgentDb } from '../../src/state/agent-db.js';
import { BOOT_A, BOOT_B, DEVICE, inference } from '../outbox/records.js';

describe('openAgentDb locking', () => {
  const dirs: string[] = [];
  const dbs: Database.Database[] = [];
  const path = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-agent-db-'));
    dirs.push(dir);
    return join(dir, 'agent.db');
  };
  const open = (file: string, locking?: 'normal' | 'exclusive'): AgentDb => {
    const db = openAgentDb(file, locking === undefined ? {} : { locking });
    dbs.push(db);
    return db;
  };
  /** A second connection that gives up at once instead of waiting for a lock. */
  const peek = (file: string): Database.Database => {
    const db = new Database(file, { timeout: 0 });
    dbs.push(db);
    return db;
  };
  const busyCode = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return undefined;
  };

  afterEach(() => {
    for (const db of dbs.splice(0)) if (db.open) db.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('lets another connection read while the agent has the file open (default)', () => {
    const file = path();
    const db = open(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('locking_mode', { simple: true })).toBe('normal');
    new Outbox(db, { deviceId: DEVICE, bootId: BOOT_A }).append('inference', inference(1));
    const reader = peek(file);
    expect(reader.prepare('SELECT COUNT(*) FROM outbox_records_inference').pluck().get()).toBe(1);
  });

  it('keeps other connections out while an exclusive connection is open, and not after', () => {
    const file = path();
    const db = open(file, 'exclusive');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('locking_mode', { simple: true })).toBe('exclusive');
    const outbox = new Outbox(db, { deviceId: DEVICE, bootId: BOOT_A });
    outbox.appendMany(
      'inference',
      Array.from({ length: 10 }, (_, i) => inference(i)),
    );
    outbox.append('inference', inference(10));
    const intruder = peek(file);
    expect(busyCode(() => intruder.prepare('SELECT 1 FROM sqlite_master').get())).toBe(
      'SQLITE_BUSY',
    );
    db.close();
    // Every append committed before the close is there for the next process.
    const again = new Outbox(open(file, 'exclusive'), { deviceId: DEVICE, bootId: BOOT_B });
    expect(again.stats().byStream.inference.depth).toBe(11);
  });
});
