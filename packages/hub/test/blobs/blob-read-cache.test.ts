import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobReadCache } from '../../src/blobs/blob-read-cache.js';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { BufferPool } from '../../src/blobs/buffer-pool.js';

describe('BlobReadCache', () => {
  let dir: string;
  let blobs: BlobStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-hub-read-cache-'));
    blobs = await BlobStore.open(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads ranges into the target, short at the end and empty past it', async () => {
    const bytes = randomBytes(200_000);
    const { sha256 } = await blobs.put(bytes);
    const files = new BlobReadCache(blobs);
    const target = Buffer.alloc(65_536);
    expect(await files.read(sha256, 1000, 65_536, target)).toEqual({
      size: 200_000,
      bytesRead: 65_536,
    });
    expect(target.equals(bytes.subarray(1000, 1000 + 65_536))).toBe(true);
    // `length` is capped by the target, and by the end of the blob.
    expect(await files.read(sha256, 0, 1 << 20, target)).toMatchObject({ bytesRead: 65_536 });
    expect(await files.read(sha256, 199_990, 100, target)).toMatchObject({ bytesRead: 10 });
    expect(target.subarray(0, 10).equals(bytes.subarray(199_990))).toBe(true);
    expect(await files.read(sha256, 200_000, 100, target)).toEqual({ size: 200_000, bytesRead: 0 });
    expect(files.openCount).toBe(1);
    await files.close();
    await expect(files.read(sha256, 0, 1, target)).rejects.toMatchObject({
      code: 'EF_HUB_BLOB_IO',
    });
  });

  it('does not remember a missing blob, and refuses a bad address', async () => {
    const files = new BlobReadCache(blobs);
    const later = randomBytes(10);
    const address = createHash('sha256').update(later).digest('hex');
    expect(await files.read(address, 0, 10, Buffer.alloc(10))).toBeUndefined();
    expect(files.openCount).toBe(0);
    await blobs.put(later);
    const target = Buffer.alloc(10);
    expect(await files.read(address, 0, 10, target)).toEqual({ size: 10, bytesRead: 10 });
    expect(target.equals(later)).toBe(true);
    await expect(files.read('nope', 0, 1, target)).rejects.toMatchObject({
      code: 'EF_HUB_BLOB_INVALID_SHA',
    });
    await files.close();
  });

  it('keeps at most maxOpen files open and finishes reads of an evicted one', async () => {
    const stored = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const bytes = randomBytes(50_000);
        return { bytes, sha256: (await blobs.put(bytes)).sha256 };
      }),
    );
    const files = new BlobReadCache(blobs, { maxOpen: 2 });
    const targets = stored.map(() => Buffer.alloc(50_000));
    // All four at once: the first two are evicted while their reads are in flight.
    const reads = await Promise.all(
      stored.map((s, i) => files.read(s.sha256, 0, 50_000, targets[i] as Buffer)),
    );
    expect(reads.map((r) => r?.bytesRead)).toEqual([50_000, 50_000, 50_000, 50_000]);
    stored.forEach((s, i) => expect((targets[i] as Buffer).equals(s.bytes)).toBe(true));
    expect(files.openCount).toBe(2);
    // An evicted blob is opened again.
    const again = Buffer.alloc(100);
    await files.read(stored[0]!.sha256, 100, 100, again);
    expect(again.equals(stored[0]!.bytes.subarray(100, 200))).toBe(true);
    expect(files.openCount).toBe(2);
    await files.close();
  });
});

describe('BufferPool', () => {
  it('reuses returned buffers up to its bound and ignores foreign sizes', () => {
    const pool = new BufferPool(1024, 1);
    const a = pool.take();
    const b = pool.take();
    expect(a.length).toBe(1024);
    expect(a).not.toBe(b);
    pool.give(a);
    pool.give(b);
    pool.give(Buffer.alloc(10));
    expect(pool.free).toBe(1);
    expect(pool.take()).toBe(a);
    expect(() => new BufferPool(0, 1)).toThrow(RangeError);
  });
});
