/**
 * The drift monitor's open windows on disk (`<state-dir>/drift-windows.json`), so a restart
 * carries a half-filled window on instead of dropping it. Written atomically (temp file +
 * rename) on each tick, after each closed window and on stop; a crash loses the rows counted
 * since the last write.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Baseline } from '@edgefleet/protocol';
import type { WindowCounts } from '@edgefleet/runtime';
import { DriftMonitorError } from './drift-monitor-errors.js';

export const CHECKPOINT_FILE = 'drift-windows.json';

/** One open window as saved. */
export interface SavedWindow {
  version: string;
  /** {@link baselineKey} of the baseline the counts are binned by. */
  baseline: string;
  start: number;
  counts: WindowCounts;
}

/**
 * A short digest of a baseline: saved counts are only restored into the same bins.
 *
 * @example
 * baselineKey(manifest.baseline); // '3f2a...'
 */
export function baselineKey(baseline: Baseline): string {
  return createHash('sha256').update(JSON.stringify(baseline)).digest('hex').slice(0, 32);
}

/** Reads the saved windows by model name; a missing file is empty, a bad one throws. */
export function readCheckpoint(stateDir: string): Map<string, SavedWindow> {
  const path = join(stateDir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw checkpointError(`cannot read ${path}`, err);
  }
  try {
    const parsed = JSON.parse(text) as { windows?: Record<string, SavedWindow> };
    const out = new Map<string, SavedWindow>();
    for (const [name, w] of Object.entries(parsed.windows ?? {})) {
      if (isSavedWindow(w)) out.set(name, w);
    }
    return out;
  } catch (err) {
    throw checkpointError(`${path} is not a drift checkpoint`, err);
  }
}

/** Replaces the saved windows. */
export function writeCheckpoint(stateDir: string, windows: ReadonlyMap<string, SavedWindow>): void {
  const path = join(stateDir, CHECKPOINT_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({ version: 1, windows: Object.fromEntries(windows) }));
    renameSync(tmp, path);
  } catch (err) {
    throw checkpointError(`cannot write ${path}`, err);
  }
}

function isSavedWindow(w: unknown): w is SavedWindow {
  if (w === null || typeof w !== 'object') return false;
  const s = w as Partial<SavedWindow>;
  return (
    typeof s.version === 'string' &&
    typeof s.baseline === 'string' &&
    typeof s.start === 'number' &&
    typeof s.counts?.count === 'number' &&
    Array.isArray(s.counts.features) &&
    Array.isArray(s.counts.output?.counts)
  );
}

function checkpointError(message: string, cause: unknown): DriftMonitorError {
  return new DriftMonitorError('EF_AGENT_DRIFT_CHECKPOINT', message, {}, { cause });
}
