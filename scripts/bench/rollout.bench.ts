/**
 * Issue 7's rollout benchmark: 1,000 simulated devices (real agents, `startFleet`, in this
 * process) through a 4-wave rollout of a PM release from a hub in its own process (`edgefleet hub
 * start` from source), measuring time to completion, per-wave durations, the hub's CPU and RSS
 * from /proc, and the hub's own counters of messages in, blob bytes served and desired states.
 * The issue asks for the figures, not a threshold. Every process and temp dir is cleaned up,
 * also when a step fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { runCli, startFleet } from '@edgefleet/cli';
import type { RunningFleet } from '@edgefleet/cli';

import { delta, hubMetrics } from './rollout-hub-metrics.js';
import type { MetricSamples } from './rollout-hub-metrics.js';
import { startHubProcess } from './rollout-hub-process.js';
import type { HubProcess } from './rollout-hub-process.js';
import { ProcSampler } from './rollout-proc-sampler.js';
import type { ProcFigures } from './rollout-proc-sampler.js';
import type { BenchSuite } from './suite.js';

/** The run's parameters; `EF_BENCH_ROLLOUT_DEVICES` shrinks it for a quick try. */
const PLAN = {
  devices: Number(process.env['EF_BENCH_ROLLOUT_DEVICES'] ?? 1000),
  sites: 4,
  waves: '1,10,50,100',
  soak: '5s',
  ratePerMinute: 1000,
  gate: 'error-rate<1%',
  predictionsPerSecond: 1,
  healthIntervalMs: 5000,
  idleSeconds: 10,
  timeoutMs: 15 * 60_000,
};

