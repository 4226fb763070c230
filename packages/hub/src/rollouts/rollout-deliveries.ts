/**
 * Publishing desired states for a rollout: notifications within the rate limit, the ones a
 * crash left owed, and rollbacks. Every decision is committed before its publish, and every
 * publish confirmed right after it, so a restart resends only what may not have gone out.
 */
import { canTransition, isEdgefleetError } from '@edgefleet/protocol';
import { ChangeSet, moveEntry } from './rollout-changes.js';
import type { RolloutRun } from './rollout-run.js';
import type { DeviceEntryRecord, RolloutReason } from './rollout-store.js';

const MAX_ROLLBACK_RETRY_MS = 5 * 60_000;

function errorCode(err: unknown): string {
  return isEdgefleetError(err) ? err.code : 'EF_HUB_ROLLOUT_ASSIGN';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * How many devices may be notified now: at most `ratePerMinute` in any 60 s (one per
 * 60/rate minutes below 1/min) and at most ceil(rate/60) in any second, so a rollout never
 * bursts a whole minute's budget at once. Counted from the persisted notification times.
 */
export async function notificationBudget(run: RolloutRun, now: number): Promise<number> {
  const rate = run.rollout.options.ratePerMinute;
  const [windowMs, cap] = rate >= 1 ? [60_000, Math.floor(rate)] : [Math.ceil(60_000 / rate), 1];
  const perSecond = Math.max(1, Math.ceil(rate / 60));
  const { store } = run.ctx;
  const [inWindow, inSecond] = await Promise.all([
    store.countNotifiedSince(run.rollout.id, now - windowMs + 1),
    store.countNotifiedSince(run.rollout.id, now - 1000 + 1),
  ]);
  return Math.max(0, Math.min(cap - inWindow, perSecond - inSecond));
}

/** Publishes the desired state of one notified entry and records the outcome. */
async function sendAssign(run: RolloutRun, entry: DeviceEntryRecord): Promise<void> {
  const { ctx, rollout } = run;
  const changes = new ChangeSet();
  try {
    const result = await ctx.deployer.assign(entry.deviceId, rollout.options.release, {
      rolloutId: rollout.id,
      wave: entry.wave,
      allowDowngrade: false,
    });
    const current = run.entry(entry.deviceId) ?? entry;
    changes.putEntry({
      ...current,
      assignedAt: ctx.clock.now(),
      desiredVersion: result?.desiredVersion ?? null,
    });
  } catch (err) {
    const now = ctx.clock.now();
    const current = run.entry(entry.deviceId) ?? entry;
    const code = errorCode(err);
    changes.event({
      rolloutId: rollout.id,
      ts: now,
      type: 'assign-failed',
      wave: entry.wave,
      deviceId: entry.deviceId,
      data: { code, message: errorMessage(err) },
    });
    if (canTransition(current.state, 'failed')) {
      moveEntry(
        changes,
        current,
        ['failed'],
        now,
        { code },
        { errorCode: code, lastStatusAt: now },
      );
    }
  }
  await run.commit(changes);
}

/** Re-publishes desired states decided before a crash but never confirmed. */
export async function resendOwed(run: RolloutRun): Promise<void> {
  for (const entry of run.entries((e) => e.state === 'notified' && e.assignedAt === null)) {
    await sendAssign(run, entry);
  }
}

/**
 * Notifies pending devices of the wave, in hash order, within the rate limit. Returns how many
 * were notified.
 */
export async function notifyPending(run: RolloutRun, waveIndex: number): Promise<number> {
  const { ctx, rollout } = run;
  const now = ctx.clock.now();
  const pending = run.entries(
    (e) => e.wave === waveIndex && e.state === 'pending' && e.notifiedAt === null,
  );
  if (pending.length === 0) return 0;
  const budget = await notificationBudget(run, now);
  const chosen = pending.slice(0, budget);
  if (chosen.length === 0) return 0;
  const changes = new ChangeSet();
  const decided: DeviceEntryRecord[] = [];
  for (const entry of chosen) {
    let previous;
    try {
      previous = await ctx.devices.currentRelease(entry.deviceId, rollout.options.release.name);
    } catch (err) {
      ctx.reportError(err, rollout.id);
      continue;
    }
    const next = moveEntry(
      changes,
      entry,
      ['notified'],
      now,
      { previous },
      { notifiedAt: now, assignedAt: null, previous: previous ?? null },
    );
    decided.push(next);
  }
  await run.commit(changes);
  for (const entry of decided) await sendAssign(run, entry);
  return decided.length;
}

/** True when the rollout's desired state may have reached the device. */
function touched(e: DeviceEntryRecord): boolean {
  return e.notifiedAt !== null && !(e.assignedAt === null && e.state === 'failed');
}

/**
 * Records a rollback of every device the rollout touched into `changes` (the caller moves the
 * rollout to rolled-back in the same commit); {@link sendOwedRollbacks} publishes them.
 */
export function requestRollback(
  run: RolloutRun,
  changes: ChangeSet,
  now: number,
  reason: RolloutReason,
): number {
  const entries = run.entries((e) => touched(e) && e.rollback === null);
  for (const e of entries) {
    changes.putEntry({
      ...e,
      rollback: {
        target: e.previous,
        requestedAt: now,
        assignedAt: null,
        desiredVersion: null,
        state: null,
        lastStatusAt: null,
        errorCode: null,
      },
    });
  }
  changes.event({
    rolloutId: run.rollout.id,
    ts: now,
    type: 'rollback-requested',
    wave: run.rollout.currentWave,
    data: { devices: entries.length, reason },
  });
  return entries.length;
}

/**
 * Publishes owed rollbacks: the device's previous release with allowDowngrade [P-DS-8], or a
 * desired state without the model when it had none. Failures are retried with backoff.
 */
export async function sendOwedRollbacks(run: RolloutRun): Promise<void> {
  const { ctx, rollout } = run;
  const owed = run.entries((e) => e.rollback !== null && e.rollback.assignedAt === null);
  for (const entry of owed) {
    const key = `${rollout.id}\n${entry.deviceId}`;
    const retry = ctx.rollbackRetries.get(key);
    if (retry !== undefined && ctx.clock.now() < retry.at) continue;
    const rollback = entry.rollback as NonNullable<DeviceEntryRecord['rollback']>;
    const options = { rolloutId: rollout.id, wave: entry.wave, allowDowngrade: true };
    const changes = new ChangeSet();
    try {
      const result =
        rollback.target === null
          ? await ctx.deployer.unassign(entry.deviceId, rollout.options.release.name, options)
          : await ctx.deployer.assign(entry.deviceId, rollback.target, options);
      ctx.rollbackRetries.delete(key);
      const now = ctx.clock.now();
      const current = run.entry(entry.deviceId) ?? entry;
      const next: DeviceEntryRecord = {
        ...current,
        rollback: {
          ...rollback,
          assignedAt: now,
          desiredVersion: result?.desiredVersion ?? null,
          errorCode: null,
        },
      };
      changes.event({
        rolloutId: rollout.id,
        ts: now,
        type: 'rollback-assigned',
        wave: entry.wave,
        deviceId: entry.deviceId,
        data: { target: rollback.target },
      });
      // A removed model reports no deployment: its removal is the rollback.
      if (rollback.target === null && canTransition(next.state, 'rolled-back')) {
        moveEntry(changes, next, ['rolled-back'], now, { reason: 'rollback' });
      } else {
        changes.putEntry(next);
      }
    } catch (err) {
      const now = ctx.clock.now();
      const delayMs = Math.min(
        MAX_ROLLBACK_RETRY_MS,
        retry === undefined ? ctx.settings.rollbackRetryMs : retry.delayMs * 2,
      );
      ctx.rollbackRetries.set(key, { at: now + delayMs, delayMs });
      const current = run.entry(entry.deviceId) ?? entry;
      changes.putEntry({ ...current, rollback: { ...rollback, errorCode: errorCode(err) } });
      changes.event({
        rolloutId: rollout.id,
        ts: now,
        type: 'assign-failed',
        wave: entry.wave,
        deviceId: entry.deviceId,
        data: { code: errorCode(err), message: errorMessage(err), rollback: true },
      });
    }
    await run.commit(changes);
  }
}
