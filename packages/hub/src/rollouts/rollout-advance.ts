/**
 * One tick of one rollout: catch up on statuses, time out silent devices, judge the current
 * wave, move waves and the rollout, and notify the next devices within the rate limit.
 */
import { ChangeSet, moveEntry, moveRollout, moveWave } from './rollout-changes.js';
import {
  notifyPending,
  requestRollback,
  resendOwed,
  sendOwedRollbacks,
} from './rollout-deliveries.js';
import { waveGates } from './rollout-gates-eval.js';
import { applyReport } from './rollout-reports.js';
import type { ReleaseRef } from './option-values.js';
import type { StatusQuery } from './rollout-ports.js';
import type { RolloutRun } from './rollout-run.js';
import type { DeviceEntryRecord, RolloutReason, WaveRecord } from './rollout-store.js';
import { countStates, FINAL_STATES, judgeWave, waveMetrics } from './wave-judge.js';
import type { WaveDecision } from './wave-judge.js';

/** Reads the latest statuses the hub stored, in case a callback was missed (restart, crash). */
export async function reconcile(run: RolloutRun): Promise<void> {
  const { ctx, rollout } = run;
  const release = rollout.options.release;
  const batches = new Map<string, { release: ReleaseRef; queries: StatusQuery[] }>();
  const add = (ref: ReleaseRef, query: StatusQuery) => {
    const key = `${ref.name}@${ref.version}`;
    let batch = batches.get(key);
    if (batch === undefined) batches.set(key, (batch = { release: ref, queries: [] }));
    batch.queries.push(query);
  };
  const live = rollout.state === 'running' || rollout.state === 'paused';
  for (const e of run.entries((x) => x.notifiedAt !== null)) {
    if (live && (e.state === 'timed-out' || !FINAL_STATES.includes(e.state))) {
      add(release, { deviceId: e.deviceId, since: e.notifiedAt as number });
    }
    const rb = e.rollback;
    if (
      rb?.target &&
      rb.assignedAt !== null &&
      rb.state !== 'healthy' &&
      rb.state !== 'rolled-back'
    ) {
      add(rb.target, { deviceId: e.deviceId, since: rb.requestedAt });
    }
  }
  for (const batch of batches.values()) {
    const reports = await ctx.signals.latestStatuses(batch.release, batch.queries);
    const changes = new ChangeSet();
    const now = ctx.clock.now();
    for (const [deviceId, report] of reports) {
      const entry = run.entry(deviceId);
      if (entry !== undefined) applyReport(changes, rollout, entry, report, now);
    }
    await run.commit(changes);
  }
}

/** Marks devices that reached no final state within `deviceTimeoutMs` of their notification. */
async function applyTimeouts(run: RolloutRun): Promise<void> {
  const now = run.ctx.clock.now();
  const limit = run.rollout.options.deviceTimeoutMs;
  const changes = new ChangeSet();
  for (const e of run.entries(
    (x) => x.notifiedAt !== null && !FINAL_STATES.includes(x.state) && now - x.notifiedAt >= limit,
  )) {
    moveEntry(changes, e, ['timed-out'], now, { reason: 'device-timeout', afterMs: limit });
  }
  await run.commit(changes);
}

/** Opens the next wave, or completes the rollout after the last. */
async function nextWave(run: RolloutRun): Promise<void> {
  const now = run.ctx.clock.now();
  const changes = new ChangeSet();
  const next = run.waves[run.rollout.currentWave + 1];
  if (next === undefined) {
    moveRollout(changes, run.rollout, 'completed', now, null);
  } else {
    changes.putRollout({ ...run.rollout, currentWave: next.index, updatedAt: now });
    moveWave(changes, next, 'running', now);
  }
  await run.commit(changes);
}

async function failWave(
  run: RolloutRun,
  wave: WaveRecord,
  decision: Extract<WaveDecision, { kind: 'fail' }>,
): Promise<void> {
  const now = run.ctx.clock.now();
  const reason: RolloutReason = { code: decision.code, message: decision.message };
  const changes = new ChangeSet();
  moveWave(changes, wave, 'failed', now, reason);
  const failed: RolloutReason = {
    code: 'wave-failed',
    message: `wave ${wave.index + 1} failed: ${decision.message}`,
  };
  if (run.rollout.options.onFailure === 'rollback') {
    moveRollout(changes, run.rollout, 'rolled-back', now, failed);
    requestRollback(run, changes, now, failed);
    await run.commit(changes);
    await sendOwedRollbacks(run);
  } else {
    moveRollout(changes, run.rollout, 'paused', now, failed);
    await run.commit(changes);
  }
}

/** Judges the current wave and acts on it; returns true when the loop should look again. */
async function step(run: RolloutRun, wave: WaveRecord): Promise<boolean> {
  const { ctx, rollout } = run;
  if (wave.state === 'scheduled') {
    const changes = new ChangeSet();
    moveWave(changes, wave, 'running', ctx.clock.now());
    await run.commit(changes);
    return true;
  }
  if (wave.state === 'passed' || wave.state === 'failed') {
    // A failed wave is current again only after an operator resumed past it.
    await nextWave(run);
    return true;
  }
  const entries = run.entries((e) => e.wave === wave.index);
  const counts = countStates(entries.map((e: DeviceEntryRecord) => e.state));
  const metrics = waveMetrics(wave.size, counts, rollout.options.minReported);
  const gates =
    metrics.reported >= metrics.needed && wave.size > 0 ? await waveGates(run, wave) : null;
  const judgedAt = ctx.clock.now();
  const decision = judgeWave({
    state: wave.state,
    size: wave.size,
    counts,
    soakStartedAt: wave.soakStartedAt,
    now: judgedAt,
    options: rollout.options,
    gates,
  });
  const changes = new ChangeSet();
  switch (decision.kind) {
    case 'start-soak':
      moveWave(changes, wave, 'soaking', judgedAt);
      await run.commit(changes);
      return true;
    case 'pass': {
      const soaking =
        wave.state === 'running' ? moveWave(changes, wave, 'soaking', judgedAt) : wave;
      moveWave(changes, soaking, 'passed', judgedAt);
      await run.commit(changes);
      return true;
    }
    case 'fail':
      await failWave(run, wave, decision);
      return false;
    case 'stall':
      moveRollout(changes, rollout, 'paused', judgedAt, {
        code: decision.code,
        message: decision.message,
      });
      await run.commit(changes);
      return false;
    case 'wait':
      await notifyPending(run, wave.index);
      return false;
  }
}

/**
 * Advances one rollout by one tick. Maintenance (owed publishes, catch-up reads) runs for any
 * rollout; judging and notifying only for a running one.
 */
export async function advanceRollout(run: RolloutRun, catchUp: boolean): Promise<void> {
  const state = run.rollout.state;
  if (state === 'running' || state === 'paused') await resendOwed(run);
  await sendOwedRollbacks(run);
  if (catchUp) await reconcile(run);
  if (run.rollout.state !== 'running') return;
  await applyTimeouts(run);
  for (let guard = 0; guard <= run.waves.length * 4 && run.rollout.state === 'running'; guard++) {
    const wave = run.currentWave;
    if (wave === undefined || !(await step(run, wave))) return;
  }
}
