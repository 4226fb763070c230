import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair } from '@edgefleet/protocol';

export const fixture = (path: string): string =>
  fileURLToPath(new URL(`../../../fixtures/${path}`, import.meta.url));

/** A temp dir with a fresh release key pair; `cleanup()` removes it. */
export async function workspace(): Promise<{
  dir: string;
  key: string;
  pub: string;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'ef-cli-'));
  const pair = generateKeyPair();
  await writeFile(join(dir, 'release.key'), pair.privateKeyPem, { mode: 0o600 });
  return {
    dir,
    key: join(dir, 'release.key'),
    pub: pair.publicKeyPem,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
