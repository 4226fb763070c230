import { resolve } from 'node:path';
import type { CommandSpec } from '../command.js';
import { optionalString } from '../option-values.js';
import { printResult } from '../output.js';
import { DEFAULT_AGENT_STATE_DIR } from './agent-start.js';

interface StatusModel {
  name: string;
  version: string;
  sha256: string;
  stats?: { requests?: number; errors?: number; latencyMs?: { p50: number; p95: number } };
}

export const agentStatus: CommandSpec = {
  path: ['agent', 'status'],
  summary: 'Show what the agent in a state directory serves, and its outbox and installs',
  description: [
    'Reads the status the running agent keeps in <state-dir>/status.json (refreshed every 2 s),',
    'so it works without the local API. Says whether the agent is running; a stopped agent',
    'shows its last known status.',
  ].join('\n'),
  options: {
    'state-dir': {
      type: 'string',
      valueName: 'dir',
      description: 'The agent state directory',
      defaultText: `./${DEFAULT_AGENT_STATE_DIR}`,
    },
    json: { type: 'boolean', description: 'Print the status as JSON' },
  },
  examples: [
    'edgefleet agent status',
    'edgefleet agent status --state-dir /var/lib/edgefleet --json',
  ],
  async run(ctx) {
    const stateDir = resolve(
      ctx.io.cwd,
      optionalString(ctx, 'state-dir') ?? DEFAULT_AGENT_STATE_DIR,
    );
    const { readAgentStatus } = await import('@edgefleet/agent');
    const { running, status } = await readAgentStatus(stateDir);
    if (status === undefined) {
      printResult(ctx, { stateDir, running: false, status: null }, [
        `no agent status in ${stateDir} (start one: edgefleet agent start --config device.json --state-dir ${stateDir})`,
      ]);
      return 1;
    }
    const outbox = status.outbox as {
      depth?: number;
      bytes?: number;
      dropped?: number;
      expired?: number;
    };
    const models = status.models as StatusModel[];
    const last = status.converger.executions[0];
    printResult(ctx, { stateDir, running, status }, [
      `agent ${status.deviceId} ${running ? `running (pid ${status.pid})` : `not running (last status ${status.updatedAt})`}`,
      `  broker          ${status.broker.url} ${status.broker.connected ? 'connected' : 'disconnected'}`,
      `  desired state   version ${status.converger.desiredVersion ?? 'none yet'}`,
      ...(models.length === 0
        ? ['  serving         nothing']
        : models.map(
            (m) =>
              `  serving         ${m.name}@${m.version} (${m.sha256.slice(0, 12)}) requests ${m.stats?.requests ?? 0}, errors ${m.stats?.errors ?? 0}, p95 ${m.stats?.latencyMs?.p95?.toFixed(2) ?? '-'} ms`,
          )),
      ...(last === undefined ? [] : [`  last install    ${JSON.stringify(last).slice(0, 160)}`]),
      `  outbox          ${outbox.depth ?? 0} reports, ${outbox.bytes ?? 0} bytes waiting; dropped ${outbox.dropped ?? 0}, expired ${outbox.expired ?? 0}`,
    ]);
    return 0;
  },
};
