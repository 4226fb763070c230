import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteHubStore } from '../../src/index.js';
import {
  LATEST_ROLLOUT_SCHEMA_VERSION,
  parseRolloutOptions,
  SqliteRolloutStore,
} from '../../src/rollouts/index.js';
import type { DeviceEntryRecord, RolloutRecord, WaveRecord } from '../../src/rollouts/index.js';
import { cleanupDirs, expectCode, T0, tempDbPath } from './fakes.js';

afterEach(cleanupDirs);

const options = parseRolloutOptions({
  release: 'pm-mlp@2.0.0',
  selector: 'site=a',
  waves: '50,100',
  soakMs: '1m',
  gates: ['error-rate<1%'],
});

const rollout: RolloutRecord = {
  id: 'ro-test',
  state: 'running',
  options,
  createdAt: T0,
  updatedAt: T0,
  startedAt: T0,
  finishedAt: null,
  currentWave: 0,
  reason: null,
};
const wave: WaveRecord = {
  rolloutId: 'ro-test',
  index: 0,
  state: 'running',
  size: 1,
  percent: 50,
  startedAt: T0,
  soakStartedAt: null,
  finishedAt: null,
  reason: { code: 'x', message: 'why' },
};
const entry: DeviceEntryRecord = {
  rolloutId: 'ro-test',
  deviceId: 'dev-1',
  wave: 0,
  rank: 0,
  state: 'notified',
  notifiedAt: T0,
  assignedAt: T0 + 1,
  desiredVersion: 7,
  lastStatusAt: null,
  errorCode: null,
  previous: { name: 'pm-mlp', version: '1.0.0' },
  rollback: {
    target: { name: 'pm-mlp', version: '1.0.0' },
    requestedAt: T0 + 2,
    assignedAt: null,
    desiredVersion: null,
    state: 'downloading',
    lastStatusAt: null,
    errorCode: 'EF_X',
  },
};

