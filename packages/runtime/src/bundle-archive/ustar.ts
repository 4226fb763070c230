/**
 * A small, strict ustar reader and writer for `.efb` bundles.
 *
 * Why our own reader rather than node-tar's `Parser`: a bundle is a flat archive of a handful of
 * known regular files, so the grammar we must accept is tiny, while the set of things we must
 * *refuse* is large. A ~300-line state machine that whitelists exactly that grammar is easier to
 * audit than plumbing node-tar's warn/strict events, and it avoids behaviours we do not want on
 * hostile input: node-tar's `Parser` sniffs its input for gzip/brotli/zstd and would silently
 * inflate a second compression layer (a nested bomb outside our byte counter), skips headers with
 * bad checksums unless `strict`, honours every pax/GNU extension (sparse files, global headers)
 * and tolerates missing end-of-archive markers. Here every header is checksum-verified, every
 * rule maps to one error code, data is streamed to a sink with backpressure (async `write`), and
 * the decompressed byte count is capped on every chunk regardless of what headers claim.
 *
 * Accepted: POSIX ustar (`ustar\0` `00`) and GNU (`ustar  \0`) headers, regular files (`0`, NUL),
 * pax extended headers (`x`, honouring `path` and `size`; other keys such as mtime/atime/uid are
 * ignored, `GNU.sparse.*` rejected), pax global headers (`g`) that set no path/size, and GNU long
 * names (`L`). Everything else (links, devices, fifos, directories, sparse, `K`, volume labels,
 * ...) is rejected with `EF_BUNDLE_ENTRY_TYPE`.
 */
import { createHash, type Hash } from 'node:crypto';
import { BundleArchiveError } from './archive-errors.js';
import {
  assertAllowedName,
  assertRequiredPresent,
  assertSafeEntryPath,
  fileCap,
  type ResolvedArchiveOptions,
} from './limits.js';

/** Tar block size. */
export const BLOCK = 512;
/** Largest value an 11-digit octal field holds (8 GiB - 1). */
export const MAX_OCTAL_11 = 0o77777777777;
/** Cap on the data of a single pax or GNU long-name header. */
export const MAX_EXTENDED_HEADER_BYTES = 64 * 1024;

const ZERO_BLOCK = Buffer.alloc(BLOCK);
const ZEROS = Buffer.alloc(64 * 1024);

