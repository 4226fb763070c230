/**
 * A bundle being downloaded: a preallocated `<downloads>/<sha256>.part` file written block by
 * block at the blocks' offsets, and its received-block bitmap in SQLite.
 *
 * Crash semantics: written blocks are fdatasync'ed in batches (every `fsyncEveryBlocks`, and on
 * flush/finish/close) and only then marked in the bitmap, so a block marked received is on
 * disk. A power cut or SIGKILL loses at most the written-but-unmarked blocks of the current
 * batch, which are simply requested again. The finished file is renamed to `<sha256>.efb` only
 * after its whole-file sha256 matched.
 */
import { open, rename, rm, stat, statfs, mkdir } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '@edgefleet/runtime';
import type { AgentDb } from '../state/agent-db.js';
import { countBlocks, createBitmap, hasBlock, markBlock, missingBlocks } from './block-bitmap.js';
import { DownloadError, toDownloadIoError } from './download-errors.js';
import {
  deletePartialRow,
  ensureDownloadTables,
  readPartialRow,
  writePartialRow,
} from './download-tables.js';

/** Options of {@link PartialDownload.open}. */
export interface PartialDownloadOptions {
  readonly db: AgentDb;
  /** The downloads folder (`<state>/downloads`). */
  readonly dir: string;
  readonly sha256: string;
  readonly totalBytes: number;
  /** Block size for a new download; a resumed one keeps the size it was started with. */
  readonly blockBytes: number;
  /** Blocks written between two fdatasync + bitmap updates. Default 8. */
  readonly fsyncEveryBlocks?: number;
}

/** `<dir>/<sha256>.part`: the file being filled. */
export function partialPath(dir: string, sha256: string): string {
  return join(dir, `${sha256}.part`);
}

