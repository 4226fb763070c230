/**
 * Start-up recovery: bring every model named by a current-bundle pointer back into service
 * before anything else, with no broker needed (issue 6: "starts and serves inference from its
 * installed bundle with no broker reachable"). When the current bundle fails to load and a
 * previous one exists, the previous one serves and becomes current.
 */
import type { ModelHost } from '../inference/model-host-api.js';
import type { BundleStore } from './bundle-store.js';
import type { BundlePointer, PointerStore } from './bundle-pointers.js';
import { errorInfo } from './converge-errors.js';
import type { ConvergeLogger } from './converge-logger.js';
import { FINAL_STEPS } from './execution-journal.js';
import type { ExecutionJournal } from './execution-journal.js';
import type { StatusReporter } from './status-reporter.js';

/** What {@link restoreServing} needs. */
export interface RestoreServingDeps {
  pointers: PointerStore;
  bundles: BundleStore;
  modelHost: ModelHost;
  journal: ExecutionJournal;
  reporter: StatusReporter;
  logger: ConvergeLogger;
}

/** One model after start-up recovery. */
export interface RestoredModel {
  name: string;
  version: string;
  sha256: string;
  /** True when the previous bundle serves because the current one failed to load. */
  fallback: boolean;
}

/** The outcome of {@link restoreServing}. */
export interface RestoreResult {
  restored: RestoredModel[];
  /** Models that could not be brought back (no loadable bundle). */
  failed: { name: string; error: { code: string; message: string } }[];
}

async function serve(deps: RestoreServingDeps, sha256: string): Promise<{ version: string }> {
  const bundle = await deps.bundles.load(sha256);
  const prepared = await deps.modelHost.prepare(bundle);
  await deps.modelHost.activate(prepared);
  return { version: bundle.version };
}

/**
 * Prepares and activates the bundle of every pointer (falling back to its previous bundle when
 * it fails to load), and reports the execution that installed a bundle which no longer loads as
 * `rolled-back` with `EF_AGENT_LOAD_FAILED`.
 *
 * @example
 * const { restored, failed } = await restoreServing({ pointers, bundles, modelHost, journal, reporter, logger });
 */
export async function restoreServing(deps: RestoreServingDeps): Promise<RestoreResult> {
  const result: RestoreResult = { restored: [], failed: [] };
  let pointers: BundlePointer[];
  try {
    pointers = await deps.pointers.list();
  } catch (err) {
    deps.logger.error({ err }, 'current-bundle pointers unreadable; nothing restored');
    return result;
  }
  for (const pointer of pointers) {
    try {
      await serve(deps, pointer.sha256);
      result.restored.push({
        name: pointer.name,
        version: pointer.version,
        sha256: pointer.sha256,
        fallback: false,
      });
      continue;
    } catch (err) {
      const error = errorInfo(err, 'EF_AGENT_LOAD_FAILED');
      deps.logger.error(
        { err, model: pointer.name, sha256: pointer.sha256 },
        'installed bundle failed to load',
      );
      const previous = pointer.previous;
      if (!previous) {
        result.failed.push({ name: pointer.name, error });
        deps.reporter.event(
          'error',
          'EF_AGENT_LOAD_FAILED',
          `${pointer.name} ${pointer.version} failed to load and has no previous bundle: ${error.message}`,
          {
            model: pointer.name,
            sha256: pointer.sha256,
            cause: error.code,
          },
        );
        continue;
      }
      try {
        deps.journal.note(
          pointer.name,
          'fallback',
          `${pointer.sha256} failed to load (${error.code}); serving ${previous.sha256}`,
          pointer.executionId,
        );
        const bundle = await deps.bundles.load(previous.sha256);
        const prepared = await deps.modelHost.prepare(bundle);
        await deps.pointers.write({
          name: pointer.name,
          sha256: previous.sha256,
          version: previous.version,
          dir: deps.bundles.dirOf(previous.sha256),
          previous: { sha256: pointer.sha256, version: pointer.version, dir: pointer.dir },
          ...(pointer.executionId ? { executionId: pointer.executionId } : {}),
          switchedAt: new Date().toISOString(),
        });
        await deps.modelHost.activate(prepared);
        result.restored.push({
          name: pointer.name,
          version: previous.version,
          sha256: previous.sha256,
          fallback: true,
        });
        markLoadFailed(deps, pointer, error);
      } catch (fallbackErr) {
        const fallbackError = errorInfo(fallbackErr, 'EF_AGENT_LOAD_FAILED');
        deps.logger.error(
          { err: fallbackErr, model: pointer.name },
          'previous bundle failed to load too',
        );
        result.failed.push({ name: pointer.name, error: fallbackError });
        deps.reporter.event(
          'error',
          'EF_AGENT_LOAD_FAILED',
          `${pointer.name}: neither the current nor the previous bundle loads`,
          {
            model: pointer.name,
            sha256: pointer.sha256,
            previous: previous.sha256,
          },
        );
      }
    }
  }
  return result;
}

/** The execution that installed the bundle that no longer loads ends `rolled-back`. */
function markLoadFailed(
  deps: RestoreServingDeps,
  pointer: BundlePointer,
  cause: { code: string; message: string },
): void {
  const exec = deps.journal.latestFor(pointer.name, pointer.sha256);
  const error = {
    code: 'EF_AGENT_LOAD_FAILED',
    message: `${pointer.name} ${pointer.version} failed to load at start (${cause.code}: ${cause.message}); the previous bundle serves`,
  };
  if (exec && (!FINAL_STEPS.has(exec.step) || exec.step === 'healthy')) {
    const rolled = deps.journal.setStep(exec.executionId, 'rolled-back', { error });
    deps.reporter.report(rolled, 'rolled-back', { error });
  } else {
    deps.reporter.event('warn', 'EF_AGENT_LOAD_FAILED', error.message, {
      model: pointer.name,
      sha256: pointer.sha256,
    });
  }
}
