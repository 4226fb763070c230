import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBundle } from './fake-hub-api.js';
import { operator, send, sendAsOperator, startTestApi } from './http-test-server.js';
import type { TestApi } from './http-test-server.js';

let hub: TestApi;
beforeEach(async () => {
  hub = await startTestApi();
});
afterEach(async () => {
  await hub.close();
});

const publish = (body: Buffer, type = 'application/octet-stream') =>
  send(hub.url, 'POST', '/v1/releases', { headers: { ...operator, 'content-type': type }, body });

describe('POST /v1/releases', () => {
  it('publishes the uploaded bytes: 201 with the ReleaseView', async () => {
    const bundle = fakeBundle('pm', '1.0.0', { padBytes: 100_000 });
    const res = await publish(bundle);
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toMatchObject({ name: 'pm', version: '1.0.0', bytes: bundle.length });
    expect(hub.api.blobs.get((res.json() as { sha256: string }).sha256)).toEqual(bundle);
  });

  it('accepts an upload without a Content-Type', async () => {
    const res = await send(hub.url, 'POST', '/v1/releases', {
      headers: operator,
      body: fakeBundle('pm', '1.0.0'),
    });
    expect(res.status).toBe(201);
  });

  it('refuses JSON sent as a bundle: 415 EF_HUB_HTTP_CONTENT_TYPE', async () => {
    const res = await publish(Buffer.from('{}'), 'application/json');
    expect(res.status).toBe(415);
    expect(res.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_CONTENT_TYPE' } });
    expect(hub.api.calls).not.toContain('publishRelease');
  });

  it('maps refused bundles: unsigned and tampered 422, duplicate 409', async () => {
    const unsigned = await publish(Buffer.from('not a bundle'));
    expect(unsigned.status).toBe(422);
    expect(unsigned.json()).toMatchObject({ error: { code: 'EF_HUB_RELEASE_UNSIGNED' } });
    const tampered = await publish(fakeBundle('pm', '1.0.0', { tampered: true }));
    expect(tampered.status).toBe(422);
    expect(tampered.json()).toMatchObject({ error: { code: 'EF_HUB_RELEASE_TAMPERED' } });
    expect((await publish(fakeBundle('pm', '1.0.0'))).status).toBe(201);
    const dup = await publish(fakeBundle('pm', '1.0.0'));
    expect(dup.status).toBe(409);
    expect(dup.json()).toEqual({
      error: {
        code: 'EF_HUB_RELEASE_DUPLICATE',
        message: 'pm@1.0.0 is already published',
        details: { name: 'pm', version: '1.0.0' },
      },
    });
  });
});

describe('GET /v1/releases', () => {
  beforeEach(async () => {
    for (const [n, v] of [
      ['pm', '1.10.0'],
      ['pm', '1.2.0'],
      ['cam', '0.1.0'],
    ] as const) {
      await hub.api.publishRelease(fakeBundle(n, v));
    }
  });

  it('lists all releases by name then SemVer, or those of ?name=', async () => {
    const all = await sendAsOperator(hub.url, 'GET', '/v1/releases');
    expect(all.status).toBe(200);
    expect(
      (all.json() as { name: string; version: string }[]).map((r) => `${r.name}@${r.version}`),
    ).toEqual(['cam@0.1.0', 'pm@1.2.0', 'pm@1.10.0']);
    const pm = await sendAsOperator(hub.url, 'GET', '/v1/releases?name=pm');
    expect((pm.json() as unknown[]).length).toBe(2);
  });

  it('shows the latest version, or one version', async () => {
    const latest = await sendAsOperator(hub.url, 'GET', '/v1/releases/pm');
    expect(latest.json()).toMatchObject({ name: 'pm', version: '1.10.0' });
    const one = await sendAsOperator(hub.url, 'GET', '/v1/releases/pm/1.2.0');
    expect(one.json()).toMatchObject({ name: 'pm', version: '1.2.0' });
  });

  it('an unknown release is 404 EF_HUB_HTTP_UNKNOWN_RELEASE', async () => {
    const res = await sendAsOperator(hub.url, 'GET', '/v1/releases/pm/9.9.9');
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({
      error: { code: 'EF_HUB_HTTP_UNKNOWN_RELEASE', details: { name: 'pm', version: '9.9.9' } },
    });
    expect((await sendAsOperator(hub.url, 'GET', '/v1/releases/nope')).status).toBe(404);
  });

  it('invalid names, versions and query parameters are 400 EF_HUB_HTTP_VALIDATION', async () => {
    for (const path of [
      '/v1/releases/PM',
      '/v1/releases/pm/1.x',
      '/v1/releases?name=Bad%20Name',
      '/v1/releases?nmae=pm',
      '/v1/releases?name=pm&name=cam',
    ]) {
      const res = await sendAsOperator(hub.url, 'GET', path);
      expect(res.status, path).toBe(400);
      expect(res.json(), path).toMatchObject({ error: { code: 'EF_HUB_HTTP_VALIDATION' } });
    }
  });
});
