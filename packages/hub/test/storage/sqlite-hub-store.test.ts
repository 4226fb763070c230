import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, SqliteHubStore, StorageError } from '../../src/index.js';
import { wrapSqliteError } from '../../src/storage/sqlite-errors.js';
import { describeHubStoreContract, expectCode } from './store-contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ef-hub-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describeHubStoreContract('SqliteHubStore (file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ef-hub-store-'));
  const path = join(dir, 'hub.db');
  let store = SqliteHubStore.open(path);
  return {
    store,
    reopen: async () => {
      await store.close();
      store = SqliteHubStore.open(path);
      return store;
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeHubStoreContract('SqliteHubStore (:memory:)', async () => {
  const store = SqliteHubStore.open(':memory:');
  return { store, cleanup: () => store.close() };
});

describe('SqliteHubStore specifics', () => {
  it('uses WAL, synchronous=NORMAL and foreign keys, and records the schema version', async () => {
    const path = join(tempDir(), 'hub.db');
    const store = SqliteHubStore.open(path);
    expect(store.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version FROM schema_version').all()).toEqual([
        { version: LATEST_SCHEMA_VERSION },
      ]);
    } finally {
      db.close();
    }
    const again = SqliteHubStore.open(path);
    expect(again.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(await again.settings()).toEqual({
      journalMode: 'wal',
      synchronous: 1,
      foreignKeys: true,
    });
    await again.close();
  });

  it('turns a corrupt database file into EF_HUB_STORE_IO with the SQLite error as cause', () => {
    const path = join(tempDir(), 'hub.db');
    writeFileSync(path, Buffer.alloc(8192, 'garbage! '));
    let caught: unknown;
    try {
      SqliteHubStore.open(path);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StorageError);
    expect((caught as StorageError).code).toBe('EF_HUB_STORE_IO');
    expect((caught as StorageError).cause).toBeInstanceOf(Database.SqliteError);
  });

  it('turns a missing directory into EF_HUB_STORE_IO', () => {
    const path = join(tempDir(), 'no', 'such', 'dir', 'hub.db');
    expect(() => SqliteHubStore.open(path)).toThrow(
      expect.objectContaining({ code: 'EF_HUB_STORE_IO' }),
    );
  });

  it('refuses a database written by a newer schema', () => {
    const path = join(tempDir(), 'hub.db');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT');
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(LATEST_SCHEMA_VERSION + 1);
    db.close();
    expect(() => SqliteHubStore.open(path)).toThrow(
      expect.objectContaining({ code: 'EF_HUB_STORE_SCHEMA' }),
    );
  });

  it('turns a lock held by another connection into EF_HUB_STORE_IO, not a raw exception', async () => {
    const path = join(tempDir(), 'hub.db');
    const store = SqliteHubStore.open(path, { busyTimeoutMs: 20 });
    const other = new Database(path);
    try {
      other.exec('BEGIN IMMEDIATE');
      const err = await expectCode(
        store.enrollDevice({ id: 'd1', tags: {}, secretHash: 'h', createdAt: 1 }),
        'EF_HUB_STORE_IO',
      );
      expect(err.cause).toBeInstanceOf(Database.SqliteError);
      other.exec('ROLLBACK');
      await store.enrollDevice({ id: 'd1', tags: {}, secretHash: 'h', createdAt: 1 });
      expect((await store.getDevice('d1'))?.id).toBe('d1');
    } finally {
      other.close();
      await store.close();
    }
  });

  it('overwriting an existing database with garbage gives EF_HUB_STORE_IO on reopen', async () => {
    const path = join(tempDir(), 'hub.db');
    const store = SqliteHubStore.open(path);
    await store.enrollDevice({ id: 'd1', tags: {}, secretHash: 'h', createdAt: 1 });
    await store.close();
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    writeFileSync(path, Buffer.from('this is not a database at all, just some garbage bytes'));
    expect(() => SqliteHubStore.open(path)).toThrow(
      expect.objectContaining({ code: 'EF_HUB_STORE_IO' }),
    );
  });

  it.each([
    'SQLITE_FULL',
    'SQLITE_READONLY',
    'SQLITE_CORRUPT',
    'SQLITE_NOTADB',
    'SQLITE_IOERR_WRITE',
  ])('wraps %s as EF_HUB_STORE_IO with the original as cause', (code) => {
    const original = new Database.SqliteError('boom', code);
    const wrapped = wrapSqliteError(original, '/x/hub.db');
    expect(wrapped).toBeInstanceOf(StorageError);
    expect((wrapped as StorageError).code).toBe('EF_HUB_STORE_IO');
    expect((wrapped as StorageError).cause).toBe(original);
  });

  it('passes constraint and programming errors through unchanged', () => {
    const constraint = new Database.SqliteError('x', 'SQLITE_CONSTRAINT_UNIQUE');
    expect(wrapSqliteError(constraint, 'p')).toBe(constraint);
    const bug = new TypeError('bug');
    expect(wrapSqliteError(bug, 'p')).toBe(bug);
  });

  it('writes to a full database give EF_HUB_STORE_IO and keep earlier data', async () => {
    const path = join(tempDir(), 'hub.db');
    const store = SqliteHubStore.open(path);
    await store.enrollDevice({ id: 'd1', tags: {}, secretHash: 'h', createdAt: 1 });
    const big = 'x'.repeat(4096);
    let error: unknown;
    await store.close();
    // A page cap on a fresh connection stands in for a full disk: SQLite reports SQLITE_FULL.
    const capped = SqliteHubStore.open(path, { maxPageCount: 64 });
    try {
      for (let seq = 0; seq < 10_000; seq++) {
        await capped.ingestTelemetry('d1', 'boot-0001', seq, 'metrics', big, 1);
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('EF_HUB_STORE_IO');
    expect(((error as StorageError).cause as { code?: string }).code).toBe('SQLITE_FULL');
    expect((await capped.getDevice('d1'))?.id).toBe('d1');
    await capped.close();
  });
});
