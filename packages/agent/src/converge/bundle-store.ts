/**
 * Extracted bundles: `<state>/bundles/<sha256>/`. A bundle is extracted with the hostile-input
 * extractor into a staging folder, its signature (against the trusted keyring) and digests are
 * checked, and only then is it renamed into place: a `bundles/<sha256>/` folder is always
 * complete and verified, and a crash mid-extraction leaves only a staging folder that the next
 * start deletes.
 */
import { mkdir, mkdtemp, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleFileNames, parseManifest } from '@edgefleet/protocol';
import type { SignedKeyring } from '@edgefleet/protocol';
import { extractVerifiedBundle } from '@edgefleet/runtime';
import type { InstalledBundle } from '../inference/model-host-api.js';
import { ConvergeError, toInstallIoError } from './converge-errors.js';

const SHA256 = /^[0-9a-f]{64}$/;
const STAGING_PREFIX = '.staging-';

/** What a bundle must be: the desired state's name, version and sha256. */
export interface ExpectedBundle {
  name: string;
  version: string;
  sha256: string;
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Best effort: not every platform can fsync a folder.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function assertMatches(bundle: InstalledBundle, expected: ExpectedBundle): void {
  if (bundle.name !== expected.name || bundle.version !== expected.version) {
    throw new ConvergeError(
      'EF_AGENT_BUNDLE_MISMATCH',
      `bundle ${expected.sha256} is ${bundle.name} ${bundle.version}, but the desired state names ${expected.name} ${expected.version}`,
      {
        sha256: expected.sha256,
        manifestName: bundle.name,
        manifestVersion: bundle.version,
        name: expected.name,
        version: expected.version,
      },
    );
  }
}

/** The extracted bundles folder. */
export class BundleStore {
  constructor(readonly dir: string) {}

  /** `<bundles>/<sha256>`. */
  dirOf(sha256: string): string {
    if (!SHA256.test(sha256)) {
      throw new ConvergeError('EF_AGENT_INSTALL_IO', `${JSON.stringify(sha256)} is not a sha256`);
    }
    return join(this.dir, sha256);
  }

  /** True when the verified folder of `sha256` exists. */
  async has(sha256: string): Promise<boolean> {
    try {
      return (await stat(join(this.dirOf(sha256), bundleFileNames.manifest))).isFile();
    } catch {
      return false;
    }
  }

  /**
   * The extracted bundle `sha256` as the model host takes it (manifest read back from disk).
   *
   * @example
   * const bundle = await bundles.load(pointer.sha256);
   */
  async load(sha256: string): Promise<InstalledBundle> {
    const dir = this.dirOf(sha256);
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, bundleFileNames.manifest));
    } catch (err) {
      throw toInstallIoError(err, `reading the manifest of bundle ${sha256}`);
    }
    // The signature was checked before the folder was renamed into place; re-checking it here
    // would stop a device from serving its installed model once the release key expires.
    const manifest = parseManifest(bytes);
    return { name: manifest.name, version: manifest.version, sha256, dir, manifest };
  }

  /**
   * Extracts and verifies `archivePath` into `bundles/<sha256>/` (reusing a complete folder),
   * and checks that it is the bundle the desired state names. Throws the runtime's bundle codes
   * (`EF_BUNDLE_*`) or `EF_AGENT_BUNDLE_MISMATCH`; nothing is left behind on failure.
   *
   * @example
   * const bundle = await bundles.install(efbPath, { name: 'pm', version: '1.1.0', sha256 }, keyring);
   */
  async install(
    archivePath: string,
    expected: ExpectedBundle,
    keyring: SignedKeyring,
    signal?: AbortSignal,
  ): Promise<InstalledBundle> {
    const final = this.dirOf(expected.sha256);
    if (await this.has(expected.sha256)) {
      const existing = await this.load(expected.sha256);
      assertMatches(existing, expected);
      return existing;
    }
    let staging: string;
    try {
      await mkdir(this.dir, { recursive: true });
      staging = await mkdtemp(join(this.dir, `${STAGING_PREFIX}${expected.sha256.slice(0, 16)}-`));
    } catch (err) {
      throw toInstallIoError(err, `creating a staging folder in ${this.dir}`);
    }
    try {
      const extracted = await extractVerifiedBundle(archivePath, join(staging, 'bundle'), {
        keyring,
        ...(signal ? { signal } : {}),
      });
      if (extracted.archiveSha256 !== expected.sha256) {
        throw new ConvergeError(
          'EF_AGENT_BUNDLE_MISMATCH',
          `archive hashes to ${extracted.archiveSha256}, not ${expected.sha256}`,
          { expected: expected.sha256, actual: extracted.archiveSha256 },
        );
      }
      const bundle: InstalledBundle = {
        name: extracted.manifest.name,
        version: extracted.manifest.version,
        sha256: expected.sha256,
        dir: final,
        manifest: extracted.manifest,
      };
      assertMatches(bundle, expected);
      try {
        await rename(extracted.dir, final);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Someone completed the same bundle meanwhile: its folder is as good as ours.
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
      }
      await fsyncDir(this.dir);
      return bundle;
    } catch (err) {
      throw toInstallIoError(err, `installing bundle ${expected.sha256}`);
    } finally {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Deletes staging folders a crash left behind (half-extracted bundles). */
  async cleanStaging(): Promise<void> {
    for (const name of await this.names()) {
      if (name.startsWith(STAGING_PREFIX)) {
        await rm(join(this.dir, name), { recursive: true, force: true }).catch(() => undefined);
      }
    }
  }

  /**
   * Deletes every bundle folder whose sha256 is not in `keep`; returns the deleted ones.
   *
   * @example
   * await bundles.retainOnly(new Set([current.sha256, current.previous.sha256]));
   */
  async retainOnly(keep: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await this.names()) {
      if (!SHA256.test(name) || keep.has(name)) continue;
      await rm(join(this.dir, name), { recursive: true, force: true }).catch(() => undefined);
      removed.push(name);
    }
    return removed;
  }

  private async names(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch {
      return [];
    }
  }
}
