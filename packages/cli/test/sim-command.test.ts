/** `edgefleet sim` with a fake fleet: flags to fleet options, status lines, stop on the signal. */
import { describe, expect, it } from 'vitest';

import type { CommandContext } from '../src/command.js';
import { parseRate, runSim } from '../src/commands/sim.js';
import type { SimDeps } from '../src/commands/sim.js';
import { HubClient } from '../src/hub-client.js';
import { summarizeFleet } from '../src/sim/fleet-summary.js';
import type { FleetOptions, RunningFleet } from '../src/sim/start-fleet.js';
import { runCli } from '../src/run-cli.js';
import { recordingIO } from './cli-io.js';

function context(values: CommandContext['values'], json = false) {
  const io = recordingIO('/work/site');
  const ctx: CommandContext = { values, positionals: [], io, json };
  return { ctx, io };
}

function fakeDeps() {
  const seen: { options?: FleetOptions; stopped: boolean } = { stopped: false };
  let stop: (signal: string) => void = () => undefined;
  const fleet = {
    devices: [
      { id: 'sim-1-0001', site: 'site-1', faults: ['fail-install'] },
      { id: 'sim-2-0002', site: 'site-2', faults: [] },
    ],
    pool: {},
    summary: () =>
      summarizeFleet(
        [
          {
            id: 'sim-1-0001',
            site: 'site-1',
            faults: ['fail-install'],
            connected: true,
            serving: [],
            outboxDepth: 0,
            predictions: 0,
            errors: {},
          },
          {
            id: 'sim-2-0002',
            site: 'site-2',
            faults: [],
            connected: true,
            serving: [{ name: 'pm', version: '1.0.0' }],
            outboxDepth: 1,
            predictions: 10,
            errors: {},
          },
        ],
        { workers: 1, outstanding: 0, crashes: 0, sessions: 1 },
      ),
    async stop() {
      seen.stopped = true;
    },
  } as unknown as RunningFleet;
  const deps: SimDeps = {
    connectHub: async () => new HubClient(new URL('http://127.0.0.1:8080'), 'tok', '--token'),
    async startFleet(options) {
      seen.options = options;
      options.onEvent?.({ type: 'ready', devices: 2, ms: 1234 });
      return fleet;
    },
    stopSignal: () => new Promise((done) => (stop = done)),
  };
  return { deps, seen, stop: (signal: string) => stop(signal) };
}

describe('edgefleet sim', () => {
  it('turns flags into fleet options, prints status lines and stops the fleet on the signal', async () => {
    const { ctx, io } = context({
      devices: '2',
      sites: '2',
      faults: 'fail-install=50%',
      rate: '120/min',
      'state-dir': 'fleet',
      'health-interval': '1s',
      probation: '2s',
      'slow-latency': '50ms',
      workers: '1',
    });
    const fake = fakeDeps();
    const running = runSim(ctx, fake.deps);
    await expect.poll(() => io.out()).toContain('press Ctrl-C to stop');
    expect(fake.seen.options).toMatchObject({
      devices: 2,
      sites: 2,
      faults: 'fail-install=50%',
      rate: 2,
      stateRoot: '/work/site/fleet',
      healthIntervalMs: 1000,
      probationMs: 2000,
      slowLatencyMs: 50,
      workers: 1,
    });
    expect(io.out()).toContain('2 agents started in 1.2 s');
    expect(io.out()).toContain('fault fail-install: 1 devices (sim-1-0001)');
    expect(io.out()).toMatch(/2\/2 connected {2}pm@1\.0\.0 1 · none 1/);
    fake.stop('SIGINT');
    expect(await running).toBe(0);
    expect(fake.seen.stopped).toBe(true);
    expect(io.err()).toContain('SIGINT: stopping 2 agents');
    expect(io.out()).toContain('stopped');
  });

  it('prints JSON lines with --json: status totals, then a final one with every device', async () => {
    const { ctx, io } = context({ devices: '2' }, true);
    const fake = fakeDeps();
    const running = runSim(ctx, fake.deps);
    await expect.poll(() => io.out()).toContain('"type":"status"');
    fake.stop('SIGTERM');
    expect(await running).toBe(0);
    const lines = io
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ ok: true, type: 'status', devices: 2, connected: 2 });
    expect(lines[0]).not.toHaveProperty('list');
    expect(lines.at(-1)).toMatchObject({ type: 'final', serving: { 'pm@1.0.0': 1, none: 1 } });
    expect((lines.at(-1)!['list'] as unknown[]).length).toBe(2);
  });

  it('refuses a missing or bad flag with EF_CLI_USAGE before touching a hub', async () => {
    for (const args of [
      ['sim'],
      ['sim', '--devices', 'many'],
      ['sim', '--devices', '5', '--sites', '6'],
      ['sim', '--devices', '5', '--rate', 'fast'],
      ['sim', '--devices', '5', '--probation', '10'],
    ]) {
      const io = recordingIO('/work/site');
      expect(await runCli(args, io), args.join(' ')).toBe(2);
      expect(io.err(), args.join(' ')).toContain('EF_CLI_USAGE');
    }
  });

  it('reads rates per second or per minute', () => {
    expect(parseRate('5/s')).toBe(5);
    expect(parseRate('5')).toBe(5);
    expect(parseRate('30/min')).toBe(0.5);
    expect(parseRate('0')).toBe(0);
  });
});