const fixture = (p: string) => fileURLToPath(new URL(`../../fixtures/${p}`, import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface WaveView {
  index: number;
  state: string;
  size: number;
  startedAt: string | null;
  soakStartedAt: string | null;
  finishedAt: string | null;
  metrics: { successes: number; failures: number };
}
interface ProgressView {
  rollout: {
    id: string;
    state: string;
    createdAt: string;
    finishedAt: string | null;
    reason: unknown;
  };
  devices: { total: number; notified: number; counts: Record<string, number> };
  waves: WaveView[];
}

/** Runs an `edgefleet` command in this process against the hub; a non-zero exit throws. */
async function edgefleet(hub: HubProcess | undefined, args: string[]): Promise<unknown> {
  let out = '';
  let err = '';
  const code = await runCli([...args, '--json'], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    isTTY: false,
    env: hub
      ? { ...process.env, EDGEFLEET_HUB: hub.httpUrl, EDGEFLEET_TOKEN: hub.token }
      : process.env,
    cwd: process.cwd(),
  });
  if (code !== 0) throw new Error(`edgefleet ${args.join(' ')} exited ${code}: ${err.trim()}`);
  return JSON.parse(out);
}

async function rolloutStatus(hub: HubProcess, id: string): Promise<ProgressView> {
  const res = await fetch(`${hub.httpUrl}/v1/rollouts/${id}`, {
    signal: AbortSignal.timeout(15_000),
    headers: { authorization: `Bearer ${hub.token}` },
  });
  if (!res.ok) throw new Error(`GET /v1/rollouts/${id} answered ${res.status}`);
  return (await res.json()) as ProgressView;
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${sec(timeoutMs)} waiting for ${what}`);
    await sleep(500);
  }
}

/** Everything the section reports. */
interface RolloutFigures {
  devices: number;
  fleetStartMs: number;
  bundleBytes: number;
  idle: { hub: ProcFigures; messagesPerSecond: number };
  completionMs: number;
  final: ProgressView;
  waves: {
    index: number;
    size: number;
    ms: number;
    soakMs: number | null;
    successes: number;
    failures: number;
  }[];
  hub: ProcFigures;
  fleet: ProcFigures;
  messagesIn: Map<string, number>;
  blobBytes: number;
  blobRequests: Map<string, number>;
  desired: Map<string, number>;
  rejects: Map<string, number>;
  serving: Record<string, number>;
}

const ms = (a: string | null, b: string | null) =>
  a === null || b === null ? null : Date.parse(b) - Date.parse(a);

async function measureRollout(log: (line: string) => void): Promise<RolloutFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'ef-bench-rollout-'));
  let hub: HubProcess | undefined;
  let fleet: RunningFleet | undefined;
  let hubSampler: ProcSampler | undefined;
  const fleetSampler = new ProcSampler('self', 500);
  try {
    hub = await startHubProcess(join(dir, 'hub'));
    log(`hub pid ${hub.pid} at ${hub.httpUrl}, broker ${hub.brokerUrl}`);
    hubSampler = new ProcSampler(hub.pid, 500);
    hubSampler.start();

    const efb = join(dir, 'pm-1.0.0.efb');
    const compiled = (await edgefleet(undefined, [
      'compile',
      fixture('models/pm-mlp.onnx'),
      '--data',
      fixture('data/pm/calibration.csv'),
      '--eval',
      fixture('data/pm/eval.csv'),
      '--preprocess',
      fixture('data/pm/preprocess.json'),
      '--quantize',
      'auto',
      '--window-size',
      '250',
      '--key',
      hub.releaseKeyPath,
      '--name',
      'pm',
      '--version',
      '1.0.0',
      '--out',
      efb,
    ])) as { result: { bundle: { bytes: number } } };
    const bundleBytes = compiled.result.bundle.bytes;
    await edgefleet(hub, ['release', 'publish', efb]);
    log(`published pm@1.0.0 (${bundleBytes} bytes)`);

    const t0 = Date.now();
    fleet = await startFleet({
      hubUrl: hub.httpUrl,
      token: hub.token,
      devices: PLAN.devices,
      sites: PLAN.sites,
      stateRoot: join(dir, 'fleet'),
      rate: PLAN.predictionsPerSecond,
      healthIntervalMs: PLAN.healthIntervalMs,
    });
    const fleetStartMs = Date.now() - t0;
    log(`${PLAN.devices} agents started in ${sec(fleetStartMs)}`);
    const running = hub;
    await waitFor('every device online at the hub', 180_000, async () => {
      const online = (await hubMetrics(running.httpUrl)).get('edgefleet_hub_devices_online') ?? 0;
      return online >= PLAN.devices ? online : undefined;
    });
    fleetSampler.start();

    // An idle window first: what 1,000 connected devices cost the hub without a rollout.
    hubSampler.mark();
    const idleBefore = await hubMetrics(hub.httpUrl);
    await sleep(PLAN.idleSeconds * 1000);
    const idleAfter = await hubMetrics(hub.httpUrl);
    const idleHub = hubSampler.figures();
    const idleMessages = [
      ...delta(idleBefore, idleAfter, 'edgefleet_hub_messages_in_total').values(),
    ].reduce((a, b) => a + b, 0);
    log(
      `idle: hub ${idleHub.avgCpuPct.toFixed(1)}% CPU, ${(idleMessages / idleHub.seconds).toFixed(0)} messages/s`,
    );

    hubSampler.mark();
    fleetSampler.mark();
    const before: MetricSamples = await hubMetrics(hub.httpUrl);
    const created = (await edgefleet(hub, [
      'rollout',
      'create',
      'pm@1.0.0',
      '--select',
      'fleet=sim',
      '--waves',
      PLAN.waves,
      '--soak',
      PLAN.soak,
      '--rate',
      `${PLAN.ratePerMinute}/min`,
      '--gate',
      PLAN.gate,
    ])) as { status: ProgressView };
    const id = created.status.rollout.id;
    log(`rollout ${id}: waves of ${created.status.waves.map((w) => w.size).join(', ')}`);
    let lastLine = '';
    const final = await waitFor('the rollout to finish', PLAN.timeoutMs, async () => {
      const p = await rolloutStatus(running, id);
      const line = `wave ${p.waves.findIndex((w) => w.finishedAt === null) + 1 || p.waves.length}: ${p.rollout.state}, ${JSON.stringify(p.devices.counts)}`;
      if (line !== lastLine) log((lastLine = line));
      return ['completed', 'paused', 'aborted', 'rolled-back'].includes(p.rollout.state)
        ? p
        : undefined;
    });
    const after = await hubMetrics(hub.httpUrl);
    const hubFigures = hubSampler.figures();
    const fleetFigures = fleetSampler.figures();
    if (final.rollout.state !== 'completed') {
      throw new Error(
        `rollout ended ${final.rollout.state}: ${JSON.stringify(final.rollout.reason)}`,
      );
    }
    return {
      devices: PLAN.devices,
      fleetStartMs,
      bundleBytes,
      idle: { hub: idleHub, messagesPerSecond: idleMessages / idleHub.seconds },
      completionMs: ms(final.rollout.createdAt, final.rollout.finishedAt) ?? Number.NaN,
      final,
      waves: final.waves.map((w) => ({
        index: w.index,
        size: w.size,
        ms: ms(w.startedAt, w.finishedAt) ?? Number.NaN,
        soakMs: ms(w.soakStartedAt, w.finishedAt),
        successes: w.metrics.successes,
        failures: w.metrics.failures,
      })),
      hub: hubFigures,
      fleet: fleetFigures,
      messagesIn: delta(before, after, 'edgefleet_hub_messages_in_total'),
      blobBytes: [...delta(before, after, 'edgefleet_hub_blob_bytes_served_total').values()].reduce(
        (a, b) => a + b,
        0,
      ),
      blobRequests: delta(before, after, 'edgefleet_hub_blob_requests_total'),
      desired: delta(before, after, 'edgefleet_hub_desired_published_total'),
      rejects: delta(before, after, 'edgefleet_hub_rejects_total'),
      serving: fleet.summary().serving,
    };
  } finally {
    fleetSampler.stop();
    hubSampler?.stop();
    await fleet?.stop().catch((err: unknown) => log(`fleet stop failed: ${String(err)}`));
    await hub?.stop().catch((err: unknown) => log(`hub stop failed: ${String(err)}`));
    await rm(dir, { recursive: true, force: true });
  }
}

const label = (l: string) => (l === '' ? '(all)' : l.replace(/^\w+="(.*)"$/, '$1'));

function report(f: RolloutFigures): string {
  const n = f.devices;
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const kinds = [...f.messagesIn].filter(([, v]) => v > 0).sort(([a], [b]) => a.localeCompare(b));
  const perSecond = f.completionMs / 1000;
  return `
Goal (issue 7): report what a 1,000-device, 4-wave rollout costs: time to completion, hub CPU and
RSS, messages per device. No threshold is set; these are the figures.

Setup: the hub runs alone in a child process (\`edgefleet hub start\` from source via tsx,
embedded broker, SQLite, default rollout engine timings: 1 s tick, 5 s gate interval). ${n}
simulated devices (real agents, each with its own state dir, SQLite outbox, MQTT connection and
credentials; \`startFleet\`, ${f.devices / PLAN.sites} per site in ${PLAN.sites} sites) run in the
benchmark process, ${PLAN.predictionsPerSecond} prediction/s each, health every
${PLAN.healthIntervalMs / 1000} s, probation 10 s (the agent default). Release: the fixture PM
model compiled with \`--quantize auto\`, ${f.bundleBytes} bytes. Rollout: \`edgefleet rollout create
pm@1.0.0 --select fleet=sim --waves ${PLAN.waves} --soak ${PLAN.soak} --rate ${PLAN.ratePerMinute}/min --gate
'${PLAN.gate}'\` (defaults for max-failures, min-success, min-reported). The notification rate
limit of ${PLAN.ratePerMinute}/min alone makes the last wave take at least ${(((f.waves.at(-1)?.size ?? 0) / PLAN.ratePerMinute) * 60).toFixed(0)} s.
The ${n} agents started in ${sec(f.fleetStartMs)}.

| measure | value |
| --- | ---: |
| time to completion (create to completed) | ${sec(f.completionMs)} |
| devices serving pm@1.0.0 at completion | ${f.serving['pm@1.0.0'] ?? 0} of ${n} |
| hub CPU during the rollout | ${f.hub.cpuSeconds.toFixed(1)} s (avg ${f.hub.avgCpuPct.toFixed(0)}%, peak ${f.hub.peakCpuPct.toFixed(0)}% of one core over 0.5 s) |
| hub CPU idle with ${n} devices connected | avg ${f.idle.hub.avgCpuPct.toFixed(0)}% (${f.idle.messagesPerSecond.toFixed(0)} messages/s in) |
| hub RSS during the rollout | avg ${mib(f.hub.avgRssBytes)}, peak ${mib(f.hub.peakRssBytes)} (lifetime high-water ${mib(f.hub.lifetimePeakRssBytes)}) |
| fleet process (${n} agents) RSS | avg ${mib(f.fleet.avgRssBytes)}, peak ${mib(f.fleet.peakRssBytes)} (high-water ${mib(f.fleet.lifetimePeakRssBytes)}) |
| fleet process CPU during the rollout | avg ${f.fleet.avgCpuPct.toFixed(0)}% of one core |
| messages in per device (whole rollout) | ${(total(f.messagesIn) / n).toFixed(1)} (${(total(f.messagesIn) / perSecond).toFixed(0)}/s at the hub) |
| blob bytes served over MQTT | ${(f.blobBytes / 1e6).toFixed(2)} MB, ${(f.blobBytes / n).toFixed(0)} bytes per device (bundle ${f.bundleBytes}) |
| blob block requests | ${
    [...f.blobRequests]
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${label(k)} ${v}`)
      .join(', ') || '0'
  } |
| desired states published | ${
    [...f.desired]
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${label(k)} ${v}`)
      .join(', ') || '0'
  } |
| rejected device messages | ${total(f.rejects)} |

| wave | devices | duration (start to done) | of which soak | succeeded | failed |
| ---: | ---: | ---: | ---: | ---: | ---: |
${f.waves.map((w) => `| ${w.index + 1} | ${w.size} | ${sec(w.ms)} | ${w.soakMs === null ? '-' : sec(w.soakMs)} | ${w.successes} | ${w.failures} |`).join('\n')}

Messages in during the rollout, by kind (per device; they include the steady health and
telemetry every device sends anyway, ${((f.idle.messagesPerSecond / n) * perSecond).toFixed(1)} per device over the same time at the idle rate):

| kind | messages | per device |
| --- | ---: | ---: |
${kinds.map(([k, v]) => `| ${label(k)} | ${v} | ${(v / n).toFixed(2)} |`).join('\n')}
`;
}

export const rolloutSuite: BenchSuite = {
  id: 'rollout',
  title: 'Rollout: 1,000 simulated devices through 4 waves (issue 7)',
  run: async (log) => report(await measureRollout(log)),
};
