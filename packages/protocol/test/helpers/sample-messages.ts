// Valid instances of every message and document, shared by the round-trip, tamper and fuzz tests.
import { createHash } from 'node:crypto';
import {
  createKeyring,
  generateKeyPair,
  signDesiredState,
  type DesiredState,
  type Manifest,
} from '../../src/index.js';

export const NOW = new Date('2025-06-01T12:00:00.000Z');
export const LATER = new Date('2026-06-01T12:00:00.000Z');
export const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function makeKeys() {
  return {
    rootA: generateKeyPair(),
    rootB: generateKeyPair(),
    rootC: generateKeyPair(),
    release: generateKeyPair(),
    deploy: generateKeyPair(),
    other: generateKeyPair(),
  };
}
export type Keys = ReturnType<typeof makeKeys>;

export function makeKeyring(keys: Keys, expires = LATER) {
  return createKeyring({
    rootPrivateKey: keys.rootA.privateKeyPem,
    release: [keys.release.publicKeyPem],
    deploy: [keys.deploy.publicKeyPem],
    expires,
    now: NOW,
  });
}

export function makeDesired(overrides: Partial<DesiredState> = {}): DesiredState {
  return {
    type: 'edgefleet-desired',
    device: 'press-07',
    version: 5,
    issuedAt: NOW.toISOString(),
    expires: '2025-06-08T12:00:00.000Z',
    models: [
      {
        name: 'pump-anomaly',
        version: '1.2.0',
        sha256: sha('bundle'),
        bytes: 123456,
        rolloutId: 'ro-1',
        wave: 0,
      },
    ],
    allowDowngrade: false,
    ...overrides,
  };
}

export function makeEnvelope(keys: Keys, desired = makeDesired()) {
  return signDesiredState(desired, keys.deploy.privateKeyPem, makeKeyring(keys));
}

export function makeManifest(): Manifest {
  const model = sha('model');
  return {
    schemaVersion: 1,
    name: 'pump-anomaly',
    version: '1.2.0',
    createdAt: NOW.toISOString(),
    compiler: { name: '@edgefleet/compiler', version: '0.1.0' },
    model: {
      file: 'model.onnx',
      sha256: model,
      bytes: 2048,
      opset: 17,
      inputs: [{ name: 'input', dtype: 'float32', shape: ['batch', 2] }],
      outputs: [{ name: 'probabilities', dtype: 'float32', shape: [null, 2] }],
    },
    preprocess: {
      kind: 'tabular',
      input: 'input',
      features: [
        { name: 'temperature', impute: 20, clip: [-40, 150], mean: 55.5, std: 12.25 },
        { name: 'vibration', mean: 0.3, std: 0.1 },
      ],
    },
    postprocess: { task: 'classification', output: 'probabilities', labels: ['ok', 'fault'] },
    quantization: { mode: 'int8-dynamic', weightType: 'int8', perChannel: true },
    validation: {
      metric: 'accuracy',
      fp32: 0.95,
      quantized: 0.945,
      delta: -0.005,
      top1Agreement: 0.99,
      maxAbsError: 0.02,
      latencyMsFp32: 0.4,
      latencyMsQuantized: 0.25,
      bytesFp32: 8192,
      bytesQuantized: 2048,
      samples: 500,
    },
    baseline: {
      windowSize: 500,
      features: [
        {
          name: 'temperature',
          edges: [40, 55, 70],
          shares: [0.25, 0.25, 0.25, 0.25],
          mean: 55.5,
          std: 12.25,
          threshold: { psi: 0.12, js: 0.05, ks: 0.1 },
        },
        {
          name: 'vibration',
          edges: [0.3],
          shares: [0.5, 0.5],
          mean: 0.3,
          std: 0.1,
          threshold: { psi: 0.1 },
        },
      ],
      output: { kind: 'classes', shares: [0.9, 0.1] },
      rule: { driftedShare: 0.5 },
    },
    smokeTests: [
      {
        inputs: { input: { dims: [1, 2], data: [50, 0.25] } },
        expected: { probabilities: { dims: [1, 2], data: [0.9, 0.1] } },
        tolerance: { abs: 0.01, rel: 0.01 },
      },
    ],
    runtime: { onnxruntime: '1.17.0', architectures: ['x64', 'arm64'] },
    files: { 'model.onnx': model, 'report.html': sha('report') },
  };
}

