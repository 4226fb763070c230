import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EdgefleetError } from '@edgefleet/protocol';
import { pino } from 'pino';
import { startHttpApi } from '../../src/http/start-http-api.js';
import { fakeBundle, FakeHubApi } from './fake-hub-api.js';
import { operator, send, sendAsOperator, startTestApi } from './http-test-server.js';
import type { TestApi } from './http-test-server.js';

let hub: TestApi;
beforeEach(async () => {
  hub = await startTestApi();
});
afterEach(async () => {
  await hub.close();
});

const stillServing = async () => expect((await send(hub.url, 'GET', '/healthz')).status).toBe(200);

describe('operator authentication', () => {
  it.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer wrong' }],
    ['another scheme', { authorization: 'Token abc' }],
    ['garbage', { authorization: 'Bearer' }],
    ['a malformed Basic', { authorization: 'Basic !!!' }],
  ])('%s is 401 EF_HUB_HTTP_UNAUTHORIZED and never reaches the API', async (_name, headers) => {
    const res = await send(hub.url, 'GET', '/v1/devices', { headers });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer');
    expect(res.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_UNAUTHORIZED' } });
    expect(hub.api.calls).toEqual([]);
  });

  it('an upload without a token is refused before its body is read', async () => {
    const res = await send(hub.url, 'POST', '/v1/releases', {
      body: fakeBundle('pm', '1.0.0', { padBytes: 2_000_000 }),
    });
    expect(res.status).toBe(401);
    expect(hub.api.calls).toEqual([]);
    await stillServing();
  });
});

