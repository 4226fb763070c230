/** The commands that move a rollout (pause, resume, abort, rollback): one shape, four actions. */
import type { CommandSpec } from './command.js';
import {
  connectHub,
  HUB_CONNECTION_HELP,
  HUB_CONNECTION_OPTIONS,
} from './hub-connection-options.js';
import { printResult } from './output.js';
import { progressLine, rolloutRelease } from './rollout-format.js';
import type { RolloutProgressView } from './rollout-views.js';

/** What differs between the actions. */
export interface ControlSpec {
  action: 'pause' | 'resume' | 'abort' | 'rollback';
  summary: string;
  /** Help paragraphs (the connection help is appended). */
  description: readonly string[];
  /** What was done, e.g. `paused`. */
  done: string;
}

/**
 * A `rollout <action> <id>` command: `POST /v1/rollouts/<id>/<action>`, then the new state.
 *
 * @example
 * export const rolloutPause = rolloutControl({ action: 'pause', summary: '...', description: [], done: 'paused' });
 */
export function rolloutControl(spec: ControlSpec): CommandSpec {
  return {
    path: ['rollout', spec.action],
    summary: spec.summary,
    description: [...spec.description, '', HUB_CONNECTION_HELP].join('\n'),
    options: {
      ...HUB_CONNECTION_OPTIONS,
      json: { type: 'boolean', description: 'Print the rollout status as JSON' },
    },
    positionals: [
      { name: 'id', description: 'The rollout id, e.g. ro-7k2m9qwx3a', required: true },
    ],
    examples: [
      `edgefleet rollout ${spec.action} ro-7k2m9qwx3a`,
      `edgefleet rollout ${spec.action} ro-7k2m9qwx3a --json`,
    ],
    async run(ctx) {
      const id = ctx.positionals[0] as string;
      const hub = await connectHub(ctx);
      const view = await hub.sendJson<RolloutProgressView>(
        'POST',
        `/v1/rollouts/${encodeURIComponent(id)}/${spec.action}`,
      );
      const lines = [
        `${spec.done} rollout ${view.rollout.id} (${rolloutRelease(view.rollout)}): now ${view.rollout.state}`,
        `  ${progressLine(view)}`,
      ];
      if (view.rollback !== null) {
        lines.push(
          `  rollback: ${view.rollback.requested} devices, ${view.rollback.assigned} desired states published`,
        );
      }
      lines.push(`see it with: edgefleet rollout status ${view.rollout.id} --watch`);
      printResult(ctx, { status: view }, lines);
    },
  };
}
