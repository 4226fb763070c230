import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair } from '@edgefleet/protocol';

export const fixture = (path: string): string =>
  fileURLToPath(new URL(`../../../../fixtures/${path}`, import.meta.url));

/** A temp dir with a fresh release key pair; `cleanup()` removes it. */
export async function workspace(): Promise<{
  dir: string;
  key: string;
  pub: string;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'ef-compile-'));
  const pair = generateKeyPair();
  await writeFile(join(dir, 'release.key'), pair.privateKeyPem, { mode: 0o600 });
  await writeFile(join(dir, 'release.pub'), pair.publicKeyPem);
  return {
    dir,
    key: join(dir, 'release.key'),
    pub: pair.publicKeyPem,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The PM model's compile options; tests override what they exercise. */
export function pmOptions(dir: string, key: string) {
  return {
    model: fixture('models/pm-mlp.onnx'),
    data: fixture('data/pm/calibration.csv'),
    eval: fixture('data/pm/eval.csv'),
    preprocess: fixture('data/pm/preprocess.json'),
    releaseKey: key,
    name: 'pm',
    version: '1.0.0',
    out: join(dir, 'pm.efb'),
  };
}