describe('bad requests', () => {
  it('an unknown route is 404 EF_HUB_HTTP_NO_ROUTE, even without credentials', async () => {
    for (const path of ['/', '/v2/releases', '/v1/devices/a/b/c', '/v1/releases/pm/1.0.0/x']) {
      const res = await send(hub.url, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_NO_ROUTE' } });
    }
  });

  it('odd paths: double slashes, bad percent-encoding, absolute-form', async () => {
    expect((await sendAsOperator(hub.url, 'GET', '//v1/devices')).status).toBe(404);
    const bad = await sendAsOperator(hub.url, 'GET', '/v1/devices/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_VALIDATION' } });
    const raw = await new Promise<string>((resolve, reject) => {
      const url = new URL(hub.url);
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          'GET http://other.example/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        );
      });
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
  });

  it('a wrong method is 405 with Allow', async () => {
    const res = await sendAsOperator(hub.url, 'DELETE', '/v1/devices/a-1');
    expect(res.status).toBe(405);
    expect(res.headers['allow']).toBe('GET');
    expect(res.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_METHOD' } });
    const put = await sendAsOperator(hub.url, 'PUT', '/v1/releases');
    expect(put.headers['allow']).toBe('POST, GET');
  });

  it('bad JSON is 400 EF_HUB_HTTP_JSON; invalid UTF-8 too', async () => {
    for (const body of [
      Buffer.from('{"id":'),
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      Buffer.from(''),
    ]) {
      const res = await send(hub.url, 'POST', '/v1/devices', {
        headers: { ...operator, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_JSON' } });
    }
  });

  it('a form body on a JSON route is 415', async () => {
    const res = await send(hub.url, 'POST', '/v1/devices', {
      headers: { ...operator, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'id=a',
    });
    expect(res.status).toBe(415);
  });

  it('a JSON body over 1 MiB is 413, and the server keeps serving on the same port', async () => {
    const body = JSON.stringify({ id: 'a', tags: { note: 'x'.repeat(2 * 1024 * 1024) } });
    const res = await send(hub.url, 'POST', '/v1/devices', {
      headers: { ...operator, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: 'EF_HUB_HTTP_BODY_TOO_LARGE' } });
    await stillServing();
  });

  it('a chunked JSON body that grows past 1 MiB is 413 too', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        new URL('/v1/devices', hub.url),
        { method: 'POST', headers: { ...operator, 'content-type': 'application/json' } },
        (res) => {
          resolve(res.statusCode ?? 0);
          res.resume();
          req.destroy();
        },
      );
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (!req.destroyed) req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    await stillServing();
  });

  it('a bundle declared larger than 512 MiB is 413 before any byte is read', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        new URL('/v1/releases', hub.url),
        {
          method: 'POST',
          headers: {
            ...operator,
            'content-type': 'application/octet-stream',
            'content-length': String(600 * 1024 * 1024),
          },
        },
        (res) => {
          resolve(res.statusCode ?? 0);
          res.resume();
          req.destroy();
        },
      );
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.write(Buffer.alloc(1024));
    });
    expect(status).toBe(413);
    expect(hub.api.calls).toEqual([]);
    await stillServing();
  });

  it('garbage bytes on the socket get a 400 and do not stop the server', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const url = new URL(hub.url);
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write('\x00\x01\x02 NOT HTTP AT ALL\r\n\r\n');
      });
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    await stillServing();
  });

  it('a client that disconnects mid-upload or mid-download does not hurt the server', async () => {
    const url = new URL(hub.url);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST /v1/releases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${operator.authorization.slice(7)}\r\nContent-Length: 1000000\r\n\r\n`,
        );
        socket.write(Buffer.alloc(1000));
        socket.destroy();
        resolve();
      });
    });
    const big = fakeBundle('pm', '1.0.0', { padBytes: 8 * 1024 * 1024 });
    const published = await hub.api.publishRelease(big);
    await new Promise<void>((resolve, reject) => {
      const req = request(
        new URL(`/v1/blobs/${published.sha256}`, hub.url),
        { headers: operator },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
    await stillServing();
    const again = await send(hub.url, 'GET', `/v1/blobs/${published.sha256}`, {
      headers: operator,
    });
    expect(again.body.equals(big)).toBe(true);
  });
});

describe('errors from the API', () => {
  it('an uncoded error is 500 EF_HUB_HTTP_INTERNAL without its message, and is logged', async () => {
    hub.api.failNext = new TypeError('secret internals');
    const res = await sendAsOperator(hub.url, 'GET', '/v1/devices');
    expect(res.status).toBe(500);
    const body = res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('EF_HUB_HTTP_INTERNAL');
    expect(body.error.message).not.toContain('secret internals');
    const logged = hub.logs.map(
      (l) => JSON.parse(l) as { level: number; err?: { message: string } },
    );
    expect(logged.some((l) => l.level >= 50 && l.err?.message === 'secret internals')).toBe(true);
    await stillServing();
  });

  it.each([
    ['EF_HUB_STORE_IO', 500],
    ['EF_HUB_STORE_CLOSED', 503],
    ['EF_HUB_RELEASE_NOT_FOUND', 404],
    ['EF_HUB_DEVICE_REVOKED', 409],
    ['EF_PROTO_KEY_UNKNOWN', 422],
    ['EF_PROTO_SCHEMA', 400],
  ])('a coded %s answers %i with its code and message', async (code, status) => {
    hub.api.failNext = new EdgefleetError(code, 'it went wrong', { why: 'test' });
    const res = await sendAsOperator(hub.url, 'GET', '/v1/releases');
    expect(res.status).toBe(status);
    expect(res.json()).toEqual({
      error: { code, message: 'it went wrong', details: { why: 'test' } },
    });
  });
});

describe('startHttpApi', () => {
  it('a port in use is EF_HUB_HTTP_PORT_IN_USE', async () => {
    const port = Number(new URL(hub.url).port);
    await expect(
      startHttpApi({
        api: new FakeHubApi(),
        port,
        host: '127.0.0.1',
        logger: pino({ level: 'silent' }),
        authenticateOperator: () => false,
        authenticateDevice: async () => false,
      }),
    ).rejects.toMatchObject({ code: 'EF_HUB_HTTP_PORT_IN_USE' });
  });

  it('bad options are EF_HUB_HTTP_OPTIONS', async () => {
    await expect(
      startHttpApi({
        api: new FakeHubApi(),
        port: -1,
        host: '127.0.0.1',
        logger: pino({ level: 'silent' }),
        authenticateOperator: () => false,
        authenticateDevice: async () => false,
      }),
    ).rejects.toMatchObject({ code: 'EF_HUB_HTTP_OPTIONS' });
  });

  it('close() ends open keep-alive connections and is idempotent', async () => {
    await send(hub.url, 'GET', '/healthz', { headers: { connection: 'keep-alive' } });
    await hub.close();
    await hub.close();
    await expect(send(hub.url, 'GET', '/healthz')).rejects.toThrow();
  });
});

describe('answers that cannot be written', () => {
  it('an API value or error detail that cannot be serialised never escapes', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    hub.api.failNext = new EdgefleetError('EF_HUB_STORE_ARGUMENT', 'bad', { cyclic });
    await expect(sendAsOperator(hub.url, 'GET', '/v1/releases')).rejects.toThrow();
    hub.api.listReleases = async () => [{ n: 1n }] as never;
    const res = await sendAsOperator(hub.url, 'GET', '/v1/releases');
    expect(res.status).toBe(500);
    await stillServing();
  });
});
