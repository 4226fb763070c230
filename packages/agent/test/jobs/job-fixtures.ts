/** Test helpers for scheduled jobs: a recording logger, a fake model and sink readers. */
import { existsSync, readFileSync } from 'node:fs';
import type { JobLogger, JobPredict, JobPredictRequest } from '../../src/jobs/index.js';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  details: Record<string, unknown>;
  message: string;
}

/** A JobLogger that keeps its lines. */
export function recordingLogger(): JobLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (details: Record<string, unknown>, message: string) => {
    lines.push({ level, details, message });
  };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** A fake model: predicts `sum of the values` per instance and records every request. */
export function fakeModel(version = '1.0.0'): {
  predict: JobPredict;
  requests: JobPredictRequest[];
  fail: Error | undefined;
} {
  const state = {
    requests: [] as JobPredictRequest[],
    fail: undefined as Error | undefined,
    predict: async (_model: string, request: JobPredictRequest) => {
      state.requests.push(request);
      if (state.fail !== undefined) throw state.fail;
      return {
        version,
        predictions: request.instances.map((row) => ({
          sum: Object.values(row).reduce<number>((a, v) => a + (v ?? 0), 0),
        })),
      };
    },
  };
  return state;
}

/** The JSON lines of a sink file (none when it does not exist). */
export function sinkLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Polls `check` until true, failing after `ms`. */
export async function poll(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
