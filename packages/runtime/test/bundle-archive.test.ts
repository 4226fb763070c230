import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgefleetError } from '@edgefleet/protocol';
import {
  ARCHIVE_ERROR_CODES,
  BundleArchiveError,
  DEFAULT_BUNDLE_LIMITS,
  extractBundleArchive,
  readBundleArchive,
  sha256File,
  writeBundleArchive,
  type BundleArchiveFile,
  type ExtractedBundleArchive,
} from '../src/bundle-archive/index.js';
import {
  END,
  MANIFEST,
  MODEL,
  SIGNATURE,
  gz,
  paxEntry,
  rawEntry,
  validEntries,
} from './fixtures/bundle-archive-tar.js';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

let root: string;
let n = 0;
async function freshDir(): Promise<string> {
  n += 1;
  const dir = join(root, `t${n}`);
  await mkdir(dir, { recursive: true });
  return dir;
}
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'efb-archive-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const FILES: BundleArchiveFile[] = [
  { name: 'signature.json', data: SIGNATURE },
  { name: 'model.onnx', data: MODEL },
  { name: 'report.html', data: Buffer.from('<html><body>report</body></html>\n') },
  { name: 'manifest.json', data: MANIFEST },
];

describe('error catalog', () => {
  it('BundleArchiveError is an EdgefleetError with a catalogued code', () => {
    const err = new BundleArchiveError('EF_BUNDLE_CORRUPT', 'x', { a: 1 });
    expect(err).toBeInstanceOf(EdgefleetError);
    expect(err.name).toBe('BundleArchiveError');
    expect(err.toJSON()).toEqual({ code: 'EF_BUNDLE_CORRUPT', message: 'x', details: { a: 1 } });
    for (const [code, description] of Object.entries(ARCHIVE_ERROR_CODES)) {
      expect(code).toMatch(/^EF_BUNDLE_[A-Z_]+$/);
      expect(description.length).toBeGreaterThan(10);
    }
  });
});

