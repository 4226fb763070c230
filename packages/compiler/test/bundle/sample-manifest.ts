/**
 * A complete, schema-valid manifest for the tiny real ONNX model
 * `test/onnx/fixtures/mlp-opset13.onnx` (Linear(4,8) -> ReLU -> Linear(8,3), input `input`
 * [batch, 4], output `output` [batch, 3]), plus the keys and keyring the bundle tests sign
 * with. Pure data and protocol calls only, so the runtime's bundle tests can use it too.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createKeyring, generateKeyPair } from '@edgefleet/protocol';
import type { Manifest, SignedKeyring } from '@edgefleet/protocol';
import type { UnsignedManifest } from '../../src/bundle/complete-manifest.js';

export const SAMPLE_MODEL_PATH = fileURLToPath(
  new URL('../onnx/fixtures/mlp-opset13.onnx', import.meta.url),
);
export const NOW = new Date('2025-06-01T12:00:00.000Z');
export const KEYRING_EXPIRES = new Date('2026-06-01T12:00:00.000Z');

/** The bytes of the sample model (728 bytes). */
export function readSampleModel(): Buffer {
  return readFileSync(SAMPLE_MODEL_PATH);
}

const FEATURES = ['temperature', 'vibration', 'pressure', 'current'];

/**
 * A manifest for the sample model without `files`, `model.sha256` and `model.bytes` (what
 * `writeSignedBundle` takes). Smoke-test numbers are PyTorch's outputs for a fixed input
 * (`test/onnx/fixtures/expected.json`).
 */
export function sampleUnsignedManifest(): UnsignedManifest {
  return {
    schemaVersion: 1,
    name: 'pump-anomaly',
    version: '1.2.0',
    createdAt: NOW.toISOString(),
    compiler: { name: '@edgefleet/compiler', version: '0.1.0' },
    model: {
      file: 'model.onnx',
      opset: 13,
      inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 4] }],
      outputs: [{ name: 'output', dtype: 'float32', shape: ['batch', 3] }],
    },
    preprocess: {
      kind: 'tabular',
      input: 'input',
      features: [
        { name: 'temperature', impute: 20, clip: [-40, 150], mean: 55.5, std: 12.25 },
        { name: 'vibration', mean: 0.3, std: 0.1 },
        { name: 'pressure', mean: 1.2, std: 0.4 },
        { name: 'current', clip: [0, 40], mean: 12, std: 3 },
      ],
    },
    postprocess: {
      task: 'classification',
      output: 'output',
      labels: ['ok', 'wear', 'fault'],
      thresholds: [0.5, 0.6, 0.7],
    },
    quantization: {
      mode: 'int8-dynamic',
      weightType: 'int8',
      perChannel: true,
      calibration: { method: 'minmax', samples: 256 },
    },
    validation: {
      metric: 'accuracy',
      fp32: 0.95,
      quantized: 0.945,
      delta: -0.005,
      top1Agreement: 0.99,
      maxAbsError: 0.02,
      latencyMsFp32: 0.4,
      latencyMsQuantized: 0.25,
      bytesFp32: 2912,
      bytesQuantized: 728,
      samples: 500,
    },
    baseline: {
      windowSize: 500,
      features: FEATURES.map((name, i) => ({
        name,
        edges: [-1, 0, 1],
        shares: [0.25, 0.25, 0.25, 0.25],
        mean: i * 0.1,
        std: 1,
        threshold: i === 0 ? { psi: 0.12, js: 0.05, ks: 0.1 } : { psi: 0.1 },
      })),
      output: { kind: 'classes', shares: [0.8, 0.15, 0.05] },
      rule: { driftedShare: 0.5 },
    },
    smokeTests: [
      {
        inputs: {
          input: {
            dims: [2, 4],
            data: [
              0.9291384816169739, -0.6732723712921143, 0.12202875316143036, -0.2466733455657959,
              1.1869099140167236, -0.3519437313079834, -1.3727598190307617, -0.5066478252410889,
            ],
          },
        },
        expected: {
          output: {
            dims: [2, 3],
            data: [
              -0.06880229711532593, -0.3299960494041443, -0.0227297842502594, -0.18211689591407776,
              -0.257865846157074, -0.07998805493116379,
            ],
          },
        },
        tolerance: { abs: 1e-4, rel: 1e-3 },
      },
    ],
    runtime: { onnxruntime: '1.17.0', architectures: ['x64', 'arm64'] },
  };
}

/**
 * The complete manifest for `model` (digests filled in), for tests that pack bundles by hand.
 * `extraFiles` maps other file names to their sha256.
 */
export function sampleManifest(
  modelSha256: string,
  modelBytes: number,
  extraFiles: Record<string, string> = {},
): Manifest {
  const draft = sampleUnsignedManifest();
  return {
    ...draft,
    model: { ...draft.model, sha256: modelSha256, bytes: modelBytes },
    files: { 'model.onnx': modelSha256, ...extraFiles },
  };
}

/** Fresh root, release, deploy and unrelated key pairs (PEM). */
export function makeBundleKeys() {
  return {
    root: generateKeyPair(),
    release: generateKeyPair(),
    deploy: generateKeyPair(),
    stranger: generateKeyPair(),
  };
}
export type BundleKeys = ReturnType<typeof makeBundleKeys>;

/** A root-signed keyring listing the release and deploy keys, issued at {@link NOW}. */
export function makeBundleKeyring(
  keys: BundleKeys,
  keyExpires: Date = KEYRING_EXPIRES,
): SignedKeyring {
  return createKeyring({
    rootPrivateKey: keys.root.privateKeyPem,
    release: [keys.release.publicKeyPem],
    deploy: [keys.deploy.publicKeyPem],
    expires: KEYRING_EXPIRES,
    keyExpires,
    now: NOW,
  });
}
