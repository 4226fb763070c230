/**
 * A converger in its own process, for SIGKILL tests: the parent passes its settings in
 * EF_CHILD_CONFIG (JSON) and reads one JSON line per report and event on stdout.
 */
import { join } from 'node:path';
import { Converger } from '../../../src/converge/converger.js';
import type { ExecutionStep } from '../../../src/converge/execution-journal.js';
import type { ReportSink } from '../../../src/outbox/outbox-api.js';
import { openAgentDb } from '../../../src/state/agent-db.js';
import { MqttTestLink } from '../../download/helpers/test-link.js';
import { FakeModelHost } from './fake-model-host.js';

export interface ChildConfig {
  brokerUrl: string;
  stateDir: string;
  deviceId: string;
  rootPublicKey: string;
  blockBytes: number;
  probationMs: number;
  /** Freeze the install of this execution at this step and say so. */
  freeze?: { executionId: string; step: ExecutionStep };
}

function say(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const config = JSON.parse(process.env['EF_CHILD_CONFIG'] ?? '{}') as ChildConfig;
const reports: ReportSink = { append: (stream, record) => say({ stream, record }) };
const link = await MqttTestLink.connect(config.brokerUrl, config.deviceId);
const converger = new Converger({
  db: openAgentDb(join(config.stateDir, 'agent.db')),
  stateDir: config.stateDir,
  deviceId: config.deviceId,
  link,
  reports,
  modelHost: new FakeModelHost(),
  trust: { rootPublicKeys: [config.rootPublicKey] },
  download: { blockBytes: config.blockBytes, window: 2, progressIntervalMs: 0 },
  probation: { ms: config.probationMs, maxErrorRate: 0.1, maxCrashes: 0, checkIntervalMs: 50 },
  hooks: {
    beforeStep: (step, exec) => {
      const freeze = config.freeze;
      if (!freeze || freeze.step !== step || freeze.executionId !== exec.executionId) return;
      say({ event: 'frozen', step });
      return new Promise<void>(() => undefined);
    },
  },
});
await converger.start();
say({ event: 'started' });
