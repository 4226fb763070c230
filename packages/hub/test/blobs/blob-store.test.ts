import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/blobs/blob-store.js';
import { expectCode } from '../storage/store-contract.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('BlobStore', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-hub-blobs-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('stores content-addressed under <data>/blobs/<2 hex>/<sha256> and reads ranges', async () => {
    const data = dataDir();
    const blobs = await BlobStore.open(data);
    const bytes = randomBytes(100_000);
    const put = await blobs.put(bytes);
    expect(put).toEqual({ sha256: sha(bytes), size: bytes.length, created: true });
    expect(existsSync(join(data, 'blobs', put.sha256.slice(0, 2), put.sha256))).toBe(true);
    expect(await blobs.has(put.sha256)).toBe(true);
    expect(await blobs.has('0'.repeat(64))).toBe(false);
    expect(await blobs.open('0'.repeat(64))).toBeUndefined();

    const blob = await blobs.open(put.sha256);
    expect(blob?.size).toBe(bytes.length);
    expect(await buffer(blob!.stream(0, bytes.length - 1))).toEqual(bytes);
    expect(await buffer(blob!.stream(10, 19))).toEqual(bytes.subarray(10, 20));
    expect(await blob!.read(99_990, 64)).toEqual(bytes.subarray(99_990));
    expect(() => blob!.stream(5, bytes.length)).toThrow(
      expect.objectContaining({ code: 'EF_HUB_BLOB_INVALID_RANGE' }),
    );
    await expectCode(blob!.read(bytes.length, 1), 'EF_HUB_BLOB_INVALID_RANGE');

    // Same content again: nothing new written.
    expect((await blobs.put(bytes)).created).toBe(false);
    expect(readdirSync(join(data, 'blobs', 'tmp'))).toEqual([]);
  });

  it('refuses bad addresses and a digest mismatch, keeping nothing', async () => {
    const data = dataDir();
    const blobs = await BlobStore.open(data);
    for (const bad of ['../etc/passwd', 'A'.repeat(64), 'ab', '']) {
      await expectCode(blobs.has(bad), 'EF_HUB_BLOB_INVALID_SHA');
      await expectCode(blobs.open(bad), 'EF_HUB_BLOB_INVALID_SHA');
    }
    const bytes = Buffer.from('hello');
    await expectCode(blobs.put(bytes, 'f'.repeat(64)), 'EF_HUB_BLOB_DIGEST');
    await expectCode(blobs.put(bytes, 'nope'), 'EF_HUB_BLOB_INVALID_SHA');
    expect(await blobs.has(sha(bytes))).toBe(false);
    expect(readdirSync(join(data, 'blobs', 'tmp'))).toEqual([]);
    expect((await blobs.put(bytes, sha(bytes))).created).toBe(true);
  });

  it('streams input in chunks and removes leftover temporary files on open', async () => {
    const data = dataDir();
    const blobs = await BlobStore.open(data);
    writeFileSync(join(data, 'blobs', 'tmp', 'crashed.part'), 'partial');
    const chunks = [randomBytes(1000), randomBytes(7), randomBytes(70_000)];
    async function* source() {
      for (const c of chunks) yield c;
    }
    const put = await blobs.putStream(source());
    expect(put.sha256).toBe(sha(Buffer.concat(chunks)));
    await BlobStore.open(data);
    expect(readdirSync(join(data, 'blobs', 'tmp'))).toEqual([]);
  });

  it('handles an empty blob', async () => {
    const blobs = await BlobStore.open(dataDir());
    const put = await blobs.put(Buffer.alloc(0));
    const blob = await blobs.open(put.sha256);
    expect(blob?.size).toBe(0);
    expect((await buffer(blob!.stream(0, -1))).length).toBe(0);
  });
});
