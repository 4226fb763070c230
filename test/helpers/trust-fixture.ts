/**
 * Keys, a keyring and real signed PM bundles for hub/agent tests: one place, so every test
 * trusts the same way an operator's fleet does (root signs the keyring; the release key signs
 * bundles; the deploy key signs desired state).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '@edgefleet/compiler';
import {
  createKeyring,
  generateKeyPair,
  parseDuration,
  publicKeyToBase64,
} from '@edgefleet/protocol';
import type { SignedKeyring } from '@edgefleet/protocol';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a committed fixture, e.g. `fixture('models/pm-mlp.onnx')`. */
export function fixture(relative: string): string {
  return join(REPO_ROOT, 'fixtures', relative);
}

export interface KeyPairPem {
  privateKey: string;
  publicKey: string;
}

function pair(): KeyPairPem {
  const { privateKeyPem, publicKeyPem } = generateKeyPair();
  return { privateKey: privateKeyPem, publicKey: publicKeyPem };
}

export interface TrustFixture {
  root: KeyPairPem;
  release: KeyPairPem;
  deploy: KeyPairPem;
  keyring: SignedKeyring;
  /** base64 raw Ed25519 root public key, as `device.json` carries it. */
  rootPublicKeyBase64: string;
  /** Writes the keys and keyring with the names `keys generate` / `keys keyring` use. */
  writeTo(dir: string): Promise<void>;
}

/**
 * Fresh root, release and deploy keys and a keyring valid for a year.
 *
 * @example
 * const trust = makeTrust();
 */
export function makeTrust(): TrustFixture {
  const root = pair();
  const release = pair();
  const deploy = pair();
  const keyring = createKeyring({
    rootPrivateKey: root.privateKey,
    release: [release.publicKey],
    deploy: [deploy.publicKey],
    expires: new Date(Date.now() + parseDuration('365d')),
  });
  return {
    root,
    release,
    deploy,
    keyring,
    rootPublicKeyBase64: publicKeyToBase64(root.publicKey),
    async writeTo(dir: string) {
      await mkdir(dir, { recursive: true });
      for (const [role, pair] of Object.entries({ root, release, deploy })) {
        await writeFile(join(dir, `${role}.key`), pair.privateKey, { mode: 0o600 });
        await writeFile(join(dir, `${role}.pub`), pair.publicKey);
      }
      await writeFile(join(dir, 'keyring.json'), `${JSON.stringify(keyring, null, 2)}\n`);
    },
  };
}

/**
 * Compiles (with `releaseKey`, a PEM) the fixture predictive-maintenance model into a real signed bundle (no
 * quantization: about a second). Returns the `.efb` path.
 *
 * @example
 * const efb = await buildPmBundle(dir, trust.release.privateKey, { version: '1.1.0' });
 */
export async function buildPmBundle(
  dir: string,
  releaseKey: string,
  options: { name?: string; version?: string; model?: string } = {},
): Promise<string> {
  const name = options.name ?? 'pm';
  const version = options.version ?? '1.0.0';
  const out = join(dir, `${name}-${version}.efb`);
  const keyFile = join(dir, `${name}-${version}.release.key`);
  await writeFile(keyFile, releaseKey, { mode: 0o600 });
  await compile({
    model: options.model ?? fixture('models/pm-mlp.onnx'),
    data: fixture('data/pm/calibration.csv'),
    eval: fixture('data/pm/eval.csv'),
    preprocess: fixture('data/pm/preprocess.json'),
    releaseKey: keyFile,
    name,
    version,
    quantize: 'none',
    out,
  });
  return out;
}
