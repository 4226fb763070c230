import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendAsOperator, startTestApi } from './http-test-server.js';
import type { TestApi } from './http-test-server.js';

let hub: TestApi;
beforeEach(async () => {
  hub = await startTestApi();
});
afterEach(async () => {
  await hub.close();
});

const enroll = (body: unknown) => sendAsOperator(hub.url, 'POST', '/v1/devices', body);

describe('POST /v1/devices', () => {
  it('enrols: 201 with the device and its provisioning', async () => {
    const res = await enroll({ id: 'press-07', tags: { site: 'plant-a' } });
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({
      device: { id: 'press-07', tags: { site: 'plant-a' }, revokedAt: null },
      provisioning: { deviceId: 'press-07', username: 'press-07' },
    });
  });

  it('tags default to none', async () => {
    const res = await enroll({ id: 'press-08' });
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({ device: { tags: {} } });
  });

  it('a duplicate is 409 with the store code', async () => {
    await enroll({ id: 'press-07' });
    const res = await enroll({ id: 'press-07' });
    expect(res.status).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'EF_HUB_STORE_DUPLICATE_DEVICE' } });
  });

  it.each([
    [{ id: 'Press 07' }, 'id'],
    [{ id: 'a', tags: { site: 7 } }, 'tags.site'],
    [{ id: 'a', tags: { 'bad key!': 'x' } }, 'tags'],
    [{ id: 'a', extra: true }, 'extra'],
    [[], ''],
  ])('an invalid body %j is 400 naming %s', async (body, path) => {
    const res = await enroll(body);
    expect(res.status).toBe(400);
    const error = (res.json() as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('EF_HUB_HTTP_VALIDATION');
    expect(error.message).toContain(path);
    expect(hub.api.calls).not.toContain('enrollDevice');
  });
});

describe('GET /v1/devices', () => {
  beforeEach(async () => {
    await enroll({ id: 'b-1', tags: { site: 'a', hw: 'rpi5' } });
    await enroll({ id: 'a-1', tags: { site: 'a', hw: 'jetson' } });
    await enroll({ id: 'c-1', tags: { site: 'b', hw: 'rpi5' } });
  });

  it('lists by id; ?selector= keeps devices with every tag', async () => {
    const ids = async (path: string) =>
      ((await sendAsOperator(hub.url, 'GET', path)).json() as { id: string }[]).map((d) => d.id);
    expect(await ids('/v1/devices')).toEqual(['a-1', 'b-1', 'c-1']);
    expect(await ids('/v1/devices?selector=site=a')).toEqual(['a-1', 'b-1']);
    expect(await ids('/v1/devices?selector=site%3Da%2Chw%3Drpi5')).toEqual(['b-1']);
  });

  it('a malformed selector is 400', async () => {
    for (const s of ['site', 'site=a,,hw=b', '=a']) {
      const res = await sendAsOperator(
        hub.url,
        'GET',
        `/v1/devices?selector=${encodeURIComponent(s)}`,
      );
      expect(res.status, s).toBe(400);
    }
  });

  it('shows one device; an unknown one is 404 EF_HUB_HTTP_UNKNOWN_DEVICE', async () => {
    const res = await sendAsOperator(hub.url, 'GET', '/v1/devices/a-1');
    expect(res.json()).toMatchObject({ id: 'a-1', tags: { hw: 'jetson' } });
    const missing = await sendAsOperator(hub.url, 'GET', '/v1/devices/zz');
    expect(missing.status).toBe(404);
    expect(missing.json()).toMatchObject({
      error: { code: 'EF_HUB_HTTP_UNKNOWN_DEVICE', details: { id: 'zz' } },
    });
  });
});

describe('PATCH /v1/devices/{id}/tags and POST /v1/devices/{id}/revoke', () => {
  beforeEach(async () => {
    await enroll({ id: 'a-1', tags: { site: 'a', hw: 'rpi5' } });
  });

  it('merges tags; an empty value removes one', async () => {
    const res = await sendAsOperator(hub.url, 'PATCH', '/v1/devices/a-1/tags', {
      tags: { site: 'b', hw: '', ring: 'canary' },
    });
    expect(res.status).toBe(200);
    expect((res.json() as { tags: unknown }).tags).toEqual({ site: 'b', ring: 'canary' });
  });

  it('tagging an unknown device is 404 with the store code', async () => {
    const res = await sendAsOperator(hub.url, 'PATCH', '/v1/devices/zz/tags', { tags: {} });
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'EF_HUB_STORE_UNKNOWN_DEVICE' } });
  });

  it('revokes', async () => {
    const res = await sendAsOperator(hub.url, 'POST', '/v1/devices/a-1/revoke');
    expect(res.status).toBe(200);
    expect((res.json() as { revokedAt: string | null }).revokedAt).not.toBeNull();
    expect((await sendAsOperator(hub.url, 'POST', '/v1/devices/zz/revoke')).status).toBe(404);
  });
});
