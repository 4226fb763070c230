import { createHash } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import { chmod, lstat, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { BundleArchiveError } from './archive-errors.js';
import { fsyncDir, toArchiveError, writeFully } from './io.js';
import {
  resolveArchiveOptions,
  type BundleArchiveNameOptions,
  type ResolvedArchiveOptions,
} from './limits.js';
import { TarScanner, type TarSink } from './ustar.js';

const CHUNK = 64 * 1024;

/** Options of {@link readBundleArchive} and {@link extractBundleArchive}. */
export interface ReadBundleArchiveOptions extends BundleArchiveNameOptions {
  /** Aborts the read or extraction; the promise then rejects with the signal's AbortError. */
  readonly signal?: AbortSignal;
}

/** What {@link readBundleArchive} returns. */
export interface BundleArchiveContents {
  /** File name -> bytes, in archive order. */
  readonly files: Map<string, Buffer>;
  /** File name -> lowercase sha256 hex of its bytes; compare with the manifest before use. */
  readonly digests: Map<string, string>;
  /** Lowercase sha256 hex of the compressed archive as read. */
  readonly archiveSha256: string;
}

/** What {@link extractBundleArchive} returns. */
export interface ExtractedBundleArchive {
  /** Absolute path of the directory now holding the files. */
  readonly dir: string;
  /** File name -> lowercase sha256 hex of the extracted bytes. */
  readonly digests: Map<string, string>;
  /** Lowercase sha256 hex of the compressed archive as read. */
  readonly archiveSha256: string;
}

interface ScanResult {
  digests: Map<string, string>;
  archiveSha256: string;
}

/**
 * Inflates `source` with a gunzip stream we own and feeds the tar bytes to a validating
 * {@link TarScanner}. Compressed bytes are capped and hashed as they are read; decompressed
 * bytes are capped by the scanner chunk by chunk, so a gzip bomb is stopped after at most
 * `maxTotalBytes` + one chunk, whatever the tar headers claim.
 */
async function scanArchive(
  source: string | Uint8Array,
  resolved: ResolvedArchiveOptions,
  sink: TarSink,
  signal: AbortSignal | undefined,
): Promise<ScanResult> {
  const { limits } = resolved;
  const tooLarge = (size: number): BundleArchiveError =>
    new BundleArchiveError(
      'EF_BUNDLE_TOO_LARGE',
      `compressed archive exceeds ${limits.maxArchiveBytes} bytes`,
      { limit: 'maxArchiveBytes', max: limits.maxArchiveBytes, size },
    );

  let input: Readable;
  if (typeof source === 'string') {
    let size: number;
    try {
      size = (await stat(source)).size;
    } catch (err) {
      throw toArchiveError(err, `reading ${source}`);
    }
    if (size > limits.maxArchiveBytes) throw tooLarge(size);
    input = createReadStream(source, { highWaterMark: CHUNK });
  } else if (source instanceof Uint8Array) {
    if (source.byteLength > limits.maxArchiveBytes) throw tooLarge(source.byteLength);
    const bytes = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    input = Readable.from(
      (function* () {
        for (let off = 0; off < bytes.length; off += CHUNK) yield bytes.subarray(off, off + CHUNK);
      })(),
    );
  } else {
    throw new BundleArchiveError('EF_BUNDLE_ARGUMENT', 'source must be a path or a Uint8Array');
  }

  const archiveHash = createHash('sha256');
  let compressedBytes = 0;
  const magic: number[] = [];
  const checkMagic = (): void => {
    if (magic[0] !== 0x1f || magic[1] !== 0x8b) {
      throw new BundleArchiveError('EF_BUNDLE_CORRUPT', 'archive is not gzip-compressed', {
        reason: 'not gzip',
      });
    }
  };

  async function* guard(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      compressedBytes += chunk.length;
      if (compressedBytes > limits.maxArchiveBytes) throw tooLarge(compressedBytes);
      archiveHash.update(chunk);
      if (magic.length < 2) {
        for (const byte of chunk.subarray(0, 2 - magic.length)) magic.push(byte);
        if (magic.length === 2) checkMagic();
      }
      yield chunk;
    }
    if (compressedBytes === 0) {
      throw new BundleArchiveError('EF_BUNDLE_CORRUPT', 'archive is empty', { reason: 'empty' });
    }
    checkMagic();
  }

  const scanner = new TarScanner(resolved, sink);
  try {
    await pipeline(
      input,
      guard,
      createGunzip({ chunkSize: CHUNK }),
      async (tar: AsyncIterable<Buffer>) => {
        for await (const chunk of tar) await scanner.write(chunk);
      },
      signal === undefined ? {} : { signal },
    );
  } catch (err) {
    throw toArchiveError(err, 'reading the bundle archive');
  }
  const digests = scanner.finish();
  return { digests, archiveSha256: archiveHash.digest('hex') };
}

