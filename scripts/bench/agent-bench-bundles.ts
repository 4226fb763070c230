/**
 * The bundles the agent benchmark serves: the fixture PM models compiled without quantization,
 * signed with a fresh release key and extracted as the installer does, in a temp dir.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { extractVerifiedBundle } from '@edgefleet/runtime';

import type { InstalledBundle } from '../../packages/agent/src/inference/index.js';
import { buildPmBundle, fixture, makeTrust } from '../../test/helpers/trust-fixture.js';

export interface BenchBundles {
  /** The PM classifier (8-64-64-5 MLP, 21 KB): the model of the goals. */
  pm: InstalledBundle;
  /** The wide PM classifier (8-768-768-5 MLP, 2.4 MB): where a run costs more than a hop. */
  pmWide: InstalledBundle;
  close(): Promise<void>;
}

/**
 * Compiles and installs both PM bundles (about two seconds each).
 *
 * @example
 * const bundles = await installBenchBundles();
 * try { await measureInference(bundles.pm); } finally { await bundles.close(); }
 */
export async function installBenchBundles(): Promise<BenchBundles> {
  const dir = await mkdtemp(join(tmpdir(), 'ef-bench-agent-'));
  try {
    const trust = makeTrust();
    const install = async (name: string, model: string): Promise<InstalledBundle> => {
      const efb = await buildPmBundle(dir, trust.release.privateKey, { name, model });
      const extracted = await extractVerifiedBundle(efb, join(dir, `bundle-${name}`), {
        keyring: trust.keyring,
      });
      const { manifest } = extracted;
      return {
        name: manifest.name,
        version: manifest.version,
        sha256: extracted.archiveSha256,
        dir: extracted.dir,
        manifest,
      };
    };
    return {
      pm: await install('pm', fixture('models/pm-mlp.onnx')),
      pmWide: await install('pm-wide', fixture('models/pm-wide-mlp.onnx')),
      close: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
