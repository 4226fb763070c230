import type { CliIO } from './command.js';

/** One step of long work, as the compiler (and later the hub) report it. */
export interface ProgressEvent {
  readonly stage: string;
  readonly done: number;
  readonly total: number;
}

/**
 * Draws `stage [#####.....] 12/40` on one terminal line, redrawn in place. When stderr is not a
 * terminal (CI, pipes, --json) it draws nothing, so logs stay clean.
 *
 * @example
 * const progress = terminalProgress(ctx.io);
 * await compile(opts, { onProgress: progress.update });
 * progress.done();
 */
export function terminalProgress(
  io: CliIO,
  enabled = io.isTTY,
): { update: (e: ProgressEvent) => void; done: () => void } {
  let drawn = false;
  let last = '';
  let lastAt = 0;
  return {
    update(e) {
      if (!enabled) return;
      const now = Date.now();
      // Redrawing more than ~20 times a second costs more than the work it reports.
      if (e.done < e.total && now - lastAt < 50 && e.stage === last) return;
      lastAt = now;
      last = e.stage;
      const width = 24;
      const filled = e.total > 0 ? Math.round((width * Math.min(e.done, e.total)) / e.total) : 0;
      const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
      io.stderr(`\r\x1b[2K${e.stage} [${bar}] ${e.done}/${e.total}`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr('\r\x1b[2K');
      drawn = false;
    },
  };
}
