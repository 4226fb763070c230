/**
 * Cold start and idle memory of the agent's inference in a fresh process: what a device pays
 * after a reboot, without the bench's own modules, data and warm caches.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { InstalledBundle } from '../../packages/agent/src/inference/index.js';

export interface FreshProcessFigures {
  /** From process start to the first prediction answered over HTTP. */
  coldStartMs: number;
  /** RSS with the host (default workers), the HTTP API and one model loaded, idle after use. */
  idleRssMb: number;
  /** 'built JS (packages/agent/dist)' or 'TypeScript source through tsx'. */
  childMode: string;
}

const AGENT = new URL('../../packages/agent/', import.meta.url);

// The child: starts like an agent (host, model, API), answers one HTTP prediction, then serves
// a little, lets garbage be collected and reports. Plain JS so that built mode needs no tsx.
const CHILD = `
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
const { createModelHost } = await import(process.env.EF_HOST_MODULE);
const { startLocalApi } = await import(process.env.EF_API_MODULE);
const bundle = JSON.parse(readFileSync(process.env.EF_BUNDLE_JSON, 'utf8'));
const row = JSON.parse(process.env.EF_ROW);
const host = await createModelHost();
await host.activate(await host.prepare(bundle));
const api = await startLocalApi({ host, port: 0 });
const body = JSON.stringify({ inputs: [row] });
const status = await new Promise((resolve, reject) => {
  const req = request({ port: api.port, host: '127.0.0.1', method: 'POST',
    path: '/v1/models/' + encodeURIComponent(bundle.name) + '/predict',
    headers: { 'content-type': 'application/json' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
  req.on('error', reject);
  req.end(body);
});
if (status !== 200) throw new Error('first prediction answered ' + status);
const coldStartMs = performance.now();
for (let i = 0; i < 2000; i++) await host.predict(bundle.name, { inputs: [row] });
for (let i = 0; i < 3; i++) { globalThis.gc?.(); await new Promise((r) => setTimeout(r, 300)); }
const idleRssMb = process.memoryUsage().rss / (1024 * 1024);
await api.close();
await host.close();
process.stdout.write(JSON.stringify({ coldStartMs, idleRssMb }) + '\\n');
`;

/**
 * Runs the child once and returns its figures. 'auto' uses the built package when
 * `packages/agent/dist` is at least as new as the inference and API sources, else the sources
 * through tsx (which adds its own start-up time and memory).
 *
 * @example
 * const { coldStartMs, idleRssMb } = await measureFreshProcess(bundle, [1, 0, 0, 300, 310, 1500, 40, 10]);
 */
export async function measureFreshProcess(
  bundle: InstalledBundle,
  row: readonly number[],
  mode: 'auto' | 'built' | 'source' = 'auto',
): Promise<FreshProcessFigures> {
  const built = mode === 'built' || (mode === 'auto' && builtIsFresh());
  const ext = built ? 'dist' : 'src';
  const file = (area: string): string =>
    new URL(`${ext}/${area}/index.${built ? 'js' : 'ts'}`, AGENT).href;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const args = [
    '--expose-gc',
    ...(built ? [] : ['--import', tsx, '--conditions=source']),
    '--input-type=module',
    '-e',
    CHILD,
  ];
  const dir = await mkdtemp(join(tmpdir(), 'ef-bench-inference-'));
  try {
    const bundleJson = join(dir, 'bundle.json');
    writeFileSync(bundleJson, JSON.stringify(bundle));
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, {
        env: {
          ...process.env,
          EF_HOST_MODULE: file('inference'),
          EF_API_MODULE: file('api'),
          EF_BUNDLE_JSON: bundleJson,
          EF_ROW: JSON.stringify(row),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (c: Buffer) => (text += c.toString('utf8')));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0 ? resolve(text) : reject(new Error(`bench child exited with ${code}`)),
      );
    });
    const figures = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as FreshProcessFigures;
    return {
      ...figures,
      childMode: built ? 'built JS (packages/agent/dist)' : 'TypeScript source through tsx',
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** True when every inference/API source file has a built counterpart at least as new. */
function builtIsFresh(): boolean {
  for (const area of ['inference', 'api']) {
    const src = fileURLToPath(new URL(`src/${area}/`, AGENT));
    const dist = fileURLToPath(new URL(`dist/${area}/`, AGENT));
    for (const name of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
      const js = join(dist, name.replace(/\.ts$/, '.js'));
      if (!existsSync(js) || statSync(js).mtimeMs < statSync(join(src, name)).mtimeMs) return false;
    }
  }
  return true;
}
