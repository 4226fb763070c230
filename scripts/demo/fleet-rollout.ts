/**
 * The fleet part of the demo (issue 7): a hub with its embedded broker, about 50 simulated
 * devices in 3 sites (real agents, one process), v1 rolled out in waves to all of them, then a v2
 * that is worse on the devices' own numbers, stopped by a gate and rolled back.
 *
 * v2 is the same network calibrated on another plant's data (its sensors read warmer and its
 * torque higher): on these devices its inputs look drifted against the baseline it shipped, so
 * the canary wave's drift reports breach the `drift<0.25` gate.
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFleet } from '@edgefleet/cli';
import type { RunningFleet } from '@edgefleet/cli';
import { startHub } from '@edgefleet/hub';
import type { RolloutProgressView, RunningHub } from '@edgefleet/hub';
import type { Narrator } from './narrate.js';
import { edgefleetJson } from './run-edgefleet.js';

const fixture = (p: string) =>
  relative(process.cwd(), fileURLToPath(new URL(`../../fixtures/${p}`, import.meta.url)));

const DEVICES = 48;
const SITES = 3;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function servingLine(fleet: RunningFleet): string {
  const serving = fleet.summary().serving;
  return Object.entries(serving)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([v, c]) => `${v}: ${c}`)
    .join(', ');
}

/** Follows a rollout's event log, printing what an operator watching it would want to see. */
async function follow(
  n: Narrator,
  hub: RunningHub,
  id: string,
  until: (p: RolloutProgressView) => boolean,
  timeoutMs: number,
): Promise<RolloutProgressView> {
  let after: number | undefined;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await hub.api.rolloutEvents(id, after);
    for (const e of events) {
      after = e.id;
      const d = e.data as Record<string, unknown>;
      const at = e.ts.slice(11, 19);
      if (e.type === 'wave-state') {
        n.info(
          `${at} wave ${(e.wave ?? 0) + 1}: ${String(d['from'])} -> ${String(d['to'])}${d['reason'] ? ` (${String((d['reason'] as { message?: string }).message ?? d['reason'])})` : ''}`,
        );
      } else if (e.type === 'rollout-state') {
        n.info(
          `${at} rollout ${String(d['from'])} -> ${String(d['to'])}${d['reason'] ? ` (${String((d['reason'] as { message?: string }).message ?? d['reason'])})` : ''}`,
        );
      } else if (e.type === 'gate' && d['status'] === 'fail') {
        n.info(
          `${at} gate ${String(d['gate'])} breached: value ${JSON.stringify(d['value'])} vs limit ${JSON.stringify(d['limit'])}`,
        );
      } else if (e.type.startsWith('rollback')) {
        n.info(`${at} ${e.type}${e.deviceId ? ` ${e.deviceId}` : ''}`);
      }
    }
    const progress = await hub.api.getRolloutStatus(id);
    if (until(progress)) return progress;
    if (Date.now() > deadline)
      throw new Error(`rollout ${id} did not finish in ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/**
 * Runs the fleet story. `v1` is the bundle compiled earlier in the demo.
 */
export async function fleetRollout(n: Narrator, dir: string, v1: string): Promise<void> {
  n.section('The model is recalibrated at another plant: v2.0.0');
  const v2 = join(dir, 'pm-2.0.0.efb');
  await edgefleetJson(n, [
    'compile',
    fixture('models/pm-mlp.onnx'),
    '--data',
    fixture('data/pm/eval-drifted.csv'),
    '--eval',
    fixture('data/pm/eval.csv'),
    '--preprocess',
    fixture('data/pm/preprocess.json'),
    '--quantize',
    'none',
    '--window-size',
    '250',
    '--key',
    join(dir, 'keys', 'release.key'),
    '--name',
    'pm',
    '--version',
    '2.0.0',
    '--out',
    v2,
  ]);
  n.info('calibrated on data whose air temperature reads ~2 K warmer and torque higher: its drift');
  n.info('baseline expects that plant, not ours. Offline validation cannot see this; devices can.');

  n.section('Operator starts the hub (HTTP API, embedded MQTT broker, SQLite) and publishes v1');
  const hub = await startHub({
    dataDir: join(dir, 'hub'),
    host: '127.0.0.1',
    httpPort: 0,
    mqttPort: 0,
    keyringPath: join(dir, 'keys', 'keyring.json'),
    deployKeyPath: join(dir, 'keys', 'deploy.key'),
    logLevel: false,
    rolloutEngine: { gateIntervalMs: 1000 },
  });
  let fleet: RunningFleet | undefined;
  try {
    const token = hub.operatorToken ?? (await readFile(hub.operatorTokenPath, 'utf8')).trim();
    process.env['EDGEFLEET_HUB'] = hub.httpUrl;
    process.env['EDGEFLEET_TOKEN'] = token;
    n.info(`hub at ${hub.httpUrl}, broker at ${hub.brokerUrl}`);
    await edgefleetJson(n, ['release', 'publish', v1]);
    await edgefleetJson(n, ['release', 'publish', v2]);
    n.expect((await hub.api.listReleases('pm')).length === 2, 'both releases verified and stored');

    n.section(`${DEVICES} devices in ${SITES} sites enrol and start their agents`);
    n.command(`edgefleet sim --devices ${DEVICES} --sites ${SITES} --rate 25/s`);
    fleet = await startFleet({
      hubUrl: hub.httpUrl,
      token,
      devices: DEVICES,
      sites: SITES,
      stateRoot: join(dir, 'fleet'),
      rate: 25,
      healthIntervalMs: 1000,
      probationMs: 2000,
      driftWindow: 250,
    });
    const devices = await hub.api.listDevices({ fleet: 'sim' });
    n.expect(
      devices.length === DEVICES,
      `${devices.length} devices enrolled with their own credentials`,
    );

    n.section('Operator rolls v1 out in waves: 10%, 50%, 100%');
    const r1 = (await edgefleetJson(n, [
      'rollout',
      'create',
      'pm@1.0.0',
      '--select',
      'fleet=sim',
      '--waves',
      '10,50,100',
      '--soak',
      '10s',
      '--gate',
      'error-rate<1%',
      '--gate',
      'drift<0.25',
      '--min-reported',
      '3',
    ])) as { status: RolloutProgressView };
    const id1 = r1.status.rollout.id;
    const done1 = await follow(
      n,
      hub,
      id1,
      (p) => ['completed', 'paused', 'aborted', 'rolled-back'].includes(p.rollout.state),
      120_000,
    );
    n.info(`fleet now serves: ${servingLine(fleet)}`);
    for (const g of done1.waves.at(-1)?.gates ?? []) {
      n.info(
        `last wave, gate ${g.gate}: ${g.status}${g.value === null ? '' : ` (${g.value.toFixed(3)} from ${g.devices} devices)`}`,
      );
    }
    n.expect(
      done1.rollout.state === 'completed',
      `rollout ${id1} ${done1.rollout.state}: every wave passed its gates`,
    );

    n.section('Operator rolls v2 out the same way, with automatic rollback');
    const r2 = (await edgefleetJson(n, [
      'rollout',
      'create',
      'pm@2.0.0',
      '--select',
      'fleet=sim',
      '--waves',
      '10,50,100',
      '--soak',
      '15s',
      '--gate',
      'error-rate<1%',
      '--gate',
      'drift<0.25',
      '--min-reported',
      '3',
      '--on-failure',
      'rollback',
    ])) as { status: RolloutProgressView };
    const id2 = r2.status.rollout.id;
    const done2 = await follow(
      n,
      hub,
      id2,
      (p) =>
        ['completed', 'aborted', 'rolled-back'].includes(p.rollout.state) ||
        (p.rollout.state === 'paused' &&
          p.rollback !== null &&
          p.rollback.done + p.rollback.failed >= p.rollback.requested),
      120_000,
    );
    // The rolled-back devices report v1 healthy again shortly after the rollback is published.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (fleet.summary().serving['pm@2.0.0'] ?? 0) > 0)
      await sleep(250);
    const touched = done2.devices.notified;
    const wave1 = done2.waves[0];
    const driftGate = wave1?.gates.find((g) => g.gate.startsWith('drift'));
    n.info(`fleet now serves: ${servingLine(fleet)}`);
    n.expect(
      done2.rollout.state !== 'completed',
      `rollout ${id2} stopped in wave 1: ${done2.rollout.reason?.message ?? done2.rollout.state}`,
    );
    n.expect(
      driftGate?.status === 'fail',
      `drift gate on the canary wave: ${driftGate?.value?.toFixed(2) ?? '-'} against < ${driftGate?.limit ?? '-'}`,
    );
    n.expect(
      (fleet.summary().serving['pm@1.0.0'] ?? 0) === DEVICES,
      `all ${DEVICES} devices serve v1 again; v2 reached only ${touched} of them`,
    );

    n.section('Summary');
    n.info(`v1: ${DEVICES} devices in ${done1.waves.length} waves, gates green`);
    n.info(
      `v2: stopped on the canary wave (${touched} devices) by the devices' own drift reports and rolled back automatically`,
    );
    const stats = fleet.summary();
    n.info(
      `${stats.predictions} predictions served on the devices during the demo, ${stats.predictionErrors} refused or failed`,
    );
  } finally {
    await fleet?.stop();
    await hub.close();
  }
}
