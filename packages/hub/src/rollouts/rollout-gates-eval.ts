/**
 * Gate evaluation inside a tick: which numbers to ask the hub for, how often, and how results
 * are stored (latest per wave and gate; an event only when a gate's status changes).
 */
import { ChangeSet } from './rollout-changes.js';
import { evaluateGates } from './gates.js';
import type { DeviceWindows, GateResult } from './gates.js';
import type { WindowQuery } from './rollout-ports.js';
import type { RolloutRun } from './rollout-run.js';
import type { GateEvaluationRecord, WaveRecord } from './rollout-store.js';
import { SUCCESS_STATES } from './wave-judge.js';

function fromStored(run: RolloutRun, stored: readonly GateEvaluationRecord[]): GateResult[] | null {
  const byGate = new Map(stored.map((g) => [g.gate, g]));
  const results: GateResult[] = [];
  for (const gate of run.rollout.options.gates) {
    const g = byGate.get(gate.expression);
    if (g === undefined) return null;
    results.push({ gate, value: g.value, status: g.status, devices: g.devices });
  }
  return results;
}

async function measure(run: RolloutRun, wave: WaveRecord, now: number): Promise<GateResult[]> {
  const { options } = run.rollout;
  const { settings, signals } = run.ctx;
  const entries = run.entries(
    (e) => e.wave === wave.index && e.notifiedAt !== null && SUCCESS_STATES.includes(e.state),
  );
  const wantsPrevious = options.gates.some((g) => g.unit === 'ratio');
  const queries: WindowQuery[] = [];
  const slots: { deviceId: string; current: number; previous: number | null }[] = [];
  for (const e of entries) {
    const notifiedAt = e.notifiedAt as number;
    const current = queries.push({
      deviceId: e.deviceId,
      model: options.release.name,
      version: options.release.version,
      from: notifiedAt,
      to: now,
    });
    let previous: number | null = null;
    if (wantsPrevious && e.previous !== null && e.previous.version !== options.release.version) {
      previous = queries.push({
        deviceId: e.deviceId,
        model: e.previous.name,
        version: e.previous.version,
        from: notifiedAt - settings.baselineWindowMs,
        to: notifiedAt,
      });
    }
    slots.push({
      deviceId: e.deviceId,
      current: current - 1,
      previous: previous === null ? null : previous - 1,
    });
  }
  const answers = queries.length === 0 ? [] : await signals.windowStats(queries);
  const windows: DeviceWindows[] = slots.map((s) => ({
    deviceId: s.deviceId,
    current: answers[s.current] ?? null,
    previous: s.previous === null ? null : (answers[s.previous] ?? null),
  }));
  return evaluateGates(options.gates, windows);
}

/**
 * The wave's gate results for judging: re-measured when the last evaluation is older than
 * `gateIntervalMs` or predates the end of the soak, else the stored ones. `null` when they
 * cannot be measured now (the wave then cannot pass, nor fail on a gate).
 */
export async function waveGates(run: RolloutRun, wave: WaveRecord): Promise<GateResult[] | null> {
  const { options } = run.rollout;
  if (options.gates.length === 0) return [];
  const { ctx } = run;
  const now = ctx.clock.now();
  const stored = (await ctx.store.listGateEvaluations(run.rollout.id)).filter(
    (g) => g.wave === wave.index,
  );
  const storedResults = fromStored(run, stored);
  const last = storedResults === null ? -Infinity : Math.min(...stored.map((g) => g.evaluatedAt));
  const soakEnd =
    wave.state === 'soaking' && wave.soakStartedAt !== null
      ? wave.soakStartedAt + options.soakMs
      : null;
  const stale =
    now - last >= ctx.settings.gateIntervalMs ||
    (soakEnd !== null && now >= soakEnd && last < soakEnd);
  if (!stale) return storedResults;
  let results: GateResult[];
  try {
    results = await measure(run, wave, now);
  } catch (err) {
    ctx.reportError(err, run.rollout.id);
    return null;
  }
  const changes = new ChangeSet();
  const before = new Map(stored.map((g) => [g.gate, g.status]));
  for (const r of results) {
    changes.putGate({
      rolloutId: run.rollout.id,
      wave: wave.index,
      gate: r.gate.expression,
      value: r.value,
      limit: r.gate.limit,
      status: r.status,
      devices: r.devices,
      evaluatedAt: now,
    });
    if (before.get(r.gate.expression) !== r.status) {
      changes.event({
        rolloutId: run.rollout.id,
        ts: now,
        type: 'gate',
        wave: wave.index,
        data: {
          gate: r.gate.expression,
          value: r.value,
          limit: r.gate.limit,
          status: r.status,
          devices: r.devices,
        },
      });
    }
  }
  await run.commit(changes);
  return results;
}
