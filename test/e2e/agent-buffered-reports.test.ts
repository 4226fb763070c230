/**
 * Issue 6, "Must show": with 10,000 buffered reports, after restart and reconnect the hub has
 * every one exactly once. Real processes throughout:
 *
 * 1. a fixture process appends 10,002 reports (events, health, inference) to the agent's state
 *    folder through the agent's own outbox code, as an earlier offline boot would have;
 * 2. the agent process starts with its broker unreachable, adds health reports of its own
 *    (100 ms period), and is SIGKILLed; every record in its outbox is read from SQLite;
 * 3. it restarts with the hub reachable through an MQTT tap that keeps the hub's acks from it;
 *    the hub stores batches, and the agent is SIGKILLed mid-drain, before any ack;
 * 4. it restarts again and resends what was not acked (same boot id and seq); then the tap
 *    lets the acks through.
 *
 * The hub's telemetry table then holds every record of step 2 exactly once (matched by its
 * JSON), and no record twice; the resends were counted as duplicates. Over the embedded broker
 * and over a real Mosquitto.
 */
import { rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  hashDeviceSecret,
  HUB_BROKER_USERNAME,
  loadHubBrokerSecret,
  mosquittoDevicesFromStore,
} from '@edgefleet/hub';
import type { RunningHub } from '@edgefleet/hub';
import {
  deadBrokerUrl,
  metricValue,
  queryDb,
  startAgentProcess,
  startTestHub,
  writeDeviceConfig,
} from '../helpers/agent-process.js';
import { startMqttTap } from '../helpers/mqtt-tap.js';
import type { MqttTap } from '../helpers/mqtt-tap.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import type { RunningMosquitto } from '../helpers/mosquitto.js';
import { killAllProcesses, spawnFromSource } from '../helpers/spawn-process.js';
import { makeTrust } from '../helpers/trust-fixture.js';
import type { TrustFixture } from '../helpers/trust-fixture.js';
import { waitFor } from '../helpers/wait-for.js';

const SEEDED = 10_002;
const OWN_HEALTH = 20;
const SEED_SCRIPT = fileURLToPath(new URL('./fixtures/seed-outbox.ts', import.meta.url));
const STREAMS = ['events', 'health', 'inference', 'drift'];
const DEVICE = 'press-1';

let trust: TrustFixture;
let dir: string | undefined;
let hub: RunningHub | undefined;
let mosquitto: RunningMosquitto | undefined;
let tap: MqttTap | undefined;

beforeAll(() => {
  trust = makeTrust();
});

