import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBundle, startHarness } from './hub-cli-harness.js';
import type { Harness } from './hub-cli-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.hub.api.publishRelease(fakeBundle('pm', '1.0.0'));
  await h.hub.api.enrollDevice('press-07', {});
});
afterEach(async () => {
  await h.close();
});

describe('deploy', () => {
  it('assigns the release and prints the desired state version', async () => {
    const r = await h.cli(['deploy', 'pm@1.0.0', '--device', 'press-07']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^deployed pm@1\.0\.0 to press-07 \(desired state v1, expires /);
    const doc = await h.json<{ deployment: unknown }>('deploy', 'pm@1.0.0', '--device', 'press-07');
    expect(doc.deployment).toMatchObject({
      name: 'pm',
      version: '1.0.0',
      deviceId: 'press-07',
      desiredVersion: 2,
    });
  });

  it('an unknown release shows the hub code and message', async () => {
    const r = await h.cli(['deploy', 'pm@2.0.0', '--device', 'press-07']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error EF_HUB_RELEASE_NOT_FOUND: the hub refused: no release pm@2.0.0\n');
  });

  it('needs name@version and --device', async () => {
    expect((await h.cli(['deploy', 'pm', '--device', 'press-07'])).code).toBe(2);
    expect((await h.cli(['deploy', 'pm@1.0.0'])).err).toContain('--device is required');
  });
});
