/**
 * Reporting a refused desired state (issue 6: "each refusal reported as a deployment status
 * with its code"): one `failed` status per model the document names (or, when it names none
 * readable, per model serving now), under an execution id of its own so a replayed version
 * never touches the real execution of that version. Without a version to report under, an
 * `events` record carries it.
 */
import type { BundlePointer } from './bundle-pointers.js';
import { errorInfo } from './converge-errors.js';
import type { ConvergeLogger } from './converge-logger.js';
import type { DesiredStateGate, DesiredVerdict } from './desired-state-gate.js';
import { executionIdOf } from './execution-journal.js';
import type { StatusReporter } from './status-reporter.js';

/**
 * Logs and reports one refusal; a redelivered payload already reported is only logged.
 *
 * @example
 * if (verdict.kind === 'refused') reportRefusal(verdict, await pointers.list(), { gate, reporter, logger });
 */
export function reportRefusal(
  verdict: Extract<DesiredVerdict, { kind: 'refused' }>,
  current: readonly BundlePointer[],
  deps: { gate: DesiredStateGate; reporter: StatusReporter; logger: ConvergeLogger },
): void {
  const error = errorInfo(verdict.error);
  deps.logger.warn(
    { code: error.code, message: error.message, version: verdict.version },
    'desired state refused',
  );
  // The retained message comes back on every reconnect: one report per distinct payload.
  if (verdict.repeated) return;
  deps.gate.noteRefused(verdict.payloadDigest);
  const subjects =
    verdict.models.length > 0
      ? verdict.models
      : current.map((p) => ({ name: p.name, version: p.version, sha256: p.sha256 }));
  if (verdict.version === undefined || subjects.length === 0) {
    deps.reporter.event('warn', error.code, `desired state refused: ${error.message}`, {
      ...(verdict.version !== undefined ? { version: verdict.version } : {}),
    });
    return;
  }
  for (const s of subjects) {
    deps.reporter.refusal(
      {
        desiredVersion: verdict.version,
        executionId: `${executionIdOf(verdict.version, s.name)}:refused`,
        model: s.name,
        version: s.version,
        sha256: s.sha256,
      },
      error,
    );
  }
}
