import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { BundleArchiveError } from './archive-errors.js';

/** Wraps a non-archive error: zlib errors become `EF_BUNDLE_CORRUPT`, the rest `EF_BUNDLE_IO`. */
export function toArchiveError(err: unknown, action: string): unknown {
  if (err instanceof BundleArchiveError) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new BundleArchiveError(
      'EF_BUNDLE_CORRUPT',
      `gzip stream is corrupt or truncated: ${message}`,
      { reason: message, zlibCode: code },
      { cause: err },
    );
  }
  return new BundleArchiveError(
    'EF_BUNDLE_IO',
    `${action} failed: ${message}`,
    typeof code === 'string' ? { reason: message, errno: code } : { reason: message },
    { cause: err },
  );
}

/** Writes all of `chunk` (a single `write` may be partial). */
export async function writeFully(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Flushes a directory's entries (a rename or a new file) to disk. Best effort: some platforms
 * (Windows) cannot open or fsync directories, and the data files themselves are already synced.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // ignore: see above
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Streams a file through SHA-256 and returns the lowercase hex digest.
 *
 * @example
 * ```ts
 * const digest = await sha256File('/var/lib/edgefleet/bundles/42/model.onnx');
 * if (digest !== manifest.model.sha256) throw new Error('model digest mismatch');
 * ```
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
    }
  } catch (err) {
    throw toArchiveError(err, `hashing ${path}`);
  }
  return hash.digest('hex');
}
