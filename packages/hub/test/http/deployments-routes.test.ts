import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBundle } from './fake-hub-api.js';
import { sendAsOperator, startTestApi } from './http-test-server.js';
import type { TestApi } from './http-test-server.js';

let hub: TestApi;
beforeEach(async () => {
  hub = await startTestApi();
  await hub.api.publishRelease(fakeBundle('pm', '1.0.0'));
  await hub.api.enrollDevice('press-07', {});
});
afterEach(async () => {
  await hub.close();
});

const deploy = (body: unknown) => sendAsOperator(hub.url, 'POST', '/v1/deployments', body);

describe('POST /v1/deployments', () => {
  it('assigns a release to a device: 201 with the DeploymentView', async () => {
    const res = await deploy({ name: 'pm', version: '1.0.0', deviceId: 'press-07' });
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({
      deviceId: 'press-07',
      name: 'pm',
      version: '1.0.0',
      desiredVersion: 1,
    });
  });

  it('passes allowDowngrade through only when given', async () => {
    await deploy({ name: 'pm', version: '1.0.0', deviceId: 'press-07' });
    expect(hub.api.lastDeployOptions).toBeUndefined();
    await deploy({ name: 'pm', version: '1.0.0', deviceId: 'press-07', allowDowngrade: false });
    expect(hub.api.lastDeployOptions).toEqual({ allowDowngrade: false });
    expect(
      (await deploy({ name: 'pm', version: '1.0.0', deviceId: 'press-07', allowDowngrade: 'yes' }))
        .status,
    ).toBe(400);
  });

  it('an unknown release or device is 404 with the API code', async () => {
    const release = await deploy({ name: 'pm', version: '2.0.0', deviceId: 'press-07' });
    expect(release.status).toBe(404);
    expect(release.json()).toMatchObject({ error: { code: 'EF_HUB_RELEASE_NOT_FOUND' } });
    const device = await deploy({ name: 'pm', version: '1.0.0', deviceId: 'zz' });
    expect(device.status).toBe(404);
    expect(device.json()).toMatchObject({ error: { code: 'EF_HUB_STORE_UNKNOWN_DEVICE' } });
  });

  it('a body missing a field or with a bad version is 400', async () => {
    expect((await deploy({ name: 'pm', deviceId: 'press-07' })).status).toBe(400);
    expect((await deploy({ name: 'pm', version: 'latest', deviceId: 'press-07' })).status).toBe(
      400,
    );
    expect(hub.api.calls).not.toContain('deploy');
  });
});
