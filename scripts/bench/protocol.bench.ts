import {
  canonicalBytes,
  createKeyring,
  generateKeyPair,
  parseTelemetryBatch,
  signDesiredState,
  verifyDesiredState,
} from '@edgefleet/protocol';
import { timeIt, timingTable } from './measure.js';
import type { BenchSuite } from './suite.js';

function healthBatch(records: number): Buffer {
  const now = new Date().toISOString();
  const record = {
    ts: now,
    uptimeS: 3600,
    cpu: 0.42,
    memory: { rss: 120e6, total: 4e9, free: 2e9 },
    disk: { free: 10e9, total: 32e9 },
    outbox: { depth: 3, bytes: 4096, dropped: 0, expired: 0 },
    models: [
      {
        name: 'pm',
        version: '1.0.0',
        requests: 1200,
        errors: 1,
        latencyMs: { p50: 0.8, p95: 1.9, p99: 3.1 },
      },
    ],
  };
  return Buffer.from(
    JSON.stringify({
      device: 'plant-a-0001',
      bootId: '3f1c2a0e-7d8b-4c1a-9e2f-0a1b2c3d4e5f',
      seq: 42,
      stream: 'health',
      sentAt: now,
      records: Array.from({ length: records }, () => record),
    }),
  );
}

/** The hub signs a desired state per device and every device verifies each one it receives. */
export const protocolSuite: BenchSuite = {
  id: 'protocol',
  title: 'Protocol: signing, verification, parsing',
  async run(log) {
    const root = generateKeyPair();
    const release = generateKeyPair();
    const deploy = generateKeyPair();
    const now = new Date();
    const keyring = createKeyring({
      rootPrivateKey: root.privateKeyPem,
      release: [release.publicKeyPem],
      deploy: [deploy.publicKeyPem],
      expires: new Date(now.getTime() + 86_400_000),
    });
    const desired = {
      type: 'edgefleet-desired' as const,
      device: 'plant-a-0001',
      version: 7,
      issuedAt: now.toISOString(),
      expires: new Date(now.getTime() + 3_600_000).toISOString(),
      models: [
        {
          name: 'pm',
          version: '1.2.0',
          sha256: 'a'.repeat(64),
          bytes: 123456,
          rolloutId: 'r1',
          wave: 1,
        },
      ],
      allowDowngrade: false,
    };
    const envelope = signDesiredState(desired, deploy.privateKeyPem, keyring);
    const wire = Buffer.from(JSON.stringify(envelope));
    const batch = healthBatch(20);
    const rows = [
      await timeIt('canonicalize a desired state (RFC 8785)', () => canonicalBytes(desired)),
      await timeIt('sign a desired state (hub, per device)', () =>
        signDesiredState(desired, deploy.privateKeyPem, keyring),
      ),
      await timeIt('verify a desired-state envelope incl. keyring (device)', () =>
        verifyDesiredState(wire, {
          deviceId: 'plant-a-0001',
          rootPublicKey: root.publicKeyPem,
          lastVersion: 6,
          now,
        }),
      ),
      await timeIt(`parse a health batch of 20 records (${batch.length} bytes, hub ingest)`, () =>
        parseTelemetryBatch(batch),
      ),
    ];
    for (const r of rows) log(`${r.name}: ${r.opsPerSecond.toFixed(0)} ops/s`);
    return [
      'One core, in process. Verification includes the keyring in the envelope (root signature) and the',
      'deploy-key signature: two Ed25519 verifications and two canonicalizations.',
      '',
      timingTable(rows),
    ].join('\n');
  },
};
