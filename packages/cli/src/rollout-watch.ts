/**
 * `rollout status --watch` (and `rollout create --watch`): polls the hub's status and event log
 * until the rollout reaches a final state or the operator presses Ctrl-C. In a terminal the view
 * is redrawn in place with the latest events under it; otherwise (a log, a pipe) the status is
 * printed once and then one line per decision and per change of the current wave's counts; with
 * `--json`, one JSON document per line (each event, then the final status).
 */
import { parseDuration } from '@edgefleet/protocol';
import type { CommandContext, OptionSpec } from './command.js';
import { CliError } from './errors.js';
import type { HubClient } from './hub-client.js';
import { optionalString } from './option-values.js';
import { eventLine, isNotable, progressLine, statusLines } from './rollout-format.js';
import { FINAL_ROLLOUT_STATES } from './rollout-views.js';
import type { RolloutEventView, RolloutProgressView } from './rollout-views.js';

/** Exit code when the watched rollout ends aborted or rolled back. */
export const EXIT_ROLLOUT_NOT_COMPLETED = 3;
/** Exit code when the operator stops watching with Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** How to watch. */
export interface WatchOptions {
  /** Time between polls. */
  intervalMs: number;
  /** Redraw the view in place (a terminal). */
  redraw: boolean;
  /** Events shown under the redrawn view. */
  recentEvents?: number;
}

/** `--watch` and `--interval`, shared by `rollout status` and `rollout create`. */
export const WATCH_OPTIONS = {
  watch: {
    type: 'boolean',
    short: 'w',
    description:
      'Follow the rollout until it completes, is aborted or rolled back (Ctrl-C stops watching, not the rollout)',
  },
  interval: {
    type: 'string',
    valueName: 'duration',
    description: 'Time between refreshes with --watch, e.g. 500ms, 5s',
    defaultText: '2s',
  },
} as const satisfies Record<string, OptionSpec>;

const MIN_INTERVAL_MS = 100;

/**
 * The watch options of the command line: the interval, and a redrawn view when stderr is a
 * terminal and no --json was asked.
 *
 * @example
 * const code = await watchRollout(ctx, hub, id, watchOptionsOf(ctx));
 */
export function watchOptionsOf(ctx: CommandContext): WatchOptions {
  const text = optionalString(ctx, 'interval') ?? '2s';
  let intervalMs = NaN;
  try {
    intervalMs = parseDuration(text);
  } catch {
    // Reported below as a usage error.
  }
  if (!Number.isFinite(intervalMs) || intervalMs < MIN_INTERVAL_MS) {
    throw new CliError(
      'EF_CLI_USAGE',
      `--interval '${text}' is not a duration of at least ${MIN_INTERVAL_MS}ms (e.g. 2s, 500ms)`,
    );
  }
  return { intervalMs, redraw: ctx.io.isTTY && !ctx.json };
}

/** The hub answers at most this many events per request. */
const EVENTS_PAGE = 1000;

/** Resolves when SIGINT arrives; `dispose` gives Ctrl-C back to the default. */
function interruption(): { interrupted: Promise<'interrupted'>; dispose(): void } {
  let onSignal: () => void = () => undefined;
  const interrupted = new Promise<'interrupted'>((resolve) => {
    onSignal = () => resolve('interrupted');
  });
  process.once('SIGINT', onSignal);
  return { interrupted, dispose: () => process.off('SIGINT', onSignal) };
}

/** A wait that the caller cancels when something else ended it first. */
function pause(ms: number): { done: Promise<'tick'>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<'tick'>((resolve) => {
    timer = setTimeout(() => resolve('tick'), ms);
  });
  return { done, cancel: () => clearTimeout(timer) };
}

/**
 * Every event after `afterId`, following pages.
 *
 * @example
 * const events = await eventsAfter(hub, 'ro-7k2m9qwx3a', 0);
 */
