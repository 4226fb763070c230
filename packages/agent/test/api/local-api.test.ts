import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startLocalApi } from '../../src/api/index.js';
import type { LocalApi } from '../../src/api/index.js';
import { createModelHost, InferenceError } from '../../src/inference/index.js';
import type { InstalledBundle, LocalModelHost } from '../../src/inference/index.js';
import { installedPmBundle, pmEvalRows, pmFeatureNames } from '../inference/installed-bundles.js';

let dir: string;
let pm: InstalledBundle;
let host: LocalModelHost;
const apis: LocalApi[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-api-'));
  pm = await installedPmBundle(dir);
  host = await createModelHost({ workers: 1, maxRows: 64 });
  await host.activate(await host.prepare(pm));
});

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(apis.splice(0).map((a) => a.close()));
});

async function start(
  options: Partial<Parameters<typeof startLocalApi>[0]> = {},
): Promise<LocalApi> {
  const api = await startLocalApi({ host, port: 0, ...options });
  apis.push(api);
  return api;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function call(
  target: { port?: number; socketPath?: string },
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        ...(target.socketPath
          ? { socketPath: target.socketPath }
          : { host: '127.0.0.1', port: target.port }),
        method,
        path,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            json: text ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const predictBody = (value: unknown): string => JSON.stringify(value);

describe('local API over TCP', () => {
  it('serves healthz, the model list and predictions equal to the in-process host', async () => {
    const api = await start({ health: () => ({ uptimeS: 12 }) });
    expect(api.url).toBe(`http://127.0.0.1:${api.port}`);
    const health = await call(api, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({
      ok: true,
      uptimeS: 12,
      models: [{ name: 'pm', version: '1.0.0' }],
    });
    const models = await call(api, 'GET', '/v1/models');
    expect(models.json).toEqual({
      models: [{ name: 'pm', version: '1.0.0', sha256: pm.sha256, state: 'serving' }],
    });
    const rows = pmEvalRows(5);
    const viaHttp = await call(api, 'POST', '/v1/models/pm/predict', predictBody({ inputs: rows }));
    expect(viaHttp.status).toBe(200);
    const direct = await host.predict('pm', { inputs: rows });
    expect(viaHttp.json.outputs).toEqual(direct.outputs);
    expect(viaHttp.json.predictions).toEqual(direct.predictions);
    expect(viaHttp.json).toMatchObject({ model: 'pm', version: '1.0.0' });
    expect(typeof viaHttp.json.latencyMs).toBe('number');
    const names = pmFeatureNames(pm);
    const instances = rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));
    const byName = await call(api, 'POST', '/v1/models/pm/predict?x=1', predictBody({ instances }));
    expect(byName.json.outputs).toEqual(direct.outputs);
  });

  it('answers every failure with a JSON error, its code and HTTP status', async () => {
    const api = await start({ maxJsonBytes: 4096 });
    const row = pmEvalRows(1)[0]!;
    const cases: [string, string, string | undefined, Record<string, string>, number, string][] = [
      ['GET', '/nope', undefined, {}, 404, 'EF_AGENT_API_NOT_FOUND'],
      [
        'POST',
        '/v1/models/ghost/predict',
        predictBody({ inputs: [row] }),
        {},
        404,
        'EF_AGENT_MODEL_NOT_FOUND',
      ],
      ['GET', '/v1/models/pm/predict', undefined, {}, 405, 'EF_AGENT_API_METHOD'],
      ['DELETE', '/v1/models', undefined, {}, 405, 'EF_AGENT_API_METHOD'],
      ['POST', '/v1/models/pm/predict', '{"inputs": [[1,', {}, 400, 'EF_AGENT_API_JSON'],
      [
        'POST',
        '/v1/models/pm/predict',
        'x',
        { 'content-type': 'text/csv' },
        415,
        'EF_AGENT_API_CONTENT_TYPE',
      ],
      [
        'POST',
        '/v1/models/pm/predict',
        predictBody({ inputs: [row.slice(2)] }),
        {},
        400,
        'EF_RUNTIME_INPUT_SHAPE',
      ],
      ['POST', '/v1/models/pm/predict', predictBody([row]), {}, 400, 'EF_AGENT_REQUEST_INVALID'],
      [
        'POST',
        '/v1/models/pm/predict',
        predictBody({ inputs: Array(65).fill(row) }),
        {},
        400,
        'EF_AGENT_REQUEST_ROWS',
      ],
      [
        'POST',
        '/v1/models/pm/predict',
        predictBody({ instances: [{ bogus: 1 }] }),
        {},
        400,
        'EF_AGENT_REQUEST_FEATURES',
      ],
      [
        'POST',
        '/v1/models/pm/predict',
        predictBody({ inputs: [row], pad: 'x'.repeat(5000) }),
        {},
        413,
        'EF_AGENT_API_BODY_TOO_LARGE',
      ],
      [
        'POST',
        '/v1/models/pm/predict',
        'not png',
        { 'content-type': 'image/png' },
        400,
        'EF_AGENT_REQUEST_INVALID',
      ],
      ['POST', '/v1/models/%E0%A4%A/predict', '{}', {}, 404, 'EF_AGENT_API_NOT_FOUND'],
    ];
    for (const [method, path, body, headers, status, code] of cases) {
      const reply = await call(api, method, path, body, headers);
      expect({ path, status: reply.status, code: reply.json.error.code }).toEqual({
        path,
        status,
        code,
      });
      expect(reply.json.error.message).toEqual(expect.any(String));
    }
    const features = await call(
      api,
      'POST',
      '/v1/models/pm/predict',
      predictBody({ instances: [{ bogus: 1 }] }),
    );
    expect(features.json.error.details.unknown).toEqual(['bogus']);
  });

  it('refuses a streamed (chunked) body as soon as it passes the cap', async () => {
    const api = await start({ maxImageBytes: 10_000 });
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: api.port,
          method: 'POST',
          path: '/v1/models/pm/predict',
          headers: { 'content-type': 'image/png', 'transfer-encoding': 'chunked' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              headers: res.headers,
              json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            }),
          );
        },
      );
      req.on('error', reject);
      // Keep sending until the server answers; it must not wait for the end of the body.
      const timer = setInterval(() => req.write(Buffer.alloc(4096)), 5);
      req.on('response', () => {
        clearInterval(timer);
        req.end();
      });
    });
    expect(reply.status).toBe(413);
    expect(reply.json.error.code).toBe('EF_AGENT_API_BODY_TOO_LARGE');
    expect(reply.headers.connection).toBe('close');
    expect((await call(api, 'GET', '/healthz')).status).toBe(200);
  });

  it('maps host conditions to 503 and 500, and keeps serving after garbage', async () => {
    const fake = {
      list: () => [],
      predict: async (name: string) => {
        if (name === 'busy') throw new InferenceError('EF_AGENT_BUSY', 'queue full');
        if (name === 'crash') throw new InferenceError('EF_AGENT_WORKER_CRASHED', 'worker died');
        throw new Error('a bug');
      },
    };
    const api = await start({ host: fake });
    expect((await call(api, 'POST', '/v1/models/busy/predict', '{}')).status).toBe(503);
    expect((await call(api, 'POST', '/v1/models/crash/predict', '{}')).status).toBe(500);
    const bug = await call(api, 'POST', '/v1/models/bug/predict', '{}');
    expect(bug.status).toBe(500);
    expect(bug.json.error.code).toBe('EF_AGENT_API_INTERNAL');
    await new Promise<void>((resolve) => {
      const socket = connect(api.port!, '127.0.0.1', () =>
        socket.end('\x00\x01 NOT HTTP \r\n\r\n\xff'),
      );
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      socket.resume();
    });
    expect((await call(api, 'GET', '/healthz')).status).toBe(200);
  });

  it('refuses a port in use with EF_AGENT_API_LISTEN', async () => {
    const api = await start();
    await expect(startLocalApi({ host, port: api.port! })).rejects.toMatchObject({
      code: 'EF_AGENT_API_LISTEN',
    });
    await expect(startLocalApi({ host, port: 70000 })).rejects.toMatchObject({
      code: 'EF_AGENT_API_OPTIONS',
    });
  });
});