describe('writeBundleArchive / readBundleArchive', () => {
  it('round-trips files with their digests', async () => {
    const dir = await freshDir();
    const out = join(dir, 'a.efb');
    const written = await writeBundleArchive(out, FILES);
    const bytes = await readFile(out);
    expect(written.path).toBe(out);
    expect(written.bytes).toBe(bytes.length);
    expect(written.archiveSha256).toBe(sha256(bytes));
    expect(await sha256File(out)).toBe(written.archiveSha256);

    const fromPath = await readBundleArchive(out);
    const fromBytes = await readBundleArchive(new Uint8Array(bytes));
    for (const read of [fromPath, fromBytes]) {
      expect(read.archiveSha256).toBe(written.archiveSha256);
      expect([...read.files.keys()]).toEqual([
        'manifest.json',
        'model.onnx',
        'report.html',
        'signature.json',
      ]);
      for (const file of FILES) {
        expect(read.files.get(file.name)?.equals(file.data)).toBe(true);
        expect(read.digests.get(file.name)).toBe(sha256(file.data));
      }
      expect(read.digests).toEqual(written.digests);
    }
    expect(await readdir(dir)).toEqual(['a.efb']);
  });

  it('reads from a Uint8Array view with a non-zero offset', async () => {
    const dir = await freshDir();
    const out = join(dir, 'a.efb');
    await writeBundleArchive(out, FILES);
    const bytes = await readFile(out);
    const padded = new Uint8Array(bytes.length + 20);
    padded.set(bytes, 10);
    const read = await readBundleArchive(padded.subarray(10, 10 + bytes.length));
    expect(read.archiveSha256).toBe(sha256(bytes));
    expect(read.files.get('model.onnx')?.equals(MODEL)).toBe(true);
  });

  it('round-trips empty files and files that are exact block multiples', async () => {
    const dir = await freshDir();
    const out = join(dir, 'a.efb');
    const files = [
      { name: 'manifest.json', data: new Uint8Array(0) },
      { name: 'model.onnx', data: Buffer.alloc(1024, 1) },
      { name: 'signature.json', data: Buffer.alloc(513, 2) },
    ];
    await writeBundleArchive(out, files);
    const read = await readBundleArchive(out);
    for (const file of files) expect(read.files.get(file.name)?.equals(file.data)).toBe(true);
  });

  it('is deterministic: same inputs in any order give byte-identical archives', async () => {
    const dir = await freshDir();
    await writeBundleArchive(join(dir, 'a.efb'), FILES);
    await writeBundleArchive(join(dir, 'b.efb'), [...FILES].reverse());
    const a = await readFile(join(dir, 'a.efb'));
    const b = await readFile(join(dir, 'b.efb'));
    expect(a.equals(b)).toBe(true);
    // gzip header: no timestamp, fixed OS byte
    expect([...a.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff]);

    const mtime = new Date('2026-01-02T03:04:05.678Z');
    await writeBundleArchive(join(dir, 'c.efb'), FILES, { mtime });
    await writeBundleArchive(join(dir, 'd.efb'), FILES, { mtime });
    const c = await readFile(join(dir, 'c.efb'));
    expect(c.equals(await readFile(join(dir, 'd.efb')))).toBe(true);
    expect(c.equals(a)).toBe(false);
    const tarBytes = gunzipSync(c);
    expect(parseInt(tarBytes.toString('latin1', 136, 147), 8)).toBe(
      Math.floor(mtime.getTime() / 1000),
    );
  });

  it('writes plain ustar headers: sorted, 0644, uid/gid 0, mtime 0, no pax, end marker', async () => {
    const dir = await freshDir();
    const out = join(dir, 'a.efb');
    await writeBundleArchive(out, FILES);
    const entries: Array<Record<string, unknown>> = [];
    await tar.list({
      file: out,
      strict: true,
      onReadEntry: (entry) => {
        entries.push({
          path: entry.path,
          type: entry.type,
          mode: entry.mode,
          uid: entry.uid,
          gid: entry.gid,
          mtime: entry.mtime?.getTime(),
          size: entry.size,
        });
      },
    });
    expect(entries).toEqual(
      [...FILES]
        .sort((x, y) => (x.name < y.name ? -1 : 1))
        .map((f) => ({
          path: f.name,
          type: 'File',
          mode: 0o644,
          uid: 0,
          gid: 0,
          mtime: 0,
          size: f.data.length,
        })),
    );
    const tarBytes = gunzipSync(await readFile(out));
    // exactly one header per file plus the end marker: no pax or other extra headers
    const expected = FILES.reduce(
      (sum, f) => sum + 512 + Math.ceil(f.data.length / 512) * 512,
      1024,
    );
    expect(tarBytes.length).toBe(expected);
    expect(tarBytes.subarray(-1024).equals(Buffer.alloc(1024))).toBe(true);
  });

  it('reads archives written by node-tar', async () => {
    const dir = await freshDir();
    const src = join(dir, 'src');
    await mkdir(src);
    for (const file of FILES) await writeFile(join(src, file.name), file.data);
    const out = join(dir, 'node-tar.efb');
    await tar.create({ gzip: true, portable: true, file: out, cwd: src }, [
      'manifest.json',
      'model.onnx',
      'signature.json',
    ]);
    const read = await readBundleArchive(out);
    expect([...read.files.keys()].sort()).toEqual([
      'manifest.json',
      'model.onnx',
      'signature.json',
    ]);
    expect(read.digests.get('model.onnx')).toBe(sha256(MODEL));
  });

  const hasGnuTar = spawnSync('tar', ['--version'], { encoding: 'utf8' }).stdout?.includes('GNU');
  it.skipIf(!hasGnuTar).each(['gnu', 'pax', 'ustar'])(
    'reads archives written by GNU tar --format=%s (pax headers with atime/ctime are ignored)',
    async (format) => {
      const dir = await freshDir();
      const src = join(dir, 'src');
      await mkdir(src);
      for (const file of FILES) await writeFile(join(src, file.name), file.data);
      const out = join(dir, `${format}.efb`);
      const result = spawnSync('tar', [
        `--format=${format}`,
        '-czf',
        out,
        '-C',
        src,
        ...FILES.map((f) => f.name),
      ]);
      expect(result.status).toBe(0);
      const read = await readBundleArchive(out);
      for (const file of FILES) expect(read.digests.get(file.name)).toBe(sha256(file.data));
    },
  );

  it('accepts pax path and size overrides and GNU long names that name allowed files', async () => {
    const archive = gz(
      paxEntry({ path: 'manifest.json', mtime: '1.5', atime: '2', size: String(MANIFEST.length) }),
      rawEntry({ name: 'ignored-short-name', data: MANIFEST }),
      paxEntry({ comment: 'global metadata is fine' }, 'g'),
      rawEntry({ name: 'model.onnx', data: MODEL }),
      rawEntry({ name: '././@LongLink', type: 'L', data: 'signature.json\0', format: 'gnu' }),
      rawEntry({ name: 'truncated', data: SIGNATURE, format: 'gnu' }),
      END,
      Buffer.alloc(8192), // record padding after the end marker
    );
    const read = await readBundleArchive(archive);
    expect(read.files.get('manifest.json')?.equals(MANIFEST)).toBe(true);
    expect(read.files.get('signature.json')?.equals(SIGNATURE)).toBe(true);
  });

  it('honours custom allowed and required names', async () => {
    const dir = await freshDir();
    const out = join(dir, 'a.efb');
    const files = [...FILES, { name: 'preprocess.json', data: Buffer.from('{}') }];
    const allowedNames = [...FILES.map((f) => f.name), 'preprocess.json'];
    await expect(writeBundleArchive(out, files)).rejects.toMatchObject({
      code: 'EF_BUNDLE_UNEXPECTED_FILE',
    });
    await writeBundleArchive(out, files, { allowedNames });
    await expect(readBundleArchive(out)).rejects.toMatchObject({
      code: 'EF_BUNDLE_UNEXPECTED_FILE',
    });
    const read = await readBundleArchive(out, {
      allowedNames,
      requiredNames: [...allowedNames],
    });
    expect(read.files.get('preprocess.json')?.toString()).toBe('{}');
    await expect(
      readBundleArchive(gz(...validEntries(), END), {
        allowedNames,
        requiredNames: ['preprocess.json'],
      }),
    ).rejects.toMatchObject({ code: 'EF_BUNDLE_MISSING_FILE' });
  });

  it('applies per-name caps', async () => {
    await expect(
      readBundleArchive(gz(...validEntries(), END), {
        limits: { maxBytesByName: { 'signature.json': 10 } },
      }),
    ).rejects.toMatchObject({ code: 'EF_BUNDLE_TOO_LARGE', details: { path: 'signature.json' } });
  });

  it('rejects invalid options', async () => {
    const archive = gz(...validEntries(), END);
    await expect(readBundleArchive(archive, { allowedNames: ['../x'] })).rejects.toMatchObject({
      code: 'EF_BUNDLE_ARGUMENT',
    });
    await expect(
      readBundleArchive(archive, { allowedNames: ['a.json', 'A.json'], requiredNames: [] }),
    ).rejects.toMatchObject({ code: 'EF_BUNDLE_ARGUMENT' });
    await expect(
      readBundleArchive(archive, { allowedNames: ['a.json'], requiredNames: ['b.json'] }),
    ).rejects.toMatchObject({ code: 'EF_BUNDLE_ARGUMENT' });
    await expect(
      readBundleArchive(archive, { limits: { maxTotalBytes: -1 } }),
    ).rejects.toMatchObject({
      code: 'EF_BUNDLE_ARGUMENT',
    });
    expect(DEFAULT_BUNDLE_LIMITS).toMatchObject({
      maxModelBytes: 512 * 1024 * 1024,
      maxFileBytes: 16 * 1024 * 1024,
      maxTotalBytes: 600 * 1024 * 1024,
    });
  });

  it('reports a missing archive file as EF_BUNDLE_IO', async () => {
    const dir = await freshDir();
    await expect(readBundleArchive(join(dir, 'nope.efb'))).rejects.toMatchObject({
      code: 'EF_BUNDLE_IO',
    });
    await expect(sha256File(join(dir, 'nope.efb'))).rejects.toMatchObject({ code: 'EF_BUNDLE_IO' });
  });
});

