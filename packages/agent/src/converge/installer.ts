/**
 * One execution (desired version x model) from `pending` to probation: download, extract and
 * verify, prepare (load + smoke tests), switch the pointer, activate; and the rollback. Every
 * step is written to the journal **before** it is taken, so a run can start again from any
 * journaled step after a power cut (DESIGN section 8):
 *
 * | step journaled | after a crash                                                       |
 * | -------------- | ------------------------------------------------------------------- |
 * | pending, downloading | download resumes from the bitmap                              |
 * | extracting     | staging folder deleted at start; extraction runs again              |
 * | preparing      | the old bundle serves (restored); prepare runs again                |
 * | switching      | pointer is old or new (atomic rename): new -> activating, old -> preparing |
 * | activating     | the pointer names the new bundle, start-up restored it: probation   |
 * | probation      | restart counted; probation starts over (or rolls back past the cap) |
 * | rolling-back   | the rollback runs again (idempotent)                                |
 */
import { access, rm } from 'node:fs/promises';
import { EdgefleetError } from '@edgefleet/protocol';
import type { SignedKeyring } from '@edgefleet/protocol';
import { downloadedPath } from '../download/partial-download.js';
import type { DownloadProgress } from '../download/download-types.js';
import type { ModelHost, PreparedModel } from '../inference/model-host-api.js';
import type { BundleStore } from './bundle-store.js';
import type { BundlePointer, BundleRef, PointerStore } from './bundle-pointers.js';
import { ConvergeError, errorInfo } from './converge-errors.js';
import type { ConvergeErrorCode } from './converge-errors.js';
import type { ConvergeLogger } from './converge-logger.js';
import { FINAL_STEPS } from './execution-journal.js';
import type { ExecutionJournal, ExecutionRecord, ExecutionStep } from './execution-journal.js';
import type { SerialLock } from './serial-lock.js';
import type { StatusReporter } from './status-reporter.js';

/** Test seams: awaited after a step is journaled and before it is taken. */
export interface InstallHooks {
  /**
   * A hook that throws makes the step fail (the error path); one that never resolves freezes
   * the install at that point, as a power cut would.
   */
  beforeStep?: (step: ExecutionStep, exec: ExecutionRecord) => void | Promise<void>;
}

/** What the installer works with. */
export interface InstallerDeps {
  journal: ExecutionJournal;
  pointers: PointerStore;
  bundles: BundleStore;
  modelHost: ModelHost;
  reporter: StatusReporter;
  lock: SerialLock;
  downloadsDir: string;
  download: (
    exec: ExecutionRecord,
    signal: AbortSignal,
    onProgress: (progress: DownloadProgress) => void,
  ) => Promise<string>;
  keyring: () => SignedKeyring | undefined;
  /** Starts (idempotently) the probation watch of an execution that reached `probation`. */
  startProbation: (exec: ExecutionRecord) => void;
  collectGarbage: () => Promise<void>;
  hooks?: InstallHooks;
  logger: ConvergeLogger;
}

/** The abort reason that cancels an execution for good (a newer desired state changed its target). */
export function supersededReason(exec: ExecutionRecord, desiredVersion: number): ConvergeError {
  return new ConvergeError(
    'EF_AGENT_SUPERSEDED',
    `desired state ${desiredVersion} replaced ${exec.model} ${exec.version} before its install finished`,
    { executionId: exec.executionId, desiredVersion },
  );
}

