import { lstat, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BundleArchiveError,
  extractBundleArchive,
  readBundleArchive,
  type ArchiveErrorCode,
  type ReadBundleArchiveOptions,
} from '../src/bundle-archive/index.js';
import {
  END,
  MANIFEST,
  MODEL,
  gz,
  gzipBomb,
  longNameEntry,
  paxEntry,
  rawEntry,
  validEntries,
} from './fixtures/bundle-archive-tar.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'efb-hostile-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every path under `dir` with its kind, sorted. */
async function tree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const st = await lstat(path);
    const rel = `${prefix}${name}`;
    out.push(`${rel}${st.isDirectory() ? '/' : st.isSymbolicLink() ? '@' : ''}`);
    if (st.isDirectory()) out.push(...(await tree(path, `${rel}/`)));
  }
  return out;
}

let caseNo = 0;

/**
 * Asserts that `archive` is rejected with `code` both in memory and on extraction, and that the
 * extraction wrote nothing anywhere in its sandbox (in particular nothing in the destination's
 * parent, and nothing reached by "..").
 */
async function expectRejected(
  archive: Uint8Array | ((sandbox: string) => Uint8Array),
  code: ArchiveErrorCode,
  opts: ReadBundleArchiveOptions = {},
): Promise<BundleArchiveError> {
  caseNo += 1;
  const sandbox = join(root, `case-${caseNo}`);
  const parent = join(sandbox, 'a', 'b', 'c');
  await mkdir(parent, { recursive: true });
  await mkdir(join(sandbox, 'in'));
  const bytes = typeof archive === 'function' ? archive(sandbox) : archive;
  const archivePath = join(sandbox, 'in', 'bundle.efb');
  await writeFile(archivePath, bytes);

  const inMemory = await readBundleArchive(bytes, opts).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(inMemory).toBeInstanceOf(BundleArchiveError);
  expect((inMemory as BundleArchiveError).code).toBe(code);

  const before = await tree(sandbox);
  const onDisk = await extractBundleArchive(archivePath, join(parent, 'bundle'), opts).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(onDisk).toBeInstanceOf(BundleArchiveError);
  expect((onDisk as BundleArchiveError).code).toBe(code);
  expect(await tree(sandbox)).toEqual(before);
  expect(await readdir(parent)).toEqual([]);
  return onDisk as BundleArchiveError;
}

const [manifestEntry, modelEntry, signatureEntry] = validEntries() as [Buffer, Buffer, Buffer];