/** True when every byte of `bytes` is zero (compared natively, not byte by byte in JS). */
function isAllZero(bytes: Buffer): boolean {
  for (let off = 0; off < bytes.length; off += ZEROS.length) {
    const part = bytes.subarray(off, off + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

/** Receives the files of an archive as the scanner validates them. */
export interface TarSink {
  /** A regular file `name` of `size` bytes starts (name and size already validated). */
  begin(name: string, size: number): void | Promise<void>;
  /** The next bytes of the current file. The buffer may be a view; copy it to keep it. */
  data(chunk: Buffer): void | Promise<void>;
  /** The current file is complete; `sha256` is the hex digest of its bytes. */
  end(name: string, sha256: string): void | Promise<void>;
}

const TYPE_NAMES: Record<string, string> = {
  '0': 'file',
  '\0': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'character device',
  '4': 'block device',
  '5': 'directory',
  '6': 'fifo',
  '7': 'contiguous file',
  g: 'pax global header',
  x: 'pax extended header',
  L: 'GNU long name',
  K: 'GNU long link name',
  S: 'GNU sparse file',
  V: 'volume label',
  M: 'multi-volume continuation',
  D: 'GNU dump directory',
  N: 'GNU old long name',
};

function corrupt(message: string, details?: Record<string, unknown>): BundleArchiveError {
  return new BundleArchiveError('EF_BUNDLE_CORRUPT', message, details);
}

/** The text of a NUL-terminated header field (latin1, so every byte maps to one char). */
function fieldString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.toString('latin1', 0, nul === -1 ? length : nul);
}

/** Parses an octal (or GNU base-256) numeric header field strictly. */
function parseNumeric(block: Buffer, offset: number, length: number, field: string): number {
  const first = block[offset] ?? 0;
  if ((first & 0x80) !== 0) {
    if ((first & 0x40) !== 0) throw corrupt(`tar header field ${field} is negative`, { field });
    let value = first & 0x3f;
    for (let i = 1; i < length; i++) {
      value = value * 256 + (block[offset + i] ?? 0);
      if (!Number.isSafeInteger(value)) {
        throw new BundleArchiveError('EF_BUNDLE_TOO_LARGE', `tar header field ${field} is huge`, {
          field,
        });
      }
    }
    return value;
  }
  const text = fieldString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) {
    throw corrupt(`tar header field ${field} is not an octal number`, { field, value: text });
  }
  return parseInt(text, 8);
}

function verifyChecksum(block: Buffer): void {
  const stored = parseNumeric(block, 148, 8, 'chksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  if (stored !== unsigned && stored !== signed) {
    throw corrupt('tar header checksum mismatch (corrupt or misaligned archive)', {
      stored,
      computed: unsigned,
    });
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Parses pax extended header records (`"<len> <key>=<value>\n"`), strictly. */
function parsePaxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) {
      // Tolerate NUL padding after the last record, nothing else.
      if (!isAllZero(data.subarray(pos))) throw corrupt('pax header has data after NUL');
      break;
    }
    const space = data.indexOf(0x20, pos);
    const lengthText = space === -1 ? '' : data.toString('latin1', pos, space);
    if (!/^[1-9][0-9]{0,9}$/.test(lengthText)) throw corrupt('pax record length is malformed');
    const end = pos + Number(lengthText);
    if (end > data.length || data[end - 1] !== 0x0a || end <= space + 1) {
      throw corrupt('pax record overruns its header or lacks its newline');
    }
    let text: string;
    try {
      text = UTF8.decode(data.subarray(space + 1, end - 1));
    } catch {
      throw corrupt('pax record is not UTF-8');
    }
    const eq = text.indexOf('=');
    if (eq <= 0) throw corrupt('pax record has no key');
    const key = text.slice(0, eq);
    if (records.has(key)) throw corrupt(`pax header repeats key ${key}`, { key });
    records.set(key, text.slice(eq + 1));
    pos = end;
  }
  return records;
}

