import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectBundle } from '@edgefleet/runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPmBundle, makeTrust } from '../../../test/helpers/trust-fixture.js';
import { deviceLines, releaseLines } from '../src/hub-view-format.js';
import type { DeviceView, ReleaseView } from '../src/hub-views.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ef-cli-view-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('release and device lines', () => {
  it('a release with a real manifest shows its model summary, without a claimed signer', async () => {
    const trust = makeTrust();
    const efb = await buildPmBundle(dir, trust.release.privateKey);
    const bundle = await inspectBundle(efb);
    const release: ReleaseView = {
      name: 'pm',
      version: '1.0.0',
      sha256: bundle.archiveSha256,
      bytes: 1234,
      publishedAt: '2025-01-01T00:00:00.000Z',
      manifest: bundle.manifest,
    };
    const lines = releaseLines(release);
    expect(lines[0]).toBe('release pm@1.0.0');
    expect(lines.join('\n')).toContain('  preprocess  tabular');
    expect(lines.join('\n')).not.toContain('signer');
  });

  it('a device with deployments, health and drift', () => {
    const device: DeviceView = {
      id: 'press-07',
      tags: {},
      createdAt: '2025-01-01T00:00:00.000Z',
      revokedAt: null,
      lastSeenAt: '2025-01-02T00:00:00.000Z',
      online: true,
      models: [{ name: 'pm', version: '1.0.0', sha256: 'a'.repeat(64) }],
      desired: null,
      deployments: [
        {
          model: 'pm',
          version: '1.1.0',
          state: 'failed',
          errorCode: 'EF_X',
          ts: '2025-01-02T00:00:00.000Z',
        },
      ],
      health: { cpu: 0.5, note: 'x'.repeat(500) },
      drift: [{}],
    };
    const text = deviceLines(device).join('\n');
    expect(text).toContain('device press-07 (online)');
    expect(text).toContain('running     pm@1.0.0');
    expect(text).toContain('deployment  pm@1.1.0 failed (EF_X) at 2025-01-02');
    expect(text).toMatch(/health {6}\{"cpu":0\.5,.*\.\.\.\n/);
    expect(text).toContain('drift       1 model(s) reported');
  });
});