describe('SqliteRolloutStore', () => {
  it('shares the hub database file with the hub store, in its own rollout_ tables', async () => {
    const path = tempDbPath();
    const hub = SqliteHubStore.open(path);
    const store = SqliteRolloutStore.open(path);
    try {
      expect(store.schemaVersion).toBe(LATEST_ROLLOUT_SCHEMA_VERSION);
      await hub.enrollDevice({ id: 'dev-1', tags: { site: 'a' }, secretHash: 'h', createdAt: T0 });
      await store.commit({ rollouts: [rollout], waves: [wave], entries: [entry] });
      expect(await hub.listDevices({ site: 'a' })).toHaveLength(1);
    } finally {
      await store.close();
      await hub.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
          name: string;
        }[]
      ).map((t) => t.name);
      expect(tables.filter((t) => t.startsWith('rollout_')).sort()).toEqual([
        'rollout_devices',
        'rollout_events',
        'rollout_gate_evals',
        'rollout_rollouts',
        'rollout_schema_version',
        'rollout_waves',
      ]);
      expect(db.prepare('SELECT version FROM rollout_schema_version').all()).toEqual([
        { version: LATEST_ROLLOUT_SCHEMA_VERSION },
      ]);
      expect(tables).toContain('schema_version');
    } finally {
      db.close();
    }
  });

  it('round-trips every record and reads events after an id', async () => {
    const path = tempDbPath();
    let store = SqliteRolloutStore.open(path);
    const events = await store.commit({
      rollouts: [rollout],
      waves: [wave],
      entries: [
        entry,
        { ...entry, deviceId: 'dev-2', rank: 1, rollback: null, previous: null, notifiedAt: null },
      ],
      gates: [
        {
          rolloutId: 'ro-test',
          wave: 0,
          gate: 'error-rate<1%',
          value: null,
          limit: 0.01,
          status: 'no-data',
          devices: 0,
          evaluatedAt: T0,
        },
      ],
      events: [
        { rolloutId: 'ro-test', ts: T0, type: 'rollout-created', data: { n: 1 } },
        { rolloutId: 'ro-test', ts: T0, type: 'device-state', wave: 0, deviceId: 'dev-1' },
      ],
    });
    expect(events.map((e) => e.type)).toEqual(['rollout-created', 'device-state']);
    await store.close();
    store = SqliteRolloutStore.open(path);
    try {
      expect(await store.getRollout('ro-test')).toEqual(rollout);
      expect(await store.getRollout('ro-none')).toBeUndefined();
      expect(await store.listRollouts(['running'])).toEqual([rollout]);
      expect(await store.listRollouts(['paused'])).toEqual([]);
      expect(await store.listWaves('ro-test')).toEqual([wave]);
      expect((await store.listEntries('ro-test'))[0]).toEqual(entry);
      expect(
        (await store.listEntries('ro-test', { notified: false })).map((e) => e.deviceId),
      ).toEqual(['dev-2']);
      expect((await store.listEntries('ro-test', { wave: 0, states: ['notified'] })).length).toBe(
        2,
      );
      expect(await store.entriesForDevice('dev-1', 'pm-mlp')).toEqual([entry]);
      expect(await store.entriesForDevice('dev-1', 'other')).toEqual([]);
      expect(await store.countNotifiedSince('ro-test', T0)).toBe(1);
      expect(await store.countNotifiedSince('ro-test', T0 + 1)).toBe(0);
      expect((await store.listGateEvaluations('ro-test'))[0]?.status).toBe('no-data');
      const first = events[0]?.id ?? 0;
      expect(
        (await store.listEvents('ro-test', { afterId: first })).map((e) => e.deviceId),
      ).toEqual(['dev-1']);
    } finally {
      await store.close();
    }
  });

  it('updates a rollout without touching its waves, entries and events', async () => {
    const store = SqliteRolloutStore.open(tempDbPath());
    try {
      await store.commit({
        rollouts: [rollout],
        waves: [wave],
        entries: [entry],
        events: [{ rolloutId: 'ro-test', ts: T0, type: 'rollout-created' }],
      });
      await store.commit({ rollouts: [{ ...rollout, state: 'paused', updatedAt: T0 + 5 }] });
      await store.commit({ waves: [{ ...wave, state: 'soaking' }] });
      expect((await store.getRollout('ro-test'))?.state).toBe('paused');
      expect((await store.listWaves('ro-test')).map((w) => w.state)).toEqual(['soaking']);
      expect(await store.listEntries('ro-test')).toHaveLength(1);
      expect(await store.listEvents('ro-test')).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('rolls a failing commit back entirely', async () => {
    const store = SqliteRolloutStore.open(tempDbPath());
    try {
      await store.commit({ rollouts: [rollout] });
      await expect(
        store.commit({
          waves: [{ ...wave, rolloutId: 'ro-missing' }],
          events: [{ rolloutId: 'ro-test', ts: T0, type: 'gate' }],
        }),
      ).rejects.toThrow();
      expect(await store.listEvents('ro-test')).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('refuses use after close, newer schemas and corrupt files with codes', async () => {
    const path = tempDbPath();
    const store = SqliteRolloutStore.open(path);
    await store.close();
    await store.close();
    await expectCode(store.getRollout('x'), 'EF_HUB_ROLLOUT_STORE_CLOSED');
    const db = new Database(path);
    db.prepare('UPDATE rollout_schema_version SET version = 99').run();
    db.close();
    await expectCode(() => SqliteRolloutStore.open(path), 'EF_HUB_ROLLOUT_STORE_SCHEMA');
    const bad = tempDbPath();
    writeFileSync(bad, Buffer.alloc(8192, 'garbage! '));
    await expectCode(() => SqliteRolloutStore.open(bad), 'EF_HUB_ROLLOUT_STORE_IO');
  });

  it('reports a corrupt stored row with a code', async () => {
    const path = tempDbPath();
    const store = SqliteRolloutStore.open(path);
    try {
      await store.commit({ rollouts: [rollout] });
      const db = new Database(path);
      db.prepare('UPDATE rollout_rollouts SET options_json = \'{"release":1}\'').run();
      db.close();
      await expectCode(store.getRollout('ro-test'), 'EF_HUB_ROLLOUT_STORE_DATA');
    } finally {
      await store.close();
    }
  });

  it('opens on a handle it does not own', async () => {
    const db = new Database(tempDbPath());
    const store = SqliteRolloutStore.open(db);
    await store.commit({ rollouts: [rollout] });
    await store.close();
    expect(db.prepare('SELECT COUNT(*) AS n FROM rollout_rollouts').get()).toEqual({ n: 1 });
    db.close();
  });
});