export async function eventsAfter(
  hub: HubClient,
  id: string,
  afterId: number,
): Promise<RolloutEventView[]> {
  const out: RolloutEventView[] = [];
  let after = afterId;
  for (;;) {
    const page = await hub.getJson<RolloutEventView[]>(
      `/v1/rollouts/${encodeURIComponent(id)}/events`,
      { after: String(after) },
    );
    out.push(...page);
    const last = page.at(-1);
    if (last === undefined || page.length < EVENTS_PAGE) return out;
    after = last.id;
  }
}

/**
 * Fetches the status of a rollout.
 *
 * @example
 * const view = await fetchStatus(hub, 'ro-7k2m9qwx3a');
 */
export function fetchStatus(hub: HubClient, id: string): Promise<RolloutProgressView> {
  return hub.getJson<RolloutProgressView>(`/v1/rollouts/${encodeURIComponent(id)}`);
}

function frame(view: RolloutProgressView, recent: readonly RolloutEventView[], everyMs: number) {
  const lines = [...statusLines(view), '', 'recent events:'];
  lines.push(...(recent.length === 0 ? ['  none'] : recent.map((e) => `  ${eventLine(e)}`)));
  lines.push(
    '',
    `updated ${view.now.slice(11, 19)}, every ${everyMs / 1000}s; Ctrl-C stops watching (the rollout goes on)`,
  );
  // Home, each line over the old one, then clear whatever the previous frame had below.
  return `\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[J`;
}

/**
 * Watches rollout `id`; returns the exit code: 0 completed, {@link EXIT_ROLLOUT_NOT_COMPLETED}
 * aborted or rolled back, {@link EXIT_INTERRUPTED} on Ctrl-C.
 *
 * @example
 * return watchRollout(ctx, hub, id, { intervalMs: 2000, redraw: ctx.io.isTTY && !ctx.json });
 */
export async function watchRollout(
  ctx: CommandContext,
  hub: HubClient,
  id: string,
  options: WatchOptions,
): Promise<number> {
  const out = ctx.io.stdout;
  const keep = options.recentEvents ?? 8;
  const signal = interruption();
  try {
    let view = await fetchStatus(hub, id);
    const history = await eventsAfter(hub, id, 0);
    let after = history.at(-1)?.id ?? 0;
    let recent = history.slice(-keep);
    let progress = progressLine(view);
    if (ctx.json) for (const e of history) out(`${JSON.stringify({ event: e })}\n`);
    else if (options.redraw) out(`\x1b[2J${frame(view, recent, options.intervalMs)}`);
    else out(`${statusLines(view).join('\n')}\n\n`);

    while (!FINAL_ROLLOUT_STATES.includes(view.rollout.state)) {
      const wait = pause(options.intervalMs);
      const woke = await Promise.race([wait.done, signal.interrupted]);
      wait.cancel();
      if (woke === 'interrupted') {
        ctx.io.stderr(`stopped watching ${id}; the rollout goes on on the hub\n`);
        return EXIT_INTERRUPTED;
      }
      view = await fetchStatus(hub, id);
      const fresh = await eventsAfter(hub, id, after);
      after = fresh.at(-1)?.id ?? after;
      if (ctx.json) {
        for (const e of fresh) out(`${JSON.stringify({ event: e })}\n`);
      } else if (options.redraw) {
        recent = [...recent, ...fresh].slice(-keep);
        out(frame(view, recent, options.intervalMs));
      } else {
        for (const e of fresh) if (isNotable(e)) out(`${eventLine(e)}\n`);
        const next = progressLine(view);
        if (next !== progress) out(`${view.now.slice(11, 19)}  ${next}\n`);
        progress = next;
      }
    }
    const { state, reason } = view.rollout;
    if (ctx.json) out(`${JSON.stringify({ ok: true, status: view })}\n`);
    else {
      out(
        `rollout ${id} ${state}${reason === null ? '' : `: ${reason.message} (${reason.code})`}\n`,
      );
    }
    return state === 'completed' ? 0 : EXIT_ROLLOUT_NOT_COMPLETED;
  } finally {
    signal.dispose();
  }
}
