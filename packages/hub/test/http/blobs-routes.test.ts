import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { operator, send, startTestApi } from './http-test-server.js';
import type { TestApi } from './http-test-server.js';

let hub: TestApi;
let bytes: Buffer;
let path: string;
beforeEach(async () => {
  hub = await startTestApi();
  bytes = randomBytes(300_000);
  const sha = createHash('sha256').update(bytes).digest('hex');
  hub.api.blobs.set(sha, bytes);
  path = `/v1/blobs/${sha}`;
});
afterEach(async () => {
  await hub.close();
});

const get = (headers: Record<string, string> = {}, method = 'GET') =>
  send(hub.url, method, path, { headers: { ...operator, ...headers } });

describe('GET /v1/blobs/{sha256}', () => {
  it('sends the whole blob with its length, ETag and Accept-Ranges', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.body.equals(bytes)).toBe(true);
    expect(res.headers['content-length']).toBe(String(bytes.length));
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['etag']).toBe(`"${path.slice('/v1/blobs/'.length)}"`);
    expect(res.headers['content-type']).toBe('application/octet-stream');
  });

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=1000-', 1000, 299_999],
    ['bytes=-500', 299_500, 299_999],
    ['bytes=299990-400000', 299_990, 299_999],
  ])('Range %s is 206 with Content-Range', async (range, start, end) => {
    const res = await get({ range });
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${bytes.length}`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.body.equals(bytes.subarray(start, end + 1))).toBe(true);
  });

  it('a range starting past the end is 416 with bytes */size', async () => {
    const res = await get({ range: `bytes=${bytes.length}-` });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${bytes.length}`);
    expect(res.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_RANGE_UNSATISFIABLE' } });
  });

  it('malformed or multiple ranges are ignored: the whole blob', async () => {
    for (const range of ['bytes=5-2', 'items=0-1', 'bytes=0-1,5-6', 'bytes=abc']) {
      const res = await get({ range });
      expect(res.status, range).toBe(200);
      expect(res.body.length).toBe(bytes.length);
    }
  });

  it('HEAD answers the headers without a body', async () => {
    const full = await get({}, 'HEAD');
    expect(full.status).toBe(200);
    expect(full.headers['content-length']).toBe(String(bytes.length));
    expect(full.body.length).toBe(0);
    const part = await get({ range: 'bytes=10-19' }, 'HEAD');
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-19/${bytes.length}`);
    expect(part.body.length).toBe(0);
  });

  it('an unknown blob is 404, a malformed digest 400', async () => {
    const unknown = await send(hub.url, 'GET', `/v1/blobs/${'0'.repeat(64)}`, {
      headers: operator,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_UNKNOWN_BLOB' } });
    const bad = await send(hub.url, 'GET', '/v1/blobs/ABC', { headers: operator });
    expect(bad.status).toBe(400);
  });
});

describe('device access to blobs', () => {
  const basic = (id: string, secret: string) => ({
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
  });

  it('a device with its id and secret may download; a wrong secret or a revoked device may not', async () => {
    const { provisioning } = await hub.api.enrollDevice('press-07', {});
    const ok = await send(hub.url, 'GET', path, {
      headers: { ...basic('press-07', provisioning.password), range: 'bytes=0-9' },
    });
    expect(ok.status).toBe(206);
    const wrong = await send(hub.url, 'GET', path, { headers: basic('press-07', 'nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_UNAUTHORIZED' } });
    await hub.api.revokeDevice('press-07');
    const revoked = await send(hub.url, 'GET', path, {
      headers: basic('press-07', provisioning.password),
    });
    expect(revoked.status).toBe(401);
  });

  it('device credentials do not open operator routes', async () => {
    const { provisioning } = await hub.api.enrollDevice('press-07', {});
    const res = await send(hub.url, 'GET', '/v1/devices', {
      headers: basic('press-07', provisioning.password),
    });
    expect(res.status).toBe(401);
  });

  it('without credentials the blob is refused', async () => {
    expect((await send(hub.url, 'GET', path)).status).toBe(401);
  });
});