describe('local API over a unix socket', () => {
  it('serves predictions on the socket (mode 0660) next to TCP and removes the file on close', async () => {
    const socketPath = join(dir, 'agent.sock');
    const api = await start({ socketPath });
    expect(api.port).toBeGreaterThan(0);
    expect(statSync(socketPath).mode & 0o777).toBe(0o660);
    const reply = await call(
      { socketPath },
      'POST',
      '/v1/models/pm/predict',
      predictBody({ inputs: pmEvalRows(1) }),
    );
    expect(reply.status).toBe(200);
    expect(reply.json.version).toBe('1.0.0');
    await api.close();
    expect(existsSync(socketPath)).toBe(false);
  });

  it('serves only the socket when no port is given', async () => {
    const api = await startLocalApi({ host, socketPath: join(dir, 'only.sock') });
    apis.push(api);
    expect(api.port).toBeUndefined();
    expect((await call(api, 'GET', '/healthz')).status).toBe(200);
  });

  it('replaces a stale socket file but refuses a live socket or a regular file', async () => {
    const stale = join(dir, 'stale.sock');
    // A process killed while listening leaves its socket file behind.
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(existsSync(stale)).toBe(true);
    const api = await start({ socketPath: stale });
    expect((await call({ socketPath: stale }, 'GET', '/healthz')).status).toBe(200);
    await expect(startLocalApi({ host, socketPath: stale })).rejects.toMatchObject({
      code: 'EF_AGENT_API_LISTEN',
    });
    await api.close();

    const regular = join(dir, 'regular.sock');
    writeFileSync(regular, 'keep me');
    await expect(startLocalApi({ host, socketPath: regular })).rejects.toMatchObject({
      code: 'EF_AGENT_API_LISTEN',
    });
    expect(existsSync(regular)).toBe(true);

    const other = createServer();
    const live = join(dir, 'live.sock');
    await new Promise<void>((resolve) => other.listen(live, resolve));
    try {
      await expect(startLocalApi({ host, socketPath: live })).rejects.toMatchObject({
        code: 'EF_AGENT_API_LISTEN',
      });
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
