/**
 * Creating a rollout: the release must be published, the selection non-empty and not shared
 * with another active rollout of the same model; the waves are planned and every record is
 * written in one commit, with the rollout already moved draft -> running.
 */
import { isDeviceId } from '@edgefleet/protocol';
import { ChangeSet, moveRollout } from './rollout-changes.js';
import { RolloutError } from './rollout-errors.js';
import type { RolloutOptions } from './rollout-options.js';
import type { EngineContext } from './rollout-run.js';
import type { DeviceEntryRecord, RolloutRecord } from './rollout-store.js';
import { planWaves } from './wave-planner.js';

function pendingEntry(
  rolloutId: string,
  deviceId: string,
  wave: number,
  rank: number,
): DeviceEntryRecord {
  return {
    rolloutId,
    deviceId,
    wave,
    rank,
    state: 'pending',
    notifiedAt: null,
    assignedAt: null,
    desiredVersion: null,
    lastStatusAt: null,
    errorCode: null,
    previous: null,
    rollback: null,
  };
}

/** Two active rollouts of one model on one device would fight over its desired state. */
async function checkConflicts(
  ctx: EngineContext,
  model: string,
  devices: ReadonlySet<string>,
): Promise<void> {
  for (const other of await ctx.store.listRollouts(['running', 'paused'])) {
    if (other.options.release.name !== model) continue;
    const shared = (await ctx.store.listEntries(other.id)).filter((e) => devices.has(e.deviceId));
    if (shared.length > 0) {
      throw new RolloutError(
        'EF_HUB_ROLLOUT_CONFLICT',
        `rollout ${other.id} (${other.state}) of ${model} already targets ${shared.length} of these devices; abort it first`,
        { rolloutId: other.id, devices: shared.slice(0, 20).map((e) => e.deviceId) },
      );
    }
  }
}

/**
 * Plans rollout `id` and returns the changes that store it (not yet committed). Throws
 * `EF_HUB_ROLLOUT_UNKNOWN_RELEASE`, `EF_HUB_ROLLOUT_NO_DEVICES`, `EF_HUB_ROLLOUT_COHORT_DEVICE`
 * and `EF_HUB_ROLLOUT_CONFLICT`.
 *
 * @example
 * const { changes, rollout } = await planRollout(ctx, 'ro-abc', options);
 */
export async function planRollout(
  ctx: EngineContext,
  id: string,
  options: RolloutOptions,
): Promise<{ changes: ChangeSet; rollout: RolloutRecord }> {
  if (!(await ctx.deployer.hasRelease(options.release))) {
    throw new RolloutError(
      'EF_HUB_ROLLOUT_UNKNOWN_RELEASE',
      `release ${options.release.name}@${options.release.version} is not published`,
      { ...options.release },
    );
  }
  const selected = (await ctx.devices.list(options.selector))
    .filter((d) => !d.revoked && isDeviceId(d.id))
    .map((d) => d.id);
  const plan = planWaves(id, selected, options.waves);
  const planned = plan.flatMap((w) => w.deviceIds);
  if (planned.length === 0) {
    throw new RolloutError(
      'EF_HUB_ROLLOUT_NO_DEVICES',
      'no enrolled, unrevoked device matches the selector',
      {
        selector: options.selector,
      },
    );
  }
  await checkConflicts(ctx, options.release.name, new Set(planned));
  const now = ctx.clock.now();
  const changes = new ChangeSet();
  changes.event({
    rolloutId: id,
    ts: now,
    type: 'rollout-created',
    data: {
      release: options.release,
      selector: options.selector,
      devices: planned.length,
      waves: plan.map((w) => w.deviceIds.length),
    },
  });
  const draft: RolloutRecord = {
    id,
    state: 'draft',
    options,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    currentWave: 0,
    reason: null,
  };
  const rollout = moveRollout(changes, draft, 'running', now, null);
  let rank = 0;
  for (const wave of plan) {
    changes.putWave({
      rolloutId: id,
      index: wave.index,
      state: 'scheduled',
      size: wave.deviceIds.length,
      percent: wave.percent,
      startedAt: null,
      soakStartedAt: null,
      finishedAt: null,
      reason: null,
    });
    for (const deviceId of wave.deviceIds)
      changes.putEntry(pendingEntry(id, deviceId, wave.index, rank++));
  }
  return { changes, rollout };
}
