import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OPERATOR_TOKEN, fakeBundle, startHarness } from './hub-cli-harness.js';
import type { Harness } from './hub-cli-harness.js';

let h: Harness;
let other: Server | undefined;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
  if (other !== undefined) {
    other.closeAllConnections();
    await new Promise((done) => other?.close(done));
    other = undefined;
  }
});

/** A server on port 0 that answers every request with `handler`. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  other = createServer(handler);
  await new Promise<void>((done) => other?.listen(0, '127.0.0.1', done));
  const address = other.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

describe('finding the hub', () => {
  it('an unreachable hub is EF_CLI_HUB_UNREACHABLE naming the URL and `edgefleet hub start`', async () => {
    const url = await serve(() => undefined);
    other?.close();
    other = undefined;
    const r = await h.cli(['device', 'list'], { EDGEFLEET_HUB: url, EDGEFLEET_TOKEN: 'x' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('error EF_CLI_HUB_UNREACHABLE');
    expect(r.err).toContain(url);
    expect(r.err).toContain("'edgefleet hub start'");
  });

  it('--hub beats EDGEFLEET_HUB', async () => {
    const r = await h.cli(['device', 'list', '--hub', h.hub.url], {
      EDGEFLEET_HUB: 'http://127.0.0.1:1',
      EDGEFLEET_TOKEN: OPERATOR_TOKEN,
    });
    expect(r.code).toBe(0);
  });

  it('a hub URL that is not http(s) is EF_CLI_HUB_URL', async () => {
    for (const hub of ['mqtt://127.0.0.1:1883', 'not a url']) {
      const r = await h.cli(['device', 'list', '--hub', hub], { EDGEFLEET_TOKEN: 'x' });
      expect(r.code).toBe(1);
      expect(r.err).toContain('EF_CLI_HUB_URL');
    }
  });

  it('keeps a base path in the hub URL', async () => {
    let seen = '';
    const url = await serve((req, res) => {
      seen = req.url ?? '';
      res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    });
    const r = await h.cli(['device', 'list', '--hub', `${url}/edgefleet/`], {
      EDGEFLEET_TOKEN: 'x',
    });
    expect(r.code).toBe(0);
    expect(seen).toBe('/edgefleet/v1/devices');
  });

  it('something else answering is EF_CLI_HUB_RESPONSE', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>');
    });
    const r = await h.cli(['device', 'list'], { EDGEFLEET_HUB: url, EDGEFLEET_TOKEN: 'x' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('EF_CLI_HUB_RESPONSE');
    expect(r.err).toContain('HTTP 502');
  });

  it('an early refusal during an upload is read and shown (the upload stops)', async () => {
    let received = 0;
    const url = await serve((req, res) => {
      req.on('data', (c: Buffer) => (received += c.length));
      res.writeHead(413, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'EF_HUB_HTTP_BODY_TOO_LARGE', message: 'too big' } }),
      );
    });
    const file = join(h.dir, 'big.efb');
    await writeFile(file, fakeBundle('pm', '1.0.0', { padBytes: 32 * 1024 * 1024 }));
    const r = await h.cli(['release', 'publish', file], {
      EDGEFLEET_HUB: url,
      EDGEFLEET_TOKEN: 'x',
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain('error EF_HUB_HTTP_BODY_TOO_LARGE: the hub refused: too big');
    expect(received).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('the operator token', () => {
  it('a wrong token is EF_CLI_HUB_TOKEN_REFUSED naming where it came from', async () => {
    const r = await h.cli(['device', 'list'], {
      EDGEFLEET_HUB: h.hub.url,
      EDGEFLEET_TOKEN: 'wrong',
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain('error EF_CLI_HUB_TOKEN_REFUSED');
    expect(r.err).toContain('EDGEFLEET_TOKEN');
    expect(r.err).toContain('EF_HUB_HTTP_UNAUTHORIZED');
  });

  it('no token at all is EF_CLI_HUB_TOKEN_MISSING, before connecting', async () => {
    const r = await h.cli(['device', 'list', '--json'], { EDGEFLEET_HUB: h.hub.url });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({
      ok: false,
      error: { code: 'EF_CLI_HUB_TOKEN_MISSING' },
    });
    expect(h.hub.api.calls).toEqual([]);
  });

  it('--token and --token-file work; both at once is a usage error', async () => {
    const file = join(h.dir, 'operator.token');
    await writeFile(file, `${OPERATOR_TOKEN}\n`, { mode: 0o600 });
    const env = { EDGEFLEET_HUB: h.hub.url };
    expect((await h.cli(['device', 'list', '--token', OPERATOR_TOKEN], env)).code).toBe(0);
    expect((await h.cli(['device', 'list', '--token-file', 'operator.token'], env)).code).toBe(0);
    expect((await h.cli(['device', 'list', '--token', 'x', '--token-file', file], env)).code).toBe(
      2,
    );
    const missing = await h.cli(['device', 'list', '--token-file', 'nope'], env);
    expect(missing.err).toContain('EF_CLI_FILE_READ');
  });

  it("falls back to a local hub's ./.edgefleet/hub/operator.token, for a local hub only", async () => {
    await mkdir(join(h.dir, '.edgefleet', 'hub'), { recursive: true });
    await writeFile(join(h.dir, '.edgefleet', 'hub', 'operator.token'), OPERATOR_TOKEN);
    expect((await h.cli(['device', 'list'], { EDGEFLEET_HUB: h.hub.url })).code).toBe(0);
    const remote = await h.cli(['device', 'list'], {
      EDGEFLEET_HUB: 'http://hub.example.invalid:8080',
    });
    expect(remote.err).toContain('EF_CLI_HUB_TOKEN_MISSING');
  });
});