function isSuperseded(reason: unknown): reason is ConvergeError {
  return reason instanceof ConvergeError && reason.code === 'EF_AGENT_SUPERSEDED';
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

const now = () => new Date().toISOString();

/** Runs executions through the journaled steps. */
export class Installer {
  constructor(private readonly deps: InstallerDeps) {}

  /**
   * Drives `exec` from its journaled step until it is in probation or final. Never throws:
   * failures are journaled and reported. An abort whose reason is {@link supersededReason}
   * ends it `failed`; any other abort (shutdown) leaves it to resume at the next start.
   *
   * @example
   * await installer.run(journal.open(desired.version, model), controller.signal);
   */
  async run(exec: ExecutionRecord, signal: AbortSignal): Promise<ExecutionRecord> {
    let e = exec;
    try {
      for (;;) {
        if (FINAL_STEPS.has(e.step)) return e;
        switch (e.step) {
          case 'pending':
            if (e.reported === undefined) this.deps.reporter.report(e, 'pending');
            e = this.deps.journal.setStep(e.executionId, 'downloading');
            break;
          case 'downloading':
            e = await this.downloadStep(e, signal);
            break;
          case 'extracting':
            e = await this.extractStep(e, signal);
            break;
          case 'preparing': {
            const current = e;
            e = await this.deps.lock.run(() => this.prepareAndSwitch(current, signal));
            break;
          }
          case 'switching': {
            const current = e;
            e = await this.deps.lock.run(() => this.resumeSwitch(current));
            break;
          }
          case 'activating': {
            const current = e;
            e = await this.deps.lock.run(() => this.resumeActivate(current));
            break;
          }
          case 'probation':
            this.deps.startProbation(e);
            return e;
          case 'rolling-back':
            return await this.rollback(e, {
              code: (e.errorCode as ConvergeErrorCode | undefined) ?? 'EF_AGENT_ACTIVATE_FAILED',
              message: e.errorMessage ?? 'rollback interrupted by a restart',
            });
          default:
            return e;
        }
      }
    } catch (err) {
      return this.onError(e.executionId, err, signal);
    }
  }

  private async hook(step: ExecutionStep, e: ExecutionRecord): Promise<void> {
    await this.deps.hooks?.beforeStep?.(step, e);
  }

  private async downloadStep(e: ExecutionRecord, signal: AbortSignal): Promise<ExecutionRecord> {
    await this.hook('downloading', e);
    signal.throwIfAborted();
    if (await this.deps.bundles.has(e.sha256)) {
      // Already extracted (a kept previous bundle, or a crash after extraction): nothing to fetch.
      this.deps.reporter.report(e, 'downloading', { progress: { bytes: e.bytes, total: e.bytes } });
    } else {
      await this.deps.download(e, signal, (progress) =>
        this.deps.reporter.report(e, 'downloading', { progress }),
      );
    }
    return this.deps.journal.setStep(e.executionId, 'extracting');
  }

  private async extractStep(e: ExecutionRecord, signal: AbortSignal): Promise<ExecutionRecord> {
    await this.hook('extracting', e);
    signal.throwIfAborted();
    const archive = downloadedPath(this.deps.downloadsDir, e.sha256);
    if (!(await this.deps.bundles.has(e.sha256))) {
      if (!(await exists(archive))) {
        return this.deps.journal.setStep(
          e.executionId,
          'downloading',
          {},
          'downloaded bundle missing; fetching again',
        );
      }
      const keyring = this.deps.keyring();
      if (!keyring) {
        throw new ConvergeError(
          'EF_AGENT_NO_KEYRING',
          `no trusted keyring to check bundle ${e.sha256} with`,
        );
      }
      await this.deps.bundles.install(
        archive,
        { name: e.model, version: e.version, sha256: e.sha256 },
        keyring,
        signal,
      );
    }
    // The extracted folder is the durable form; the archive would only double the disk use.
    await rm(archive, { force: true }).catch(() => undefined);
    this.deps.reporter.report(e, 'verified');
    return this.deps.journal.setStep(e.executionId, 'preparing');
  }

  /** Under the lock: prepare (load + smoke tests), switch the pointer, activate. */
  private async prepareAndSwitch(
    e: ExecutionRecord,
    signal: AbortSignal,
  ): Promise<ExecutionRecord> {
    await this.hook('preparing', e);
    signal.throwIfAborted();
    const bundle = await this.deps.bundles.load(e.sha256);
    let prepared: PreparedModel;
    try {
      prepared = await this.deps.modelHost.prepare(bundle);
    } catch (err) {
      if (err instanceof EdgefleetError) throw err;
      throw new ConvergeError(
        'EF_AGENT_PREPARE_FAILED',
        `${e.model} ${e.version} failed to load or pass its smoke tests`,
        {},
        { cause: err },
      );
    }
    // Past this point a newer desired state no longer cancels: the prepared model is switched in
    // (the model host cannot drop a prepared model) and the next execution takes over from it.
    const current = await this.readPointer(e.model);
    const previous: BundleRef | undefined =
      current && current.sha256 !== e.sha256
        ? { sha256: current.sha256, version: current.version, dir: current.dir }
        : current?.previous;
    e = this.deps.journal.setStep(e.executionId, 'switching', {
      previousSha256: previous?.sha256 ?? null,
      previousVersion: previous?.version ?? null,
    });
    await this.hook('switching', e);
    await this.deps.pointers.write({
      name: e.model,
      sha256: e.sha256,
      version: e.version,
      dir: bundle.dir,
      ...(previous ? { previous } : {}),
      executionId: e.executionId,
      switchedAt: now(),
    });
    e = this.deps.journal.setStep(e.executionId, 'activating');
    await this.hook('activating', e);
    try {
      await this.deps.modelHost.activate(prepared);
    } catch (err) {
      const info = errorInfo(err, 'EF_AGENT_ACTIVATE_FAILED');
      return this.rollbackLocked(e, {
        code: 'EF_AGENT_ACTIVATE_FAILED',
        message: `${info.code}: ${info.message}`,
      });
    }
    return this.enterProbation(e);
  }

  private async enterProbation(e: ExecutionRecord): Promise<ExecutionRecord> {
    this.deps.reporter.report(e, 'installed');
    const next = this.deps.journal.setStep(e.executionId, 'probation', {
      probationStartedAt: now(),
    });
    await this.deps
      .collectGarbage()
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'bundle cleanup failed'));
    return next;
  }

  /** After a restart at `switching`: the atomic pointer is either ours or the old one. */
  private async resumeSwitch(e: ExecutionRecord): Promise<ExecutionRecord> {
    const pointer = await this.readPointer(e.model);
    if (pointer?.sha256 === e.sha256) {
      return this.deps.journal.setStep(
        e.executionId,
        'activating',
        {},
        'pointer was written before the restart',
      );
    }
    return this.deps.journal.setStep(
      e.executionId,
      'preparing',
      {},
      'pointer was not written before the restart',
    );
  }

  /** After a restart at `activating`: start-up restored the pointer's bundle, or could not. */
  private async resumeActivate(e: ExecutionRecord): Promise<ExecutionRecord> {
    const serving = this.deps.modelHost.list().find((m) => m.name === e.model);
    if (serving?.sha256 === e.sha256) return this.enterProbation(e);
    return this.rollbackLocked(e, {
      code: 'EF_AGENT_LOAD_FAILED',
      message: `${e.model} ${e.version} was not serving after the restart`,
    });
  }

  private async readPointer(name: string): Promise<BundlePointer | undefined> {
    try {
      return await this.deps.pointers.read(name);
    } catch (err) {
      this.deps.logger.error({ err, model: name }, 'unreadable pointer treated as absent');
      return undefined;
    }
  }

  /**
   * Switches `exec`'s model back to the bundle that served before it (or, for a first install,
   * stops serving it) and reports `rolled-back` with `error`.
   *
   * @example
   * await installer.rollback(exec, { code: 'EF_AGENT_PROBATION_ERROR_RATE', message });
   */
  rollback(
    exec: ExecutionRecord,
    error: { code: string; message: string },
  ): Promise<ExecutionRecord> {
    return this.deps.lock.run(async () => {
      // Re-read under the lock: the execution may have ended (superseded) while this waited.
      const latest = this.deps.journal.get(exec.executionId);
      if (!latest || FINAL_STEPS.has(latest.step)) return latest ?? exec;
      return this.rollbackLocked(latest, error);
    });
  }

  private async rollbackLocked(
    exec: ExecutionRecord,
    error: { code: string; message: string },
  ): Promise<ExecutionRecord> {
    const { journal, pointers, bundles, modelHost, reporter } = this.deps;
    let e = journal.setStep(exec.executionId, 'rolling-back', { error });
    this.deps.logger.warn({ executionId: e.executionId, error }, 'rolling back');
    try {
      await this.hook('rolling-back', e);
      const pointer = await this.readPointer(e.model);
      const previous = e.previousSha256;
      if (previous === undefined) {
        // A first install has nothing before it: rolling back means not serving the model.
        if (pointer === undefined || pointer.sha256 === e.sha256) {
          await modelHost.unload(e.model);
          await pointers.remove(e.model);
        }
      } else if (pointer === undefined || pointer.sha256 === e.sha256) {
        const bundle = await bundles.load(previous);
        const prepared = await modelHost.prepare(bundle);
        await pointers.write({
          name: e.model,
          sha256: bundle.sha256,
          version: bundle.version,
          dir: bundle.dir,
          // The rolled-back bundle stays as the fallback: it loaded and passed its smoke tests.
          previous: { sha256: e.sha256, version: e.version, dir: bundles.dirOf(e.sha256) },
          executionId: e.executionId,
          switchedAt: now(),
        });
        await modelHost.activate(prepared);
      } else if (pointer.sha256 === previous) {
        // Switched back before a restart: make sure it is what serves.
        const serving = modelHost.list().find((m) => m.name === e.model);
        if (serving?.sha256 !== previous)
          await modelHost.activate(await modelHost.prepare(await bundles.load(previous)));
      }
      // Otherwise another execution has switched this model since; nothing of ours serves.
    } catch (err) {
      const info = errorInfo(err);
      const failure = {
        code: 'EF_AGENT_ROLLBACK_FAILED',
        message: `rollback after ${error.code} failed (${info.code}: ${info.message}); ${e.model} ${e.version} keeps serving`,
      };
      e = journal.setStep(e.executionId, 'failed', { error: failure });
      reporter.report(e, 'failed', { error: failure });
      return e;
    }
    e = journal.setStep(e.executionId, 'rolled-back', { error });
    reporter.report(e, 'rolled-back', { error });
    await this.deps
      .collectGarbage()
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'bundle cleanup failed'));
    return e;
  }

  private async onError(
    executionId: string,
    err: unknown,
    signal: AbortSignal,
  ): Promise<ExecutionRecord> {
    const e = this.deps.journal.get(executionId) as ExecutionRecord;
    if (signal.aborted) {
      if (isSuperseded(signal.reason)) return this.fail(e, errorInfo(signal.reason));
      return e; // shutting down: the journal already says where to resume
    }
    const info = errorInfo(err);
    this.deps.logger.warn({ err, executionId, step: e.step }, 'install step failed');
    if (e.step === 'activating') return this.rollback(e, info);
    return this.fail(e, info);
  }

  /**
   * Ends `exec` as `failed` with `error` (the serving bundle is untouched).
   *
   * @example
   * installer.fail(exec, { code: 'EF_AGENT_SUPERSEDED', message });
   */
  async fail(
    exec: ExecutionRecord,
    error: { code: string; message: string },
  ): Promise<ExecutionRecord> {
    const e = this.deps.journal.setStep(exec.executionId, 'failed', { error });
    this.deps.reporter.report(e, 'failed', { error });
    await this.deps
      .collectGarbage()
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'cleanup failed'));
    return e;
  }
}
