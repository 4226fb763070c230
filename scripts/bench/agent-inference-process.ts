/**
 * Cold start and idle memory of the agent's inference alone (model host, local HTTP API, one
 * model) in a fresh process: what the serving path costs without the rest of the daemon
 * (MQTT link, outbox, converger, drift, health), and without the bench's own modules, data and
 * warm caches. The whole daemon is measured by agent-daemon-process.ts.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import type {
  InstalledBundle,
  ModelHostOptions,
} from '../../packages/agent/src/inference/index.js';
import { resolveChildMode, type ChildMode } from './agent-built-dist.js';
import { IDLE_SECONDS } from './agent-daemon-process.js';

export interface FreshProcessFigures {
  /** From process start to the first prediction answered over HTTP. */
  coldStartMs: number;
  /** RSS right after 2,000 predictions. */
  busyRssMb: number;
  /** RSS after idling (median of the last 5 one-second samples), no forced GC. */
  idleRssMb: number;
  /** Inference worker threads of the host. */
  workers: number;
  mode: ChildMode;
}

const AGENT = new URL('../../packages/agent/', import.meta.url);

// The child: starts like an agent (host, model, API), answers one HTTP prediction, then serves
// 2,000 predictions, idles and reports. Plain JS so that built mode needs no tsx.
const CHILD = `
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
const { createModelHost } = await import(process.env.EF_HOST_MODULE);
const { startLocalApi } = await import(process.env.EF_API_MODULE);
const bundle = JSON.parse(readFileSync(process.env.EF_BUNDLE_JSON, 'utf8'));
const row = JSON.parse(process.env.EF_ROW);
const host = await createModelHost(JSON.parse(process.env.EF_HOST_OPTIONS));
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
const rssMb = () => process.memoryUsage().rss / (1024 * 1024);
const busyRssMb = rssMb();
const samples = [];
for (let s = 0; s < Number(process.env.EF_IDLE_SECONDS); s++) {
  await new Promise((r) => setTimeout(r, 1000));
  samples.push(rssMb());
}
const idleRssMb = samples.slice(-5).sort((a, b) => a - b)[Math.floor(Math.min(5, samples.length) / 2)];
const workers = host.poolStats().workers;
await api.close();
await host.close();
process.stdout.write(JSON.stringify({ coldStartMs, busyRssMb, idleRssMb, workers }) + '\\n');
`;

/**
 * Runs the child once and returns its figures. 'auto' uses the built packages when their dist
 * is present, else the sources through tsx. Idle RSS is read after `idleSeconds` (default {@link IDLE_SECONDS})
 * without requests, the time V8's memory reducer needs to shrink the heaps.
 *
 * @example
 * const { coldStartMs, idleRssMb } = await measureFreshProcess(bundle, [1, 0, 0, 300, 310, 1500, 40, 10]);
 */
export async function measureFreshProcess(
  bundle: InstalledBundle,
  row: readonly number[],
  options: { mode?: ChildMode | 'auto'; host?: ModelHostOptions; idleSeconds?: number } = {},
): Promise<FreshProcessFigures> {
  const mode = resolveChildMode(options.mode ?? 'auto', ['protocol', 'runtime', 'agent']);
  const built = mode === 'built';
  const file = (area: string): string =>
    new URL(`${built ? 'dist' : 'src'}/${area}/index.${built ? 'js' : 'ts'}`, AGENT).href;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const dir = await mkdtemp(join(tmpdir(), 'ef-bench-inference-'));
  try {
    // A file, not `-e`: workers inherit the parent's flags, and `--input-type` stops them.
    const script = join(dir, 'child.mjs');
    writeFileSync(script, CHILD);
    const args = [...(built ? [] : ['--import', tsx, '--conditions=source']), script];
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
          EF_HOST_OPTIONS: JSON.stringify(options.host ?? {}),
          EF_IDLE_SECONDS: String(options.idleSeconds ?? IDLE_SECONDS),
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
    const figures = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Omit<
      FreshProcessFigures,
      'mode'
    >;
    return { ...figures, mode };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
