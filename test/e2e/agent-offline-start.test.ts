/**
 * Issue 6: the agent "starts and serves inference from its installed bundle with no broker
 * reachable". Everything is a real process: `edgefleet hub start` (embedded broker), the
 * operator commands (`release publish`, `device enroll`, `deploy`), and `edgefleet agent
 * start`, which installs pm@1.0.0. Then both the agent and the hub are SIGKILLed, and a new
 * agent process on the same state folder, whose broker URL now leads nowhere, serves
 * predictions at once and keeps serving while its reconnects fail.
 */
import { rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { predict, startAgentProcess } from '../helpers/agent-process.js';
import { runEdgefleet } from '../helpers/run-edgefleet.js';
import { killAllProcesses, spawnEdgefleet } from '../helpers/spawn-process.js';
import { buildPmBundle, makeTrust } from '../helpers/trust-fixture.js';
import type { TrustFixture } from '../helpers/trust-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

let trust: TrustFixture;
let bundleDir: string;
let v100: string;
let dir: string | undefined;

beforeAll(async () => {
  trust = makeTrust();
  bundleDir = mkdtempSync(join(tmpdir(), 'ef-offline-bundles-'));
  v100 = await buildPmBundle(bundleDir, trust.release.privateKey, { version: '1.0.0' });
  return () => rm(bundleDir, { recursive: true, force: true });
}, 120_000);

afterEach(async () => {
  await killAllProcesses();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Runs an operator command against the hub; fails the test with its output when it fails. */
async function operator(args: readonly string[]): Promise<void> {
  const res = await runEdgefleet([...args, '--json']);
  if (res.code !== 0) throw new Error(`edgefleet ${args.join(' ')}: ${res.stdout}${res.stderr}`);
}

describe('agent process without a broker', () => {
  it('serves its installed bundle at once when started with a dead broker URL', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-offline-'));
    await trust.writeTo(join(dir, 'keys'));
    const hub = await spawnEdgefleet<{ httpUrl: string; operatorTokenPath: string }>([
      'hub',
      'start',
      '--data',
      join(dir, 'hub'),
      '--host',
      '127.0.0.1',
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
      '--keyring',
      join(dir, 'keys', 'keyring.json'),
      '--deploy-key',
      join(dir, 'keys', 'deploy.key'),
      '--log-level',
      'warn',
    ]);
    const connection = ['--hub', hub.info.httpUrl, '--token-file', hub.info.operatorTokenPath];
    const config = join(dir, 'device.json');
    await operator(['release', 'publish', v100, ...connection]);
    await operator(['device', 'enroll', 'press-1', '--out', config, ...connection]);
    const stateDir = join(dir, 'agent');

    const first = await startAgentProcess(config, stateDir);
    expect(first.info.serving).toEqual([]);
    await operator(['deploy', 'pm@1.0.0', '--device', 'press-1', ...connection]);
    await waitFor(
      async () => (await predict(first.info.apiUrl)).body.version === '1.0.0',
      60_000,
      'the first agent serves pm@1.0.0',
    );
    // Power cut on the device, and the hub with its broker is gone too.
    await first.kill('SIGKILL');
    await hub.kill('SIGKILL');

    // Same device.json: its broker URL points at the dead hub's port.
    const second = await startAgentProcess(config, stateDir);
    // Serving was restored before the API opened: the very first request succeeds.
    expect(second.info.serving.map((m) => `${m.name}@${m.version}`)).toEqual(['pm@1.0.0']);
    const reply = await predict(second.info.apiUrl, [
      [1, 0, 0, 300, 310, 1500, 40, 10],
      [0, 1, 0, 302, 311, 1400, 55, 200],
    ]);
    expect(reply.status).toBe(200);
    expect(reply.body.version).toBe('1.0.0');
    expect(reply.body.predictions).toHaveLength(2);

    const health = (await (await fetch(`${second.info.apiUrl}/healthz`)).json()) as {
      broker: string;
    };
    expect(health.broker).toBe('disconnected');
    // `agent status` reads the status file the running agent keeps (no broker, no API needed).
    const status = await waitFor(
      async () => {
        const res = await runEdgefleet(['agent', 'status', '--state-dir', stateDir, '--json']);
        const doc = JSON.parse(res.stdout) as {
          running: boolean;
          status: { bootId: string; broker: { connected: boolean }; models: { version: string }[] };
        };
        return doc.status?.bootId === second.info.bootId ? doc : undefined;
      },
      30_000,
      'agent status shows the second boot',
    );
    expect(status.running).toBe(true);
    expect(status.status.broker.connected).toBe(false);
    expect(status.status.models.map((m) => m.version)).toEqual(['1.0.0']);
    // Seconds later, with every reconnect attempt failing, it still serves.
    expect((await predict(second.info.apiUrl)).body.version).toBe('1.0.0');
  }, 120_000);
});
