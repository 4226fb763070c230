/**
 * The hub's content-addressed blob store: bundle files at `<data>/blobs/<first 2 hex>/<sha256>`.
 * A blob is written to a temporary file while it is hashed, fsynced, checked against the
 * address it is stored under, then renamed into place, so a reader never sees a partial or
 * wrong blob and a crash leaves at most a temporary file (removed on the next open).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobError } from './blob-errors.js';

const SHA256 = /^[0-9a-f]{64}$/;

/** What was stored. */
export interface PutBlobResult {
  sha256: string;
  size: number;
  /** False when the blob was already there (same content, nothing written). */
  created: boolean;
}

/** A stored blob, readable by range. */
export interface StoredBlob {
  sha256: string;
  size: number;
  /** Streams `[start, end]` inclusive (HTTP Range semantics). Throws `EF_HUB_BLOB_INVALID_RANGE`. */
  stream(start: number, end: number): Readable;
  /** Reads up to `length` bytes at `offset` (fewer at the end). Throws `EF_HUB_BLOB_INVALID_RANGE`. */
  read(offset: number, length: number): Promise<Buffer>;
}

function io(message: string, err: unknown): BlobError {
  const detail = err instanceof Error ? err.message : String(err);
  return new BlobError('EF_HUB_BLOB_IO', `${message}: ${detail}`, undefined, { cause: err });
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** Makes a rename durable; some file systems cannot fsync a directory, which is no error. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort only.
  } finally {
    await handle?.close();
  }
}

/**
 * Throws `EF_HUB_BLOB_INVALID_SHA` unless `sha256` is 64 lowercase hex digits; returns it.
 *
 * @example
 * checkSha256('ab'.repeat(32)); // 'abab...'
 */
export function checkSha256(sha256: unknown): string {
  if (typeof sha256 !== 'string' || !SHA256.test(sha256)) {
    const shown = typeof sha256 === 'string' ? JSON.stringify(sha256.slice(0, 80)) : typeof sha256;
    throw new BlobError(
      'EF_HUB_BLOB_INVALID_SHA',
      `blob address ${shown} is not 64 lowercase hex digits`,
    );
  }
  return sha256;
}

function checkRange(size: number, start: number, end: number): void {
  const ok =
    Number.isSafeInteger(start) &&
    Number.isSafeInteger(end) &&
    start >= 0 &&
    (size === 0 ? start === 0 && end === -1 : start <= end && end < size);
  if (!ok) {
    throw new BlobError(
      'EF_HUB_BLOB_INVALID_RANGE',
      `range [${start}, ${end}] is outside the ${size}-byte blob`,
      {
        start,
        end,
        size,
      },
    );
  }
}

/**
 * A content-addressed store under one directory.
 *
 * @example
 * const blobs = await BlobStore.open('/var/lib/edgefleet');
 * const { sha256 } = await blobs.put(bundleBytes);
 * const blob = await blobs.open(sha256);
 * blob?.stream(0, blob.size - 1).pipe(res);
 */
export class BlobStore {
  readonly root: string;
  readonly #tmp: string;

  private constructor(root: string) {
    this.root = root;
    this.#tmp = join(root, 'tmp');
  }

  /** Opens (creating) `<dataDir>/blobs` and removes temporary files left by a crash. */
  static async open(dataDir: string): Promise<BlobStore> {
    const store = new BlobStore(join(dataDir, 'blobs'));
    try {
      await mkdir(store.#tmp, { recursive: true });
      for (const name of await readdir(store.#tmp)) {
        await rm(join(store.#tmp, name), { force: true });
      }
    } catch (err) {
      throw io(`cannot prepare blob directory ${store.root}`, err);
    }
    return store;
  }

  /** The file path of a blob (checked address). */
  pathOf(sha256: string): string {
    const sha = checkSha256(sha256);
    return join(this.root, sha.slice(0, 2), sha);
  }

  /** True when the blob is stored. */
  async has(sha256: string): Promise<boolean> {
    return (await this.#size(this.pathOf(sha256))) !== undefined;
  }

  /** Stores `bytes`; with `expectedSha256` the content must hash to it (`EF_HUB_BLOB_DIGEST`). */
  put(bytes: Uint8Array, expectedSha256?: string): Promise<PutBlobResult> {
    return this.putStream([bytes], expectedSha256);
  }

  /** Stores a stream of chunks, hashing while writing; see {@link put}. */
  async putStream(
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expectedSha256?: string,
  ): Promise<PutBlobResult> {
    if (expectedSha256 !== undefined) checkSha256(expectedSha256);
    const tmpPath = join(this.#tmp, `${randomBytes(12).toString('hex')}.part`);
    const hash = createHash('sha256');
    let size = 0;
    try {
      const file = await open(tmpPath, 'wx', 0o644);
      try {
        for await (const chunk of source) {
          hash.update(chunk);
          size += chunk.byteLength;
          await file.write(chunk);
        }
        await file.sync();
      } finally {
        await file.close();
      }
    } catch (err) {
      await rm(tmpPath, { force: true });
      throw io('cannot write blob', err);
    }
    const sha256 = hash.digest('hex');
    if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
      await rm(tmpPath, { force: true });
      throw new BlobError(
        'EF_HUB_BLOB_DIGEST',
        `blob hashes to ${sha256}, not the expected ${expectedSha256}`,
        { expected: expectedSha256, actual: sha256 },
      );
    }
    const finalPath = this.pathOf(sha256);
    try {
      if ((await this.#size(finalPath)) !== undefined) {
        await rm(tmpPath, { force: true });
        return { sha256, size, created: false };
      }
      const dir = join(this.root, sha256.slice(0, 2));
      await mkdir(dir, { recursive: true });
      await rename(tmpPath, finalPath);
      await syncDirectory(dir);
    } catch (err) {
      await rm(tmpPath, { force: true });
      throw io(`cannot store blob ${sha256}`, err);
    }
    return { sha256, size, created: true };
  }

  /** Opens a blob for reading, or `undefined` when it is not stored. */
  async open(sha256: string): Promise<StoredBlob | undefined> {
    const path = this.pathOf(sha256);
    const size = await this.#size(path);
    if (size === undefined) return undefined;
    return {
      sha256,
      size,
      stream(start: number, end: number): Readable {
        checkRange(size, start, end);
        if (size === 0) return Readable.from([]);
        return createReadStream(path, { start, end });
      },
      async read(offset: number, length: number): Promise<Buffer> {
        if (!Number.isSafeInteger(length) || length < 1) {
          throw new BlobError(
            'EF_HUB_BLOB_INVALID_RANGE',
            `length ${length} is not a positive integer`,
          );
        }
        checkRange(size, offset, Math.min(size, offset + length) - 1);
        const n = Math.min(length, size - offset);
        const buffer = Buffer.allocUnsafe(n);
        let file;
        try {
          file = await open(path, 'r');
          let done = 0;
          while (done < n) {
            const { bytesRead } = await file.read(buffer, done, n - done, offset + done);
            if (bytesRead === 0) break;
            done += bytesRead;
          }
          return done === n ? buffer : buffer.subarray(0, done);
        } catch (err) {
          throw io(`cannot read blob ${sha256}`, err);
        } finally {
          await file?.close();
        }
      },
    };
  }

  async #size(path: string): Promise<number | undefined> {
    try {
      const s = await stat(path);
      return s.isFile() ? s.size : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw io(`cannot stat ${path}`, err);
    }
  }
}