function paxSize(value: string): number {
  if (!/^[0-9]{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw corrupt('pax size is not a decimal integer', { value });
  }
  return Number(value);
}

type State = 'header' | 'file' | 'extended' | 'padding' | 'eof' | 'trailer';

/**
 * Push-based validating tar scanner. Feed it the decompressed tar stream with {@link write},
 * then call {@link finish}. Throws {@link BundleArchiveError} on the first violation.
 */
export class TarScanner {
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private state: State = 'header';
  private remaining = 0;
  private padding = 0;
  private eofFill = 0;
  private totalBytes = 0;
  private headers = 0;

  private fileName = '';
  private fileHash: Hash | undefined;

  private extKind = '';
  private extChunks: Buffer[] = [];
  private pendingPax: Map<string, string> | undefined;
  private pendingLongName: string | undefined;

  private readonly digestMap = new Map<string, string>();

  constructor(
    private readonly opts: ResolvedArchiveOptions,
    private readonly sink: TarSink,
  ) {}

  /** Feeds the next decompressed bytes. */
  async write(chunk: Buffer): Promise<void> {
    this.totalBytes += chunk.length;
    if (this.totalBytes > this.opts.limits.maxTotalBytes) {
      throw new BundleArchiveError(
        'EF_BUNDLE_TOO_LARGE',
        `decompressed archive exceeds ${this.opts.limits.maxTotalBytes} bytes (gzip bomb?)`,
        { limit: 'maxTotalBytes', max: this.opts.limits.maxTotalBytes },
      );
    }
    let off = 0;
    while (off < chunk.length) {
      const available = chunk.length - off;
      switch (this.state) {
        case 'header': {
          const n = Math.min(BLOCK - this.headerFill, available);
          chunk.copy(this.header, this.headerFill, off, off + n);
          this.headerFill += n;
          off += n;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            await this.onHeader();
          }
          break;
        }
        case 'file': {
          const n = Math.min(this.remaining, available);
          const slice = chunk.subarray(off, off + n);
          off += n;
          this.remaining -= n;
          this.fileHash?.update(slice);
          await this.sink.data(slice);
          if (this.remaining === 0) await this.endFile();
          break;
        }
        case 'extended': {
          const n = Math.min(this.remaining, available);
          this.extChunks.push(Buffer.from(chunk.subarray(off, off + n)));
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) this.endExtended();
          break;
        }
        case 'padding': {
          const n = Math.min(this.padding, available);
          off += n;
          this.padding -= n;
          if (this.padding === 0) this.state = 'header';
          break;
        }
        case 'eof':
        case 'trailer': {
          // After the first zero block only zeros may follow: the second end-of-archive block,
          // then record padding. Anything else is data hidden after the end of the archive.
          const n = this.state === 'eof' ? Math.min(BLOCK - this.eofFill, available) : available;
          if (!isAllZero(chunk.subarray(off, off + n))) {
            throw corrupt(
              this.state === 'eof'
                ? 'tar has a lone zero block followed by data'
                : 'tar has data after its end-of-archive marker',
            );
          }
          off += n;
          if (this.state === 'eof') {
            this.eofFill += n;
            if (this.eofFill === BLOCK) this.state = 'trailer';
          }
          break;
        }
      }
    }
  }

  /**
   * Ends the scan: the archive must have reached its end-of-archive marker and hold every
   * required file. Returns name -> sha256 hex of every file.
   */
  finish(): Map<string, string> {
    if (this.state !== 'trailer') {
      const where =
        this.state === 'file'
          ? `inside ${JSON.stringify(this.fileName)} (${this.remaining} bytes short)`
          : 'before the end-of-archive marker';
      throw corrupt(`tar archive is truncated ${where}`, {
        state: this.state,
        ...(this.state === 'file' ? { path: this.fileName, missingBytes: this.remaining } : {}),
      });
    }
    assertRequiredPresent(this.opts.required, this.digestMap);
    return new Map(this.digestMap);
  }

  private async onHeader(): Promise<void> {
    const block = this.header;
    if (block.equals(ZERO_BLOCK)) {
      if (this.pendingPax !== undefined || this.pendingLongName !== undefined) {
        throw corrupt('tar extended header is not followed by an entry');
      }
      this.state = 'eof';
      this.eofFill = 0;
      return;
    }
    this.headers += 1;
    if (this.headers > this.opts.limits.maxEntries) {
      throw new BundleArchiveError(
        'EF_BUNDLE_TOO_MANY_ENTRIES',
        `archive holds more than ${this.opts.limits.maxEntries} entries`,
        { limit: 'maxEntries', max: this.opts.limits.maxEntries },
      );
    }
    verifyChecksum(block);
    const magic = block.toString('latin1', 257, 265);
    const posix = magic === 'ustar\u000000';
    if (!posix && magic !== 'ustar  \u0000') {
      throw corrupt('tar header is neither POSIX ustar nor GNU format', {
        magic: JSON.stringify(magic),
      });
    }
    const type = String.fromCharCode(block[156] ?? 0);
    const headerSize = parseNumeric(block, 124, 12, 'size');
    let name = fieldString(block, 0, 100);
    const prefix = posix ? fieldString(block, 345, 155) : '';
    if (prefix !== '') name = `${prefix}/${name}`;

    switch (type) {
      case 'x':
      case 'g':
      case 'L': {
        if (
          (type === 'x' && this.pendingPax !== undefined) ||
          (type === 'L' && this.pendingLongName !== undefined)
        ) {
          throw corrupt(`tar has two ${TYPE_NAMES[type]}s in a row`);
        }
        if (headerSize > MAX_EXTENDED_HEADER_BYTES) {
          throw new BundleArchiveError(
            'EF_BUNDLE_TOO_LARGE',
            `${TYPE_NAMES[type]} is larger than ${MAX_EXTENDED_HEADER_BYTES} bytes`,
            { limit: 'extendedHeader', size: headerSize },
          );
        }
        this.extKind = type;
        this.extChunks = [];
        this.remaining = headerSize;
        this.padding = (BLOCK - (headerSize % BLOCK)) % BLOCK;
        if (headerSize === 0) this.endExtended();
        else this.state = 'extended';
        return;
      }
      case '0':
      case '\0':
        break;
      default:
        throw new BundleArchiveError(
          'EF_BUNDLE_ENTRY_TYPE',
          `archive entry ${JSON.stringify(name)} is a ${TYPE_NAMES[type] ?? `type ${JSON.stringify(type)} entry`}, not a regular file`,
          { path: name, type: TYPE_NAMES[type] ?? type },
        );
    }

    const pax = this.pendingPax;
    const longName = this.pendingLongName;
    this.pendingPax = undefined;
    this.pendingLongName = undefined;
    const paxPath = pax?.get('path');
    if (paxPath !== undefined && longName !== undefined && paxPath !== longName) {
      throw new BundleArchiveError(
        'EF_BUNDLE_PATH_UNSAFE',
        'archive entry has conflicting pax path and GNU long name',
        { path: paxPath, longName },
      );
    }
    const path = paxPath ?? longName ?? name;
    assertSafeEntryPath(path);
    assertAllowedName(this.opts.allowed, path);
    if (this.digestMap.has(path)) {
      throw new BundleArchiveError(
        'EF_BUNDLE_DUPLICATE',
        `archive holds ${JSON.stringify(path)} more than once`,
        { path },
      );
    }
    const paxSizeText = pax?.get('size');
    const size = paxSizeText === undefined ? headerSize : paxSize(paxSizeText);
    const cap = fileCap(this.opts.limits, path);
    if (size > cap) {
      throw new BundleArchiveError(
        'EF_BUNDLE_TOO_LARGE',
        `${path} is ${size} bytes, more than its cap of ${cap}`,
        { path, size, max: cap, limit: 'file' },
      );
    }
    this.fileName = path;
    this.fileHash = createHash('sha256');
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.state = 'file';
    await this.sink.begin(path, size);
    if (size === 0) await this.endFile();
  }

  private async endFile(): Promise<void> {
    const digest = (this.fileHash ?? createHash('sha256')).digest('hex');
    this.fileHash = undefined;
    this.digestMap.set(this.fileName, digest);
    this.state = this.padding > 0 ? 'padding' : 'header';
    await this.sink.end(this.fileName, digest);
  }

  private endExtended(): void {
    const data = Buffer.concat(this.extChunks);
    this.extChunks = [];
    this.state = this.padding > 0 ? 'padding' : 'header';
    if (this.extKind === 'L') {
      const nul = data.indexOf(0);
      this.pendingLongName = data.toString('latin1', 0, nul === -1 ? data.length : nul);
      return;
    }
    const records = parsePaxRecords(data);
    for (const key of records.keys()) {
      if (key.startsWith('GNU.sparse.')) {
        throw new BundleArchiveError(
          'EF_BUNDLE_ENTRY_TYPE',
          'archive holds a sparse file (pax GNU.sparse.*)',
          { key },
        );
      }
    }
    if (this.extKind === 'g') {
      for (const key of ['path', 'size', 'linkpath']) {
        if (records.has(key)) {
          throw new BundleArchiveError(
            'EF_BUNDLE_ENTRY_TYPE',
            `pax global header sets ${key}, which bundles do not allow`,
            { key, value: records.get(key) },
          );
        }
      }
      return;
    }
    this.pendingPax = records;
  }
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  // length - 1 octal digits, zero-padded, then NUL.
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'latin1');
}

/**
 * Encodes a deterministic POSIX ustar header for a regular file: mode 0644, uid/gid 0, empty
 * user/group names, no prefix, no pax. `name` must be at most 100 ASCII bytes.
 */
export function encodeUstarHeader(name: string, size: number, mtimeSeconds: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'latin1');
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, mtimeSeconds);
  block.fill(0x20, 148, 156);
  block[156] = 0x30; // '0': regular file
  block.write('ustar\u000000', 257, 8, 'latin1');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}
