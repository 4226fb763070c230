import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/create-logger.js';
import { LastSeenTracker } from '../../src/presence/last-seen-tracker.js';
import { SqliteHubStore } from '../../src/storage/sqlite-hub-store.js';
import { waitFor } from '../hub/hub-test-kit.js';

describe('LastSeenTracker', () => {
  const stores: SqliteHubStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('writes the newest time per device in the background and on close', async () => {
    const store = SqliteHubStore.open(':memory:');
    stores.push(store);
    await store.enrollDevice({ id: 'd1', tags: {}, secretHash: 'h', createdAt: 1 });
    const tracker = new LastSeenTracker(store, createLogger(false), 20);
    tracker.seen('d1', 500);
    tracker.seen('d1', 300);
    tracker.seen('ghost', 400);
    await waitFor(
      async () => (await store.getDevice('d1'))?.lastSeenAt === 500,
      'last seen written',
    );
    tracker.seen('d1', 900);
    await tracker.close();
    expect((await store.getDevice('d1'))?.lastSeenAt).toBe(900);
  });
});
