/**
 * Open blob files for block serving: a download is hundreds of small reads of one file, so the
 * file handle is opened once per blob and kept in a small LRU instead of an open, stat, read and
 * close per block. Blobs are content-addressed and never rewritten in place, so a cached handle
 * always reads the bytes its address names (a deleted file stays readable through it).
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { BlobError } from './blob-errors.js';
import type { BlobStore } from './blob-store.js';

/** A read of a cached blob. */
export interface BlobRead {
  /** The blob's size in bytes. */
  size: number;
  /** Bytes placed at the start of the target (fewer than asked at the end of the blob). */
  bytesRead: number;
}

interface OpenBlob {
  ready: Promise<{ handle: FileHandle; size: number } | undefined>;
  users: number;
  evicted: boolean;
}

const DEFAULT_MAX_OPEN = 32;

function ioError(sha256: string, err: unknown): BlobError {
  const detail = err instanceof Error ? err.message : String(err);
  return new BlobError('EF_HUB_BLOB_IO', `cannot read blob ${sha256}: ${detail}`, undefined, {
    cause: err,
  });
}

async function openBlob(path: string): Promise<{ handle: FileHandle; size: number } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return undefined;
    }
    return { handle, size: stats.size };
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
}

/**
 * An LRU of open blob files of one {@link BlobStore}. Missing blobs are not cached (a blob
 * published later is found on the next read).
 *
 * @example
 * const files = new BlobReadCache(blobs);
 * const target = Buffer.allocUnsafe(65536);
 * const r = await files.read(sha256, 0, 65536, target); // undefined when not stored
 * await files.close();
 */
export class BlobReadCache {
  readonly #store: BlobStore;
  readonly #maxOpen: number;
  /** Insertion order is recency: the first entry is the least recently used. */
  readonly #open = new Map<string, OpenBlob>();
  #closed = false;

  constructor(store: BlobStore, options: { maxOpen?: number } = {}) {
    this.#store = store;
    this.#maxOpen = Math.max(1, options.maxOpen ?? DEFAULT_MAX_OPEN);
  }

  /** Number of blobs held open (for tests and metrics). */
  get openCount(): number {
    return this.#open.size;
  }

  /**
   * Reads up to `length` bytes at `offset` of blob `sha256` into the start of `target`
   * (`length` is capped by `target.length`); undefined when the blob is not stored. An
   * `offset` at or past the end reads 0 bytes. Throws `EF_HUB_BLOB_INVALID_SHA`, and
   * `EF_HUB_BLOB_IO` when the file cannot be read.
   */
  async read(
    sha256: string,
    offset: number,
    length: number,
    target: Buffer,
  ): Promise<BlobRead | undefined> {
    if (this.#closed) throw new BlobError('EF_HUB_BLOB_IO', 'the blob read cache is closed');
    const entry = this.#acquire(sha256);
    try {
      let file;
      try {
        file = await entry.ready;
      } catch (err) {
        // A failed open is not kept: the next read tries again.
        this.#drop(sha256, entry);
        throw ioError(sha256, err);
      }
      if (file === undefined) {
        this.#drop(sha256, entry);
        return undefined;
      }
      const want = Math.max(0, Math.min(length, target.length, file.size - offset));
      let done = 0;
      try {
        while (done < want) {
          const { bytesRead } = await file.handle.read(target, done, want - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
      } catch (err) {
        throw ioError(sha256, err);
      }
      return { size: file.size, bytesRead: done };
    } finally {
      this.#release(entry);
    }
  }

  #acquire(sha256: string): OpenBlob {
    let entry = this.#open.get(sha256);
    if (entry === undefined) {
      entry = { ready: openBlob(this.#store.pathOf(sha256)), users: 0, evicted: false };
      // Keep an unobserved rejection from crashing the process; read() reports it.
      entry.ready.catch(() => {});
      this.#open.set(sha256, entry);
      this.#evict();
    } else {
      // Most recently used goes last.
      this.#open.delete(sha256);
      this.#open.set(sha256, entry);
    }
    entry.users += 1;
    return entry;
  }

  #release(entry: OpenBlob): void {
    entry.users -= 1;
    if (entry.evicted && entry.users === 0) closeEntry(entry);
  }

  #drop(sha256: string, entry: OpenBlob): void {
    if (this.#open.get(sha256) === entry) this.#open.delete(sha256);
    entry.evicted = true;
  }

  #evict(): void {
    for (const [sha256, entry] of this.#open) {
      if (this.#open.size <= this.#maxOpen) return;
      this.#open.delete(sha256);
      entry.evicted = true;
      // In use: closed by the last reader's release.
      if (entry.users === 0) closeEntry(entry);
    }
  }

  /** Closes every file once its reads are done; later reads throw `EF_HUB_BLOB_IO`. */
  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#open.values()];
    this.#open.clear();
    for (const entry of entries) {
      entry.evicted = true;
      if (entry.users === 0) closeEntry(entry);
    }
    await Promise.all(entries.map((e) => e.ready.catch(() => undefined)));
  }
}

function closeEntry(entry: OpenBlob): void {
  entry.ready.then(
    (file) => file?.handle.close().catch(() => {}),
    () => {},
  );
}