/** `<dir>/<sha256>.efb`: a finished download whose sha256 matched. */
export function downloadedPath(dir: string, sha256: string): string {
  return join(dir, `${sha256}.efb`);
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort: some platforms cannot fsync a directory; the file data is synced already.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** A partial download; see the module comment for what survives a crash. */
export class PartialDownload {
  readonly blockCount: number;
  private readonly written = new Set<number>();
  private writtenBytes = 0;
  private unsynced: number[] = [];
  private flushChain: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly db: AgentDb,
    readonly dir: string,
    readonly sha256: string,
    readonly totalBytes: number,
    readonly blockBytes: number,
    private readonly bitmap: Buffer,
    private handle: FileHandle | undefined,
    private readonly fsyncEvery: number,
  ) {
    this.blockCount = Math.ceil(totalBytes / blockBytes);
    for (let i = 0; i < this.blockCount; i += 1) {
      if (hasBlock(bitmap, i)) this.addWritten(i);
    }
  }

  private addWritten(index: number): void {
    this.written.add(index);
    this.writtenBytes += this.blockRange(index).length;
  }

  /**
   * Opens the partial download of `sha256`, resuming from the stored bitmap when the `.part`
   * file is still there with the right size, else starting over with a preallocated file.
   *
   * @example
   * const part = await PartialDownload.open({ db, dir, sha256, totalBytes, blockBytes: 65536 });
   */
  static async open(options: PartialDownloadOptions): Promise<PartialDownload> {
    const { db, dir, sha256, totalBytes } = options;
    const fsyncEvery = options.fsyncEveryBlocks ?? 8;
    if (!Number.isSafeInteger(totalBytes) || totalBytes < 0) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_ARGUMENT',
        `bundle size ${totalBytes} is not a byte count`,
      );
    }
    if (!Number.isSafeInteger(options.blockBytes) || options.blockBytes < 1) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_ARGUMENT',
        `block size ${options.blockBytes} is not positive`,
      );
    }
    if (!Number.isSafeInteger(fsyncEvery) || fsyncEvery < 1) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_ARGUMENT',
        'fsyncEveryBlocks must be a positive integer',
      );
    }
    const path = partialPath(dir, sha256);
    try {
      await mkdir(dir, { recursive: true });
      ensureDownloadTables(db);
      const row = readPartialRow(db, sha256);
      const resumable =
        row !== undefined &&
        row.totalBytes === totalBytes &&
        row.bitmap.length === Math.ceil(Math.ceil(totalBytes / row.blockBytes) / 8) &&
        (await sizeOf(path)) === totalBytes;
      if (resumable) {
        const handle = await open(path, 'r+');
        return new PartialDownload(
          db,
          dir,
          sha256,
          totalBytes,
          row.blockBytes,
          row.bitmap,
          handle,
          fsyncEvery,
        );
      }
      const blockBytes = options.blockBytes;
      await assertSpace(dir, totalBytes);
      // File first, row second: a crash in between leaves a file without a row, which the next
      // open starts over, never a row claiming blocks of a file that is not there.
      const handle = await open(path, 'w+');
      try {
        await handle.truncate(totalBytes);
        await handle.sync();
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw err;
      }
      await fsyncDir(dir);
      const bitmap = createBitmap(Math.ceil(totalBytes / blockBytes));
      writePartialRow(db, { sha256, totalBytes, blockBytes, bitmap, receivedBlocks: 0 });
      return new PartialDownload(
        db,
        dir,
        sha256,
        totalBytes,
        blockBytes,
        bitmap,
        handle,
        fsyncEvery,
      );
    } catch (err) {
      throw toDownloadIoError(err, `opening the partial download ${path}`);
    }
  }

  /** Indexes of the blocks still to fetch (not written yet), ascending. */
  missing(): number[] {
    return missingBlocks(this.bitmap, this.blockCount).filter((i) => !this.written.has(i));
  }

  /** Byte range of block `index`. */
  blockRange(index: number): { offset: number; length: number } {
    const offset = index * this.blockBytes;
    return { offset, length: Math.min(this.blockBytes, this.totalBytes - offset) };
  }

  /** True when block `index` was written (synced or not). */
  has(index: number): boolean {
    return this.written.has(index);
  }

  /** Bytes written so far (synced or not): what progress reports. */
  receivedBytes(): number {
    return this.writtenBytes;
  }

  /** Blocks marked in the stored bitmap (synced). */
  syncedBlocks(): number {
    return countBlocks(this.bitmap, this.blockCount);
  }

  /** True when every block was written. */
  isComplete(): boolean {
    return this.written.size === this.blockCount;
  }

  /**
   * Writes block `index` at its offset; every `fsyncEveryBlocks` writes, syncs and marks them.
   *
   * @example
   * await part.write(3, bytes);
   */
  async write(index: number, bytes: Uint8Array): Promise<void> {
    const handle = this.openHandle();
    const { offset, length } = this.blockRange(index);
    if (
      !Number.isInteger(index) ||
      index < 0 ||
      index >= this.blockCount ||
      bytes.length !== length
    ) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_ARGUMENT',
        `block ${index} must be ${length} bytes, got ${bytes.length}`,
        { index, length, got: bytes.length },
      );
    }
    try {
      let done = 0;
      while (done < length) {
        const { bytesWritten } = await handle.write(bytes, done, length - done, offset + done);
        done += bytesWritten;
      }
    } catch (err) {
      throw toDownloadIoError(err, `writing block ${index} of ${this.sha256}`);
    }
    if (this.written.has(index)) return;
    this.addWritten(index);
    this.unsynced.push(index);
    if (this.unsynced.length >= this.fsyncEvery) await this.flush();
  }

  /** Syncs the written blocks to disk, then marks them in the stored bitmap. */
  flush(): Promise<void> {
    const run = this.flushChain.then(() => this.syncAndMark());
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async syncAndMark(): Promise<void> {
    if (this.unsynced.length === 0 || !this.handle) return;
    const batch = this.unsynced;
    this.unsynced = [];
    try {
      await this.handle.datasync();
      for (const i of batch) markBlock(this.bitmap, i);
      writePartialRow(this.db, {
        sha256: this.sha256,
        totalBytes: this.totalBytes,
        blockBytes: this.blockBytes,
        bitmap: this.bitmap,
        receivedBlocks: countBlocks(this.bitmap, this.blockCount),
      });
    } catch (err) {
      // Not marked: these blocks will be fetched again.
      for (const i of batch) {
        this.written.delete(i);
        this.writtenBytes -= this.blockRange(i).length;
      }
      throw toDownloadIoError(err, `syncing the partial download of ${this.sha256}`);
    }
  }

  /**
   * Syncs, closes and checks the whole file's sha256: on a match renames it to `<sha256>.efb`
   * and forgets the bitmap; on a mismatch deletes the partial file and its bitmap and throws
   * `EF_AGENT_DOWNLOAD_SHA_MISMATCH`. Returns the finished file's path.
   *
   * @example
   * const efb = await part.finish();
   */
  async finish(): Promise<string> {
    if (!this.isComplete()) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_ARGUMENT',
        `download of ${this.sha256} is not complete`,
      );
    }
    await this.close();
    const path = partialPath(this.dir, this.sha256);
    let actual: string;
    try {
      actual = await sha256File(path);
    } catch (err) {
      throw toDownloadIoError(err, `hashing ${path}`);
    }
    if (actual !== this.sha256) {
      await this.discard();
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_SHA_MISMATCH',
        `downloaded bundle hashes to ${actual}, not ${this.sha256}; the partial file was deleted`,
        { expected: this.sha256, actual },
      );
    }
    const finalPath = downloadedPath(this.dir, this.sha256);
    try {
      await rename(path, finalPath);
      await fsyncDir(this.dir);
      deletePartialRow(this.db, this.sha256);
    } catch (err) {
      throw toDownloadIoError(err, `moving ${path} to ${finalPath}`);
    }
    return finalPath;
  }

  /** Syncs what was written (best effort) and closes the file; the partial download stays. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      const handle = this.handle;
      this.handle = undefined;
      await handle?.close().catch(() => undefined);
    }
  }

  /** Deletes the partial file and its bitmap. */
  async discard(): Promise<void> {
    await this.close().catch(() => undefined);
    await discardPartial(this.db, this.dir, this.sha256);
  }

  private openHandle(): FileHandle {
    if (!this.handle || this.closed) {
      throw new DownloadError(
        'EF_AGENT_DOWNLOAD_ARGUMENT',
        `partial download of ${this.sha256} is closed`,
      );
    }
    return this.handle;
  }
}

/**
 * Deletes the partial file and bitmap row of `sha256`, if any.
 *
 * @example
 * await discardPartial(db, downloadsDir, sha256);
 */
export async function discardPartial(db: AgentDb, dir: string, sha256: string): Promise<void> {
  try {
    ensureDownloadTables(db);
    deletePartialRow(db, sha256);
    await rm(partialPath(dir, sha256), { force: true });
  } catch (err) {
    throw toDownloadIoError(err, `deleting the partial download of ${sha256}`);
  }
}

async function assertSpace(dir: string, bytes: number): Promise<void> {
  let free: number;
  try {
    const fs = await statfs(dir);
    free = Number(fs.bavail) * Number(fs.bsize);
  } catch {
    return; // statfs unsupported here: the writes themselves will report ENOSPC
  }
  if (free < bytes) {
    throw new DownloadError(
      'EF_AGENT_DOWNLOAD_NO_SPACE',
      `the bundle needs ${bytes} bytes but ${dir} has ${free} free`,
      { needed: bytes, free },
    );
  }
}