const BOOT = '6f1c2d3e-0000-4000-8000-000000000001';

export function makeMessages() {
  return {
    status: {
      device: 'press-07',
      bootId: BOOT,
      seq: 12,
      ts: NOW.toISOString(),
      desiredVersion: 5,
      executionId: 'exec-5-pump-anomaly',
      model: 'pump-anomaly',
      version: '1.2.0',
      sha256: sha('bundle'),
      state: 'downloading',
      progress: { bytes: 65536, total: 123456 },
    },
    telemetryHealth: {
      device: 'press-07',
      bootId: BOOT,
      seq: 13,
      stream: 'health',
      sentAt: NOW.toISOString(),
      records: [
        {
          ts: NOW.toISOString(),
          uptimeS: 3600,
          cpu: 0.25,
          memory: { rss: 100_000_000, total: 4_000_000_000, free: 2_000_000_000 },
          disk: { free: 10_000_000_000, total: 32_000_000_000 },
          outbox: { depth: 3, bytes: 4096, dropped: 0, expired: 0 },
          models: [
            {
              name: 'pump-anomaly',
              version: '1.2.0',
              requests: 1000,
              errors: 1,
              latencyMs: { p50: 1.2, p95: 3.4, p99: 8.9 },
            },
          ],
        },
      ],
    },
    telemetryDrift: {
      device: 'press-07',
      bootId: BOOT,
      seq: 14,
      stream: 'drift',
      sentAt: NOW.toISOString(),
      records: [
        {
          model: 'pump-anomaly',
          version: '1.2.0',
          windowStart: '2025-06-01T11:00:00.000Z',
          windowEnd: NOW.toISOString(),
          count: 500,
          features: [{ name: 'temperature', counts: [100, 150, 150, 100] }],
          output: { counts: [450, 50] },
          scores: [{ name: 'temperature', psi: 0.01, js: 0.002, ks: 0.05 }],
          drifted: false,
        },
      ],
    },
    telemetryInference: {
      device: 'press-07',
      bootId: BOOT,
      seq: 15,
      stream: 'inference',
      sentAt: NOW.toISOString(),
      records: [
        {
          model: 'pump-anomaly',
          version: '1.2.0',
          windowStart: '2025-06-01T11:00:00.000Z',
          windowEnd: NOW.toISOString(),
          count: 500,
          errors: 0,
          latencyMs: { p50: 1, p95: 2, p99: 3 },
          outputs: { counts: [450, 50] },
        },
      ],
    },
    telemetryEvents: {
      device: 'press-07',
      bootId: BOOT,
      seq: 16,
      stream: 'events',
      sentAt: NOW.toISOString(),
      records: [
        {
          ts: NOW.toISOString(),
          level: 'warn',
          code: 'EF_AGENT_ROLLBACK',
          message: 'rolled back',
          details: { from: '1.2.0' },
        },
      ],
    },
    ack: {
      bootId: BOOT,
      ranges: [
        [0, 16],
        [20, 25],
      ],
      ts: NOW.toISOString(),
    },
    birth: {
      device: 'press-07',
      bootId: BOOT,
      ts: NOW.toISOString(),
      agentVersion: '0.1.0',
      arch: 'arm64',
      platform: 'linux',
      hardware: { model: 'rpi5', memoryMb: 8192 },
      models: [{ name: 'pump-anomaly', version: '1.1.0', sha256: sha('old') }],
    },
    death: { device: 'press-07', bootId: BOOT, ts: NOW.toISOString(), reason: 'connection lost' },
    hubState: { state: 'online', ts: NOW.toISOString(), hubVersion: '0.1.0' },
    blobRequest: { sha256: sha('bundle'), offset: 65536, length: 65536, requestId: 'r-2' },
  };
}
