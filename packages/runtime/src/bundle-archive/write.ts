import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import { BundleArchiveError } from './archive-errors.js';
import { fsyncDir, toArchiveError, writeFully } from './io.js';
import {
  assertAllowedName,
  assertRequiredPresent,
  assertSafeEntryPath,
  fileCap,
  resolveArchiveOptions,
  type BundleArchiveNameOptions,
} from './limits.js';
import { BLOCK, MAX_OCTAL_11, encodeUstarHeader } from './ustar.js';

/** One file to put into a bundle archive. */
export interface BundleArchiveFile {
  readonly name: string;
  readonly data: Uint8Array;
}

/** Options of {@link writeBundleArchive}. */
export interface WriteBundleArchiveOptions extends BundleArchiveNameOptions {
  /** Modification time recorded for every entry (whole seconds). Default: the epoch (0). */
  readonly mtime?: Date;
  /** gzip level 1-9. Default 9. Part of the determinism contract: same level, same bytes. */
  readonly gzipLevel?: number;
}

/** What {@link writeBundleArchive} returns. */
export interface WrittenBundleArchive {
  /** Absolute path of the archive. */
  readonly path: string;
  /** Size of the compressed archive in bytes. */
  readonly bytes: number;
  /** Lowercase sha256 hex of the compressed archive. */
  readonly archiveSha256: string;
  /** File name -> lowercase sha256 hex of its bytes. */
  readonly digests: Map<string, string>;
}

/** gzip header byte 9 (OS). zlib writes the build platform's code; fix it to "unknown". */
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNKNOWN = 0xff;

/**
 * Writes a deterministic bundle archive: entries sorted by name, POSIX ustar headers with mode
 * 0644, uid/gid 0, empty owner names, a fixed mtime, no pax headers, two end-of-archive blocks,
 * gzip with a zero timestamp and a fixed OS byte. The same files and options give byte-identical
 * output (on the same zlib build). The names, sizes and required files are checked against the
 * same rules the reader applies, so the writer cannot produce a bundle the reader rejects.
 *
 * The archive is written to a temporary file beside `outPath`, fsynced, then renamed over
 * `outPath` (replacing any existing file); on error the temporary file is removed.
 *
 * @example
 * ```ts
 * const { archiveSha256 } = await writeBundleArchive('dist/release-1.4.0.efb', [
 *   { name: 'manifest.json', data: manifestBytes },
 *   { name: 'model.onnx', data: modelBytes },
 *   { name: 'signature.json', data: signatureBytes },
 * ]);
 * ```
 */
export async function writeBundleArchive(
  outPath: string,
  files: ReadonlyArray<BundleArchiveFile>,
  opts: WriteBundleArchiveOptions = {},
): Promise<WrittenBundleArchive> {
  const resolved = resolveArchiveOptions(opts);
  const { limits } = resolved;

  const mtimeMs = opts.mtime === undefined ? 0 : opts.mtime.getTime();
  const mtime = Math.floor(mtimeMs / 1000);
  if (!Number.isFinite(mtimeMs) || mtime < 0 || mtime > MAX_OCTAL_11) {
    throw new BundleArchiveError('EF_BUNDLE_ARGUMENT', 'mtime is not a representable date', {
      mtime: String(opts.mtime),
    });
  }
  const level = opts.gzipLevel ?? 9;
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new BundleArchiveError('EF_BUNDLE_ARGUMENT', 'gzipLevel must be an integer 1-9', {
      gzipLevel: level,
    });
  }

  if (!Array.isArray(files)) {
    throw new BundleArchiveError('EF_BUNDLE_ARGUMENT', 'files must be an array');
  }
  const seen = new Set<string>();
  let tarBytes = 2 * BLOCK;
  for (const file of files) {
    if (typeof file?.name !== 'string' || !(file.data instanceof Uint8Array)) {
      throw new BundleArchiveError(
        'EF_BUNDLE_ARGUMENT',
        'every file needs a string name and Uint8Array data',
      );
    }
    assertSafeEntryPath(file.name);
    assertAllowedName(resolved.allowed, file.name);
    if (seen.has(file.name)) {
      throw new BundleArchiveError('EF_BUNDLE_DUPLICATE', `file ${file.name} given twice`, {
        path: file.name,
      });
    }
    seen.add(file.name);
    const cap = fileCap(limits, file.name);
    if (file.data.byteLength > cap || file.data.byteLength > MAX_OCTAL_11) {
      throw new BundleArchiveError(
        'EF_BUNDLE_TOO_LARGE',
        `${file.name} is ${file.data.byteLength} bytes, more than its cap of ${cap}`,
        { path: file.name, size: file.data.byteLength, max: cap, limit: 'file' },
      );
    }
    tarBytes += BLOCK + Math.ceil(file.data.byteLength / BLOCK) * BLOCK;
  }
  assertRequiredPresent(resolved.required, seen);
  if (files.length > limits.maxEntries) {
    throw new BundleArchiveError(
      'EF_BUNDLE_TOO_MANY_ENTRIES',
      `bundle would hold more than ${limits.maxEntries} entries`,
      { limit: 'maxEntries', max: limits.maxEntries },
    );
  }
  if (tarBytes > limits.maxTotalBytes) {
    throw new BundleArchiveError(
      'EF_BUNDLE_TOO_LARGE',
      `bundle would be ${tarBytes} bytes uncompressed, more than ${limits.maxTotalBytes}`,
      { limit: 'maxTotalBytes', size: tarBytes, max: limits.maxTotalBytes },
    );
  }

  // Code-unit order; names are ASCII, so this is byte order and locale-independent.
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const digests = new Map<string, string>();
  function* tarChunks(): Generator<Buffer> {
    for (const file of sorted) {
      const data = Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength);
      digests.set(file.name, createHash('sha256').update(data).digest('hex'));
      yield encodeUstarHeader(file.name, data.length, mtime);
      if (data.length > 0) yield data;
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
      if (pad > 0) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(2 * BLOCK);
  }

  const target = resolve(outPath);
  const tmp = join(
    dirname(target),
    `.${basename(target)}.${randomBytes(6).toString('hex')}.partial`,
  );
  let handle: FileHandle | undefined;
  try {
    try {
      handle = await open(tmp, 'wx', 0o644);
    } catch (err) {
      throw toArchiveError(err, `creating ${tmp}`);
    }
    const out = handle;
    const archiveHash = createHash('sha256');
    let bytes = 0;
    try {
      await pipeline(
        Readable.from(tarChunks()),
        createGzip({
          level,
          memLevel: 8,
          windowBits: 15,
          strategy: zlibConstants.Z_DEFAULT_STRATEGY,
        }),
        async (gz: AsyncIterable<Buffer>) => {
          for await (const chunk of gz) {
            if (bytes <= GZIP_OS_OFFSET && bytes + chunk.length > GZIP_OS_OFFSET) {
              chunk[GZIP_OS_OFFSET - bytes] = GZIP_OS_UNKNOWN;
            }
            bytes += chunk.length;
            archiveHash.update(chunk);
            await writeFully(out, chunk);
          }
        },
      );
      await out.chmod(0o644);
      await out.sync();
      handle = undefined;
      await out.close();
      await rename(tmp, target);
    } catch (err) {
      throw toArchiveError(err, `writing ${target}`);
    }
    await fsyncDir(dirname(target));
    return { path: target, bytes, archiveSha256: archiveHash.digest('hex'), digests };
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