/**
 * Reads and validates a bundle archive into memory (for the hub and the compiler). Every entry
 * must be a regular file with an allowed flat name, at most once, within its size cap; the
 * required files must all be present; the gzip and tar framing must be intact. Nothing is
 * written to disk.
 *
 * @example
 * ```ts
 * const { files, digests, archiveSha256 } = await readBundleArchive('release-1.4.0.efb');
 * const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8'));
 * if (digests.get('model.onnx') !== manifest.model.sha256) throw new Error('digest mismatch');
 * ```
 */
export async function readBundleArchive(
  source: string | Uint8Array,
  opts: ReadBundleArchiveOptions = {},
): Promise<BundleArchiveContents> {
  const resolved = resolveArchiveOptions(opts);
  const files = new Map<string, Buffer>();
  let chunks: Buffer[] = [];
  // Chunks are collected as they arrive rather than pre-allocating the header's size, so a header
  // that lies about its size cannot make us allocate memory the data never fills.
  const { digests, archiveSha256 } = await scanArchive(
    source,
    resolved,
    {
      begin: () => {
        chunks = [];
      },
      data: (chunk) => {
        chunks.push(chunk);
      },
      end: (name) => {
        files.set(name, Buffer.concat(chunks));
        chunks = [];
      },
    },
    opts.signal,
  );
  return { files, digests, archiveSha256 };
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw toArchiveError(err, `checking ${path}`);
  }
}

function destExists(dir: string): BundleArchiveError {
  return new BundleArchiveError(
    'EF_BUNDLE_DEST_EXISTS',
    `extraction destination ${dir} already exists`,
    { dir },
  );
}

const CREATE_FLAGS =
  fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);

/**
 * Extracts a bundle archive to the new directory `destDir`, streaming file data to disk with the
 * same checks as {@link readBundleArchive}. Files are written into a fresh temporary directory
 * beside `destDir` (same parent, so the final rename is atomic), created exclusively without
 * following links, given mode 0644 (archive modes and owners are ignored) and fsynced; the
 * directory (mode 0755) is then renamed to `destDir`. On any error the temporary directory is
 * removed, so a failed extraction leaves nothing behind. `destDir` must not exist
 * (`EF_BUNDLE_DEST_EXISTS`); its parent must.
 *
 * @example
 * ```ts
 * const { dir, digests } = await extractBundleArchive(
 *   '/var/lib/edgefleet/downloads/release-1.4.0.efb',
 *   '/var/lib/edgefleet/bundles/release-1.4.0',
 * );
 * // check digests against the (signature-verified) manifest before loading model.onnx
 * ```
 */
export async function extractBundleArchive(
  archivePath: string,
  destDir: string,
  opts: ReadBundleArchiveOptions = {},
): Promise<ExtractedBundleArchive> {
  const resolved = resolveArchiveOptions(opts);
  const dest = resolve(destDir);
  const parent = dirname(dest);
  if (await exists(dest)) throw destExists(dest);

  let tmp: string;
  try {
    tmp = await mkdtemp(join(parent, `.${basename(dest)}.partial-`));
  } catch (err) {
    throw toArchiveError(err, `creating a temporary directory in ${parent}`);
  }

  let handle: FileHandle | undefined;
  try {
    const { digests, archiveSha256 } = await scanArchive(
      archivePath,
      resolved,
      {
        begin: async (name) => {
          const target = join(tmp, name);
          // Names are validated flat by the scanner; this is a second, independent guard.
          if (dirname(target) !== tmp || basename(target) !== name) {
            throw new BundleArchiveError('EF_BUNDLE_PATH_UNSAFE', `unsafe target for ${name}`, {
              path: name,
            });
          }
          try {
            handle = await open(target, CREATE_FLAGS, 0o644);
          } catch (err) {
            throw toArchiveError(err, `creating ${target}`);
          }
        },
        data: async (chunk) => {
          if (handle === undefined) throw new Error('tar sink: data outside a file');
          try {
            await writeFully(handle, chunk);
          } catch (err) {
            throw toArchiveError(err, 'writing an extracted file');
          }
        },
        end: async () => {
          const current = handle;
          handle = undefined;
          if (current === undefined) throw new Error('tar sink: end outside a file');
          try {
            await current.chmod(0o644); // the umask may have narrowed the create mode
            await current.sync();
          } catch (err) {
            throw toArchiveError(err, 'syncing an extracted file');
          } finally {
            await current.close();
          }
        },
      },
      opts.signal,
    );
    try {
      await chmod(tmp, 0o755);
      await fsyncDir(tmp);
      // Narrow the window in which another writer may have created destDir meanwhile.
      if (await exists(dest)) throw destExists(dest);
      await rename(tmp, dest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw destExists(dest);
      throw toArchiveError(err, `moving the extracted bundle to ${dest}`);
    }
    await fsyncDir(parent);
    return { dir: dest, digests, archiveSha256 };
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}