describe('writeBundleArchive input checks', () => {
  const cases: Array<[string, BundleArchiveFile[], string]> = [
    [
      'unsafe name',
      [...FILES, { name: '../evil', data: Buffer.from('x') }],
      'EF_BUNDLE_PATH_UNSAFE',
    ],
    [
      'unexpected name',
      [...FILES, { name: 'evil.sh', data: Buffer.from('x') }],
      'EF_BUNDLE_UNEXPECTED_FILE',
    ],
    [
      'duplicate name',
      [...FILES, { name: 'model.onnx', data: Buffer.from('x') }],
      'EF_BUNDLE_DUPLICATE',
    ],
    [
      'missing required file',
      FILES.filter((f) => f.name !== 'signature.json'),
      'EF_BUNDLE_MISSING_FILE',
    ],
  ];
  it.each(cases)('rejects %s and leaves nothing behind', async (_label, files, code) => {
    const dir = await freshDir();
    await expect(writeBundleArchive(join(dir, 'a.efb'), files)).rejects.toMatchObject({ code });
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects a file over its cap', async () => {
    const dir = await freshDir();
    await expect(
      writeBundleArchive(join(dir, 'a.efb'), FILES, { limits: { maxModelBytes: 100 } }),
    ).rejects.toMatchObject({ code: 'EF_BUNDLE_TOO_LARGE' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports an unwritable target as EF_BUNDLE_IO and creates nothing', async () => {
    const dir = await freshDir();
    await expect(writeBundleArchive(join(dir, 'missing', 'a.efb'), FILES)).rejects.toMatchObject({
      code: 'EF_BUNDLE_IO',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('replaces an existing archive atomically', async () => {
    const dir = await freshDir();
    const out = join(dir, 'a.efb');
    await writeFile(out, 'old');
    await writeBundleArchive(out, FILES);
    expect((await readBundleArchive(out)).files.size).toBe(4);
    expect(await readdir(dir)).toEqual(['a.efb']);
  });
});

describe('extractBundleArchive', () => {
  it('writes exactly the files, mode 0644, with their digests, and nothing else', async () => {
    const dir = await freshDir();
    const archive = join(dir, 'a.efb');
    const written = await writeBundleArchive(archive, FILES);
    const parent = join(dir, 'bundles');
    await mkdir(parent);
    const dest = join(parent, 'release-1');
    const extracted = await extractBundleArchive(archive, dest);
    expect(extracted.dir).toBe(dest);
    expect(extracted.archiveSha256).toBe(written.archiveSha256);
    expect(extracted.digests).toEqual(written.digests);
    expect(await readdir(parent)).toEqual(['release-1']);
    expect((await readdir(dest)).sort()).toEqual(FILES.map((f) => f.name).sort());
    expect((await stat(dest)).mode & 0o777).toBe(0o755);
    for (const file of FILES) {
      const path = join(dest, file.name);
      const st = await stat(path);
      expect(st.isFile()).toBe(true);
      expect(st.mode & 0o777).toBe(0o644);
      expect((await readFile(path)).equals(file.data)).toBe(true);
      expect(await sha256File(path)).toBe(extracted.digests.get(file.name));
    }
  });

  it('ignores archive modes (e.g. setuid, 0777)', async () => {
    const dir = await freshDir();
    const archive = join(dir, 'a.efb');
    await writeFile(
      archive,
      gz(
        rawEntry({ name: 'manifest.json', data: MANIFEST, mode: 0o4777 }),
        rawEntry({ name: 'model.onnx', data: MODEL, mode: 0o777 }),
        rawEntry({ name: 'signature.json', data: SIGNATURE, mode: 0 }),
        END,
      ),
    );
    const dest = join(dir, 'out');
    await extractBundleArchive(archive, dest);
    for (const name of ['manifest.json', 'model.onnx', 'signature.json']) {
      expect((await stat(join(dest, name))).mode & 0o7777).toBe(0o644);
    }
  });

  it('reports a missing archive as EF_BUNDLE_IO and leaves nothing behind', async () => {
    const dir = await freshDir();
    const parent = join(dir, 'p');
    await mkdir(parent);
    await expect(
      extractBundleArchive(join(dir, 'nope.efb'), join(parent, 'out')),
    ).rejects.toMatchObject({ code: 'EF_BUNDLE_IO' });
    expect(await readdir(parent)).toEqual([]);
  });

  it('stops on abort and leaves nothing behind', async () => {
    const dir = await freshDir();
    const archive = join(dir, 'a.efb');
    await writeBundleArchive(archive, FILES);
    const parent = join(dir, 'p');
    await mkdir(parent);
    const controller = new AbortController();
    controller.abort();
    await expect(
      extractBundleArchive(archive, join(parent, 'out'), { signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(await readdir(parent)).toEqual([]);
  });
});

describe('robustness', () => {
  it('any single-byte corruption of the tar is either accepted or a coded error, and extraction leaves nothing behind on error', async () => {
    const tarBytes = Buffer.concat([...validEntries(), END]);
    const dir = await freshDir();
    const parent = join(dir, 'p');
    await mkdir(parent);
    let i = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: tarBytes.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        async (offset, value) => {
          const mutated = Buffer.from(tarBytes);
          mutated[offset] = value;
          const archive = join(dir, `m${++i}.efb`);
          await writeFile(archive, gz(mutated));
          const dest = join(parent, `out${i}`);
          const result: ExtractedBundleArchive | Error = await extractBundleArchive(
            archive,
            dest,
          ).then(
            (r) => r,
            (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
          );
          if (result instanceof Error) {
            expect(result).toBeInstanceOf(BundleArchiveError);
            expect(await readdir(parent)).toEqual([]);
          } else {
            const names = (await readdir(dest)).sort();
            expect(names.every((name) => !name.includes('/'))).toBe(true);
            expect(names).toEqual([...result.digests.keys()].sort());
            await rm(dest, { recursive: true });
          }
          await rm(archive);
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });
});