afterEach(async () => {
  await killAllProcesses();
  await tap?.close();
  tap = undefined;
  await hub?.close();
  hub = undefined;
  await mosquitto?.stop();
  mosquitto = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Every telemetry record body the hub stored for the device, and its message count. */
function hubRecords(hubDb: string): { bodies: string[]; messages: number } {
  const rows = queryDb<{ stream: string; payload_json: string }>(
    hubDb,
    "SELECT stream, payload_json FROM telemetry WHERE device_id = ? AND stream <> 'status'",
    DEVICE,
  );
  const bodies: string[] = [];
  for (const row of rows) {
    const batch = JSON.parse(row.payload_json) as { records: unknown[] };
    for (const record of batch.records) bodies.push(JSON.stringify(record));
  }
  return { bodies, messages: rows.length };
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** The whole scenario against `hub`, whose devices reach it at `provisioning.brokerUrl`. */
async function bufferedReportsSurviveKills(workDir: string, running: RunningHub): Promise<void> {
  const { provisioning } = await running.api.enrollDevice(DEVICE, {});
  if (mosquitto)
    await mosquitto.reload({ devices: await mosquittoDevicesFromStore(running.store) });
  const acks = await startMqttTap(provisioning.brokerUrl);
  tap = acks;
  const online = await writeDeviceConfig(join(workDir, 'device.json'), provisioning, {
    brokerUrl: acks.url,
  });
  const offline = await writeDeviceConfig(join(workDir, 'device-offline.json'), provisioning, {
    brokerUrl: await deadBrokerUrl(),
  });
  const stateDir = join(workDir, 'agent');
  const agentDb = join(stateDir, 'agent.db');

  // 1. An earlier boot's backlog, appended by the outbox code in another process.
  const seed = await spawnFromSource<{ bootId: string; depth: number; dropped: number }>(
    SEED_SCRIPT,
    [stateDir, DEVICE, String(SEEDED)],
  );
  expect((await seed.exited).code).toBe(0);
  expect(seed.info).toMatchObject({ depth: SEEDED, dropped: 0 });

  // 2. The agent, offline, buffers reports of its own on top, then loses power.
  const cut = await startAgentProcess(offline, stateDir, ['--health-interval', '100ms']);
  await waitFor(
    async () => {
      const res = await fetch(`${cut.info.apiUrl}/healthz`);
      const health = (await res.json()) as { outbox: { depth: number } };
      return health.outbox.depth >= SEEDED + OWN_HEALTH;
    },
    60_000,
    'the offline agent buffered health reports of its own',
  );
  await cut.kill('SIGKILL');
  const buffered: string[] = [];
  for (const stream of STREAMS) {
    for (const row of queryDb<{ body: string }>(
      agentDb,
      `SELECT body FROM outbox_records_${stream}`,
    )) {
      buffered.push(row.body);
    }
  }
  expect(buffered.length).toBeGreaterThanOrEqual(SEEDED + OWN_HEALTH);
  expect(new Set(buffered).size).toBe(buffered.length);

  // 3. Back online: the hub stores, its acks do not get through; the agent dies mid-drain.
  acks.hold((topic) => topic.endsWith('/ack'));
  const draining = await startAgentProcess(online, stateDir);
  const hubDb = join(running.dataDir, 'hub.db');
  const storedMessages = () =>
    queryDb<{ n: number }>(
      hubDb,
      "SELECT count(*) AS n FROM telemetry WHERE device_id = ? AND stream <> 'status'",
      DEVICE,
    )[0]?.n ?? 0;
  await waitFor(() => storedMessages() >= 2, 60_000, 'the hub stored batches of the backlog');
  await draining.kill('SIGKILL');
  const storedBeforeKill = storedMessages();

  // 4. Restarted: it resends the unacked batches (same boot id and seq); then the acks flow.
  const mark = acks.sent.length;
  const resumed = await startAgentProcess(online, stateDir);
  const resent = () =>
    acks.sent
      .slice(mark)
      .filter((p) => p.topic.includes('/tel/'))
      .map((p) => JSON.parse(p.payload.toString('utf8')) as { bootId: string })
      // Batches keep the boot id of the process that formed them: the one killed mid-drain.
      .filter((batch) => batch.bootId === draining.info.bootId).length;
  await waitFor(
    () => resent() >= storedBeforeKill,
    60_000,
    'the restarted agent resent the stored but unacked batches',
  );
  acks.release();
  await waitFor(
    () => {
      const present = new Set(hubRecords(hubDb).bodies);
      return buffered.every((b) => present.has(b));
    },
    120_000,
    'the hub has every buffered report',
  );
  await waitFor(
    async () => {
      const res = await fetch(`${resumed.info.apiUrl}/healthz`);
      return ((await res.json()) as { outbox: { depth: number } }).outbox.depth < 50;
    },
    60_000,
    'the agent outbox drained',
  );

  const { bodies, messages } = hubRecords(hubDb);
  const stored = countBy(bodies);
  const twice = [...stored].filter(([, n]) => n > 1);
  expect(twice).toEqual([]);
  expect(buffered.filter((body) => stored.get(body) !== 1)).toEqual([]);
  const seeded = bodies.filter((b) => b.includes('"seed":')).length;
  expect(seeded).toBe(SEEDED);
  const duplicates = metricValue(
    running.metrics.text(),
    'edgefleet_hub_telemetry_duplicates_total',
  );
  expect(duplicates).toBeGreaterThan(0);
  console.info(
    `buffered reports: ${buffered.length} buffered at the kill (${SEEDED} seeded), ` +
      `${bodies.length} records in ${messages} messages stored, each once; ` +
      `${storedBeforeKill} messages stored before the mid-drain kill, ${duplicates} duplicates refused`,
  );
}

describe('agent process with 10,000 buffered reports', () => {
  it('delivers every report exactly once over the embedded broker', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-buffered-'));
    hub = await startTestHub(dir, trust);
    await bufferedReportsSurviveKills(dir, hub);
  }, 240_000);

  it('delivers every report exactly once over Mosquitto', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ef-buffered-mosq-'));
    const hubDir = join(dir, 'hub');
    const secret = await loadHubBrokerSecret(hubDir);
    mosquitto = await startMosquitto({
      dir,
      devices: [],
      hub: { username: HUB_BROKER_USERNAME, secretHash: await hashDeviceSecret(secret) },
    });
    hub = await startTestHub(dir, trust, { brokerUrl: mosquitto.url });
    await bufferedReportsSurviveKills(dir, hub);
  }, 240_000);
});