describe('rejects hostile archives', () => {
  it('absolute path /etc/passwd', async () => {
    const passwdBefore = await stat('/etc/passwd').catch(() => undefined);
    const err = await expectRejected(
      gz(rawEntry({ name: '/etc/passwd', data: 'root::0:0::/:/bin/sh\n' }), ...validEntries(), END),
      'EF_BUNDLE_PATH_UNSAFE',
    );
    expect(err.details).toMatchObject({ path: '/etc/passwd', reason: 'absolute path' });
    const passwdAfter = await stat('/etc/passwd').catch(() => undefined);
    expect(passwdAfter?.mtimeMs).toBe(passwdBefore?.mtimeMs);
  });

  it('absolute path into the sandbox', async () => {
    await expectRejected(
      (sandbox) => gz(...validEntries(), rawEntry({ name: join(sandbox, 'evil'), data: 'x' }), END),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('parent reference ../x', async () => {
    await expectRejected(
      gz(rawEntry({ name: '../x', data: 'x' }), ...validEntries(), END),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('nested traversal a/../../x', async () => {
    await expectRejected(
      gz(rawEntry({ name: 'a/../../x', data: 'x' }), ...validEntries(), END),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('traversal hidden in the ustar prefix field', async () => {
    await expectRejected(
      gz(rawEntry({ name: 'model.onnx', prefix: '../../..', data: MODEL }), manifestEntry, END),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('backslash path ..\\x', async () => {
    await expectRejected(
      gz(rawEntry({ name: '..\\x', data: 'x' }), ...validEntries(), END),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('subdirectory sub/manifest.json (bundles are flat)', async () => {
    await expectRejected(
      gz(rawEntry({ name: 'sub/manifest.json', data: MANIFEST }), modelEntry, signatureEntry, END),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('dot-slash ./manifest.json', async () => {
    await expectRejected(
      gz(rawEntry({ name: './manifest.json', data: MANIFEST }), modelEntry, signatureEntry, END),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('control character in a name', async () => {
    await expectRejected(
      gz(rawEntry({ name: 'model\n.onnx', data: 'x' }), ...validEntries(), END),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('directory entry manifest.json/', async () => {
    await expectRejected(
      gz(rawEntry({ name: 'manifest.json/', type: '5', mode: 0o755 }), ...validEntries(), END),
      'EF_BUNDLE_ENTRY_TYPE',
    );
  });

  it('symlink model.onnx -> /etc/shadow', async () => {
    const err = await expectRejected(
      gz(
        manifestEntry,
        rawEntry({ name: 'model.onnx', type: '2', linkname: '/etc/shadow' }),
        signatureEntry,
        END,
      ),
      'EF_BUNDLE_ENTRY_TYPE',
    );
    expect(err.details).toMatchObject({ path: 'model.onnx', type: 'symlink' });
  });

  it('symlink followed by a file written through it', async () => {
    await expectRejected(
      (sandbox) =>
        gz(
          rawEntry({ name: 'report.html', type: '2', linkname: join(sandbox, 'pwned') }),
          rawEntry({ name: 'report.html', data: 'owned' }),
          ...validEntries(),
          END,
        ),
      'EF_BUNDLE_ENTRY_TYPE',
    );
  });

  it('hardlink model.onnx -> /etc/passwd', async () => {
    const err = await expectRejected(
      gz(
        manifestEntry,
        rawEntry({ name: 'model.onnx', type: '1', linkname: '/etc/passwd' }),
        signatureEntry,
        END,
      ),
      'EF_BUNDLE_ENTRY_TYPE',
    );
    expect(err.details).toMatchObject({ type: 'hardlink' });
  });

  it('character device', async () => {
    await expectRejected(
      gz(
        manifestEntry,
        rawEntry({ name: 'model.onnx', type: '3', devmajor: 1, devminor: 3 }),
        signatureEntry,
        END,
      ),
      'EF_BUNDLE_ENTRY_TYPE',
    );
  });

  it('block device', async () => {
    await expectRejected(
      gz(
        manifestEntry,
        rawEntry({ name: 'model.onnx', type: '4', devmajor: 8, devminor: 0 }),
        signatureEntry,
        END,
      ),
      'EF_BUNDLE_ENTRY_TYPE',
    );
  });

  it('fifo', async () => {
    await expectRejected(
      gz(manifestEntry, rawEntry({ name: 'model.onnx', type: '6' }), signatureEntry, END),
      'EF_BUNDLE_ENTRY_TYPE',
    );
  });

  it('GNU sparse file (type S)', async () => {
    await expectRejected(
      gz(
        manifestEntry,
        rawEntry({ name: 'model.onnx', type: 'S', data: MODEL, format: 'gnu' }),
        signatureEntry,
        END,
      ),
      'EF_BUNDLE_ENTRY_TYPE',
    );
  });

  it('pax GNU.sparse file', async () => {
    await expectRejected(
      gz(
        manifestEntry,
        paxEntry({ 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0' }),
        modelEntry,
        signatureEntry,
        END,
      ),
      'EF_BUNDLE_ENTRY_TYPE',
    );
  });

  it('GNU long link name (type K)', async () => {
    await expectRejected(
      gz(
        rawEntry({ name: '././@LongLink', type: 'K', data: '/etc/shadow\0', format: 'gnu' }),
        ...validEntries(),
        END,
      ),
      'EF_BUNDLE_ENTRY_TYPE',
    );
  });

  it('duplicate manifest.json', async () => {
    const err = await expectRejected(
      gz(...validEntries(), rawEntry({ name: 'manifest.json', data: '{"evil":true}' }), END),
      'EF_BUNDLE_DUPLICATE',
    );
    expect(err.details).toMatchObject({ path: 'manifest.json' });
  });

  it('header size larger than the data (truncated entry)', async () => {
    const lying = rawEntry({ name: 'model.onnx', data: MODEL, size: 1024 * 1024 });
    await expectRejected(gz(manifestEntry, signatureEntry, lying), 'EF_BUNDLE_CORRUPT');
  });

  it('header size larger than the data, followed by an end marker', async () => {
    const lying = rawEntry({ name: 'model.onnx', data: MODEL, size: 64 * 1024 });
    await expectRejected(gz(manifestEntry, signatureEntry, lying, END), 'EF_BUNDLE_CORRUPT');
  });

  it('header size smaller than the data (data read as a header)', async () => {
    const lying = rawEntry({ name: 'model.onnx', data: Buffer.alloc(2048, 0x41), size: 10 });
    await expectRejected(gz(manifestEntry, lying, signatureEntry, END), 'EF_BUNDLE_CORRUPT');
  });

  it('bad header checksum', async () => {
    await expectRejected(
      gz(rawEntry({ name: 'manifest.json', data: MANIFEST, checksum: 1234 }), END),
      'EF_BUNDLE_CORRUPT',
    );
  });

  it('non-octal size field', async () => {
    const header = rawEntry({ name: 'manifest.json', data: MANIFEST });
    header.write('9999999999\0', 124, 'latin1');
    let sum = 0;
    header.fill(0x20, 148, 156);
    for (const byte of header.subarray(0, 512)) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    await expectRejected(gz(header, modelEntry, signatureEntry, END), 'EF_BUNDLE_CORRUPT');
  });

  it('gzip bomb: 50 MiB of zeros with a 1 MiB cap', async () => {
    const bomb = await gzipBomb(Buffer.concat(validEntries()), 50 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(200 * 1024);
    const err = await expectRejected(bomb, 'EF_BUNDLE_TOO_LARGE', {
      limits: { maxTotalBytes: 1024 * 1024 },
    });
    expect(err.details).toMatchObject({ limit: 'maxTotalBytes' });
  });

  it('gzip bomb: 2 GiB of zeros with the default caps', async () => {
    // 128 concatenated gzip members of 16 MiB of zeros each: 2 GiB decompressed, ~2 MiB
    // compressed, and never more than 16 MiB allocated to build it.
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat([
      gz(...validEntries()),
      ...Array.from({ length: 128 }, () => member),
    ]);
    expect(bomb.length).toBeLessThan(4 * 1024 * 1024);
    const err = await expectRejected(bomb, 'EF_BUNDLE_TOO_LARGE');
    expect(err.details).toMatchObject({ limit: 'maxTotalBytes', max: 600 * 1024 * 1024 });
  });

  it('file larger than its cap', async () => {
    const err = await expectRejected(gz(...validEntries(), END), 'EF_BUNDLE_TOO_LARGE', {
      limits: { maxModelBytes: 1000 },
    });
    expect(err.details).toMatchObject({ path: 'model.onnx', size: MODEL.length, max: 1000 });
  });

  it('other file larger than the per-file cap', async () => {
    await expectRejected(
      gz(...validEntries(), rawEntry({ name: 'report.html', data: Buffer.alloc(5000, 0x3c) }), END),
      'EF_BUNDLE_TOO_LARGE',
      { limits: { maxFileBytes: 4096 } },
    );
  });

  it('compressed archive larger than its cap', async () => {
    await expectRejected(gz(...validEntries(), END), 'EF_BUNDLE_TOO_LARGE', {
      limits: { maxArchiveBytes: 100 },
    });
  });

  it('too many entries', async () => {
    await expectRejected(gz(...validEntries(), END), 'EF_BUNDLE_TOO_MANY_ENTRIES', {
      limits: { maxEntries: 2 },
    });
  });

  it('too many entries: a flood of ignorable pax global headers', async () => {
    const flood = Array.from({ length: 40 }, (_, i) => paxEntry({ comment: `c${i}` }, 'g'));
    await expectRejected(gz(...flood, ...validEntries(), END), 'EF_BUNDLE_TOO_MANY_ENTRIES');
  });

  it('unexpected file name', async () => {
    const err = await expectRejected(
      gz(...validEntries(), rawEntry({ name: 'install.sh', data: '#!/bin/sh\n' }), END),
      'EF_BUNDLE_UNEXPECTED_FILE',
    );
    expect(err.details).toMatchObject({ path: 'install.sh' });
  });

  it('unexpected file name differing only in case', async () => {
    await expectRejected(
      gz(rawEntry({ name: 'MANIFEST.JSON', data: MANIFEST }), modelEntry, signatureEntry, END),
      'EF_BUNDLE_UNEXPECTED_FILE',
    );
  });

  it('missing required file', async () => {
    const err = await expectRejected(gz(manifestEntry, modelEntry, END), 'EF_BUNDLE_MISSING_FILE');
    expect(err.details).toMatchObject({ missing: ['signature.json'] });
  });

  it('empty tar (only the end marker)', async () => {
    await expectRejected(gz(END), 'EF_BUNDLE_MISSING_FILE');
  });

  it('non-gzip input (a plain tar)', async () => {
    const err = await expectRejected(Buffer.concat([...validEntries(), END]), 'EF_BUNDLE_CORRUPT');
    expect(err.details).toMatchObject({ reason: 'not gzip' });
  });

  it('non-gzip input (a zip file)', async () => {
    await expectRejected(Buffer.from('PK\u0003\u0004 not a bundle'), 'EF_BUNDLE_CORRUPT');
  });

  it('truncated gzip', async () => {
    const whole = gz(...validEntries(), END);
    await expectRejected(whole.subarray(0, Math.floor(whole.length / 2)), 'EF_BUNDLE_CORRUPT');
  });

  it('gzip with only its trailer cut off', async () => {
    const whole = gz(...validEntries(), END);
    await expectRejected(whole.subarray(0, whole.length - 4), 'EF_BUNDLE_CORRUPT');
  });

  it('gzip with a bad CRC', async () => {
    const whole = gz(...validEntries(), END);
    const bad = Buffer.from(whole);
    bad[bad.length - 6] = (bad[bad.length - 6] ?? 0) ^ 0xff;
    await expectRejected(bad, 'EF_BUNDLE_CORRUPT');
  });

  it('garbage after the gzip stream', async () => {
    await expectRejected(
      Buffer.concat([gz(...validEntries(), END), Buffer.from('trailing garbage')]),
      'EF_BUNDLE_CORRUPT',
    );
  });

  it('gzip of an empty stream', async () => {
    await expectRejected(gzipSync(Buffer.alloc(0)), 'EF_BUNDLE_CORRUPT');
  });

  it('empty input', async () => {
    const err = await expectRejected(Buffer.alloc(0), 'EF_BUNDLE_CORRUPT');
    expect(err.details).toMatchObject({ reason: 'empty' });
  });

  it('missing end-of-archive marker', async () => {
    await expectRejected(gz(...validEntries()), 'EF_BUNDLE_CORRUPT');
  });

  it('data hidden after the end-of-archive marker', async () => {
    await expectRejected(
      gz(...validEntries(), END, rawEntry({ name: 'install.sh', data: 'evil' })),
      'EF_BUNDLE_CORRUPT',
    );
  });

  it('pax header with a path override path=../../evil', async () => {
    const err = await expectRejected(
      gz(
        paxEntry({ path: '../../evil' }),
        rawEntry({ name: 'report.html', data: 'x' }),
        ...validEntries(),
        END,
      ),
      'EF_BUNDLE_PATH_UNSAFE',
    );
    expect(err.details).toMatchObject({ path: '../../evil' });
  });

  it('pax header with an absolute path override', async () => {
    await expectRejected(
      (sandbox) =>
        gz(
          paxEntry({ path: join(sandbox, 'evil') }),
          rawEntry({ name: 'report.html', data: 'x' }),
          ...validEntries(),
          END,
        ),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('pax global header with a path', async () => {
    await expectRejected(
      gz(paxEntry({ path: '../../evil' }, 'g'), ...validEntries(), END),
      'EF_BUNDLE_ENTRY_TYPE',
    );
  });

  it('pax size override that lies', async () => {
    await expectRejected(
      gz(manifestEntry, paxEntry({ size: String(1024 * 1024) }), modelEntry, signatureEntry, END),
      'EF_BUNDLE_CORRUPT',
    );
  });

  it('malformed pax record', async () => {
    const bad = rawEntry({ name: 'PaxHeader/x', type: 'x', data: '99 path=x\n' });
    await expectRejected(gz(bad, ...validEntries(), END), 'EF_BUNDLE_CORRUPT');
  });

  it('pax header not followed by an entry', async () => {
    await expectRejected(
      gz(...validEntries(), paxEntry({ comment: 'x' }), END),
      'EF_BUNDLE_CORRUPT',
    );
  });

  it('GNU long name ././@LongLink pointing outside', async () => {
    const err = await expectRejected(
      gz(
        longNameEntry('../../../../evil'),
        rawEntry({ name: 'report.html', data: 'x', format: 'gnu' }),
        ...validEntries(),
        END,
      ),
      'EF_BUNDLE_PATH_UNSAFE',
    );
    expect(err.details).toMatchObject({ path: '../../../../evil' });
  });

  it('GNU long name with an absolute path', async () => {
    await expectRejected(
      gz(
        longNameEntry('/etc/cron.d/evil'),
        rawEntry({ name: 'report.html', data: 'x' }),
        ...validEntries(),
        END,
      ),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('conflicting pax path and GNU long name', async () => {
    await expectRejected(
      gz(
        longNameEntry('report.html'),
        paxEntry({ path: 'manifest.json' }),
        rawEntry({ name: 'x', data: 'x' }),
        modelEntry,
        signatureEntry,
        END,
      ),
      'EF_BUNDLE_PATH_UNSAFE',
    );
  });

  it('destination that already exists', async () => {
    const sandbox = join(root, 'dest-exists');
    const dest = join(sandbox, 'bundle');
    await mkdir(dest, { recursive: true });
    await writeFile(join(dest, 'keep.txt'), 'keep');
    const archivePath = join(sandbox, 'ok.efb');
    await writeFile(archivePath, gz(...validEntries(), END));
    await expect(extractBundleArchive(archivePath, dest)).rejects.toMatchObject({
      code: 'EF_BUNDLE_DEST_EXISTS',
    });
    expect(await tree(sandbox)).toEqual(['bundle/', 'bundle/keep.txt', 'ok.efb']);
  });
});
