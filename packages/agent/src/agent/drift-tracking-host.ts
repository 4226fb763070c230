/**
 * The model host the converger drives, seen through a decorator that keeps the drift monitor in
 * step: a bundle that starts serving gets its baseline tracked, an unloaded one is untracked. The
 * converger stays unaware of drift; the monitor never counts rows against the wrong baseline.
 */
import type { DriftMonitor } from '../drift/drift-monitor.js';
import type { ModelHost, PreparedModel } from '../inference/model-host-api.js';
import type { AgentLogger } from '../link/agent-link-api.js';

/**
 * Wraps `host` so that `activate`/`unload` also update `drift`.
 *
 * @example
 * const converger = new Converger({ ..., modelHost: driftTrackingHost(host, drift, logger) });
 */
export function driftTrackingHost(
  host: ModelHost,
  drift: DriftMonitor,
  logger: AgentLogger,
): ModelHost {
  return {
    prepare: (bundle) => host.prepare(bundle),
    async activate(prepared: PreparedModel) {
      await host.activate(prepared);
      try {
        drift.track(prepared.bundle.manifest);
      } catch (err) {
        // A bundle without a usable baseline still serves; it just reports no drift.
        logger.warn({ err, model: prepared.bundle.name }, 'drift is not tracked for this bundle');
      }
    },
    async unload(name: string) {
      await host.unload(name);
      drift.untrack(name);
    },
    list: () => host.list(),
    stats: (name) => host.stats(name),
    close: () => host.close(),
  };
}
