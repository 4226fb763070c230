import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/storage/migrations.js';
import { SqliteHubStore } from '../../src/storage/sqlite-hub-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('schema migrations', () => {
  it('upgrades a version-1 database and keeps its data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-hub-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'hub.db');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT');
    db.exec(MIGRATIONS[0]?.sql ?? '');
    db.prepare('INSERT INTO schema_version (version) VALUES (1)').run();
    db.prepare("INSERT INTO devices (id, secret_hash, created_at) VALUES ('d1', 'h', 1)").run();
    db.close();

    const store = SqliteHubStore.open(path);
    try {
      expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(LATEST_SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
      expect((await store.getDevice('d1'))?.id).toBe('d1');
      expect(await store.getPresence('d1')).toBeUndefined();
      expect(await store.countOnline()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('serves telemetry queries from the (device, stream, receivedAt) index', () => {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT');
      for (const m of MIGRATIONS) db.exec(m.sql);
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT * FROM telemetry
           WHERE device_id = ? AND stream = ? AND received_at >= ? AND received_at < ?`,
        )
        .all('d1', 'health', 0, 1) as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' ')).toContain('telemetry_by_stream');
    } finally {
      db.close();
    }
  });
});
