/**
 * The hub side of the hub benchmark: a hub in this process on the embedded broker or on a real
 * Mosquitto (generated config on a free port, the test helper's way), enrolled devices, and the
 * device clients in a forked child process (hub-bench-devices.ts).
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { hashDeviceSecret } from '../../packages/hub/src/broker/device-secrets.js';
import { HUB_BROKER_USERNAME } from '../../packages/hub/src/hub/device-auth.js';
import { startHub } from '../../packages/hub/src/hub/start-hub.js';
import type { RunningHub } from '../../packages/hub/src/hub/start-hub.js';
import { loadHubBrokerSecret } from '../../packages/hub/src/mosquitto/hub-mosquitto-config.js';
import { mosquittoDevicesFromStore } from '../../packages/hub/src/mosquitto/mosquitto-store.js';
import { startMosquitto } from '../../test/helpers/mosquitto.js';
import type { RunningMosquitto } from '../../test/helpers/mosquitto.js';
import type { BenchDevice, ChildMessage, DeviceJob, JobReport } from './hub-bench-devices.js';

export type BrokerKind = 'embedded' | 'mosquitto';

/** A hub under test with its devices. */
export interface BenchHub {
  hub: RunningHub;
  broker: BrokerKind;
  devices: BenchDevice[];
  /** CPU time (user + system, ms) Mosquitto has used so far; undefined for the embedded broker. */
  brokerCpuMs(): number | undefined;
  close(): Promise<void>;
}

/** CPU time of a process in ms from /proc (Linux), undefined elsewhere. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised name; utime and stime are the 12th and 13th of those.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Starts a hub (HTTP off, no logs, rate limit out of the way) on `broker` with `deviceCount`
 * enrolled devices; for Mosquitto the password file is regenerated and reloaded after enrolment.
 *
 * @example
 * const { hub, devices, close } = await startBenchHub('mosquitto', 20);
 */
export async function startBenchHub(broker: BrokerKind, deviceCount: number): Promise<BenchHub> {
  const dir = await mkdtemp(join(tmpdir(), 'ef-bench-hub-'));
  const dataDir = join(dir, 'data');
  let mosquitto: RunningMosquitto | undefined;
  let hub: RunningHub | undefined;
  try {
    const common = {
      dataDir,
      host: '127.0.0.1',
      http: false,
      logLevel: false as const,
      // The bench measures the hub's ceiling; the limiter still runs on every message.
      deviceRateLimit: { ratePerSecond: 1e9, burst: 1e9 },
    };
    if (broker === 'mosquitto') {
      const secret = await loadHubBrokerSecret(dataDir);
      mosquitto = await startMosquitto({
        dir,
        devices: [],
        hub: { username: HUB_BROKER_USERNAME, secretHash: await hashDeviceSecret(secret) },
      });
      hub = await startHub({ ...common, brokerUrl: mosquitto.url });
    } else {
      hub = await startHub({ ...common, mqttPort: 0 });
    }
    const devices: BenchDevice[] = [];
    for (let i = 0; i < deviceCount; i++) {
      const id = `bench-${String(i).padStart(3, '0')}`;
      const { provisioning } = await hub.api.enrollDevice(id, {});
      devices.push({ id, password: provisioning.password });
    }
    if (mosquitto !== undefined) {
      await mosquitto.reload({ devices: await mosquittoDevicesFromStore(hub.store) });
    }
    const running = hub;
    const m = mosquitto;
    return {
      hub: running,
      broker,
      devices,
      brokerCpuMs: () => (m === undefined ? undefined : processCpuMs(m.pid)),
      async close() {
        await running.close();
        await m?.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await hub?.close();
    await mosquitto?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

const CHILD = fileURLToPath(new URL('./hub-bench-devices.ts', import.meta.url));

/**
 * Runs `job` in a forked child: resolves once the child is connected and prepared, with a
 * `go()` that starts the clock and resolves to the child's report.
 *
 * @example
 * const child = await prepareDevices(job);
 * const t0 = performance.now(); const report = await child.go();
 */
export async function prepareDevices(
  job: DeviceJob,
  timeoutMs = 300_000,
): Promise<{ go(): Promise<JobReport>; kill(): void }> {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = fork(CHILD, [], {
    execArgv: ['--import', tsx, '--conditions=source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`bench devices exited (${code ?? signal}) before reporting`)),
    ),
  );
  exited.catch(() => {});
  const next = (type: ChildMessage['type']) =>
    Promise.race([
      new Promise<ChildMessage>((resolve, reject) => {
        const on = (m: ChildMessage) => {
          if (m.type === 'error') {
            child.off('message', on);
            reject(new Error(`bench devices failed: ${m.message}`));
          } else if (m.type === type) {
            child.off('message', on);
            resolve(m);
          }
        };
        child.on('message', on);
      }),
      exited,
    ]);
  const ready = next('ready');
  child.send(job);
  try {
    await ready;
  } catch (err) {
    clearTimeout(timer);
    child.kill('SIGKILL');
    throw err;
  }
  return {
    kill() {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    async go() {
      const done = next('done');
      child.send({ type: 'go' });
      try {
        const m = await done;
        if (m.type !== 'done') throw new Error('unexpected child message');
        return m.report;
      } finally {
        clearTimeout(timer);
        if (child.exitCode === null) child.kill('SIGTERM');
      }
    },
  };
}
