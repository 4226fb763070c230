/**
 * The agent's convergence (DESIGN sections 5 and 8): restore what served before, then follow
 * the signed desired state: verify each document ([P-DS-*]), install what changed one model at
 * a time (download, verify, prepare, switch, probation), remove what is no longer wanted.
 *
 * One desired document is converged at a time. A newer one arriving mid-install cancels the
 * execution in flight when it changes that model's bundle (final status `failed` with
 * `EF_AGENT_SUPERSEDED`) and lets it finish when it does not. Cancellation is honoured up to the
 * end of `prepare`; a prepared model is still switched in, and its execution is then superseded
 * like any other in probation, so the model host never holds an orphaned prepared model.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { topics } from '@edgefleet/protocol';
import type { DesiredModel, DesiredState } from '@edgefleet/protocol';
import { ensureDownloadTables } from '../download/download-tables.js';
import type { ModelHost } from '../inference/model-host-api.js';
import type { AgentLink } from '../link/agent-link-api.js';
import { BundleFetcher } from './bundle-fetcher.js';
import { collectGarbage } from './bundle-gc.js';
import { BundleStore } from './bundle-store.js';
import { PointerStore } from './bundle-pointers.js';
import type { BundlePointer } from './bundle-pointers.js';
import { errorInfo, toInstallIoError } from './converge-errors.js';
import { silentLogger } from './converge-logger.js';
import type { ConvergeLogger } from './converge-logger.js';
import { resolveConvergerOptions } from './converger-options.js';
import type { ConvergerOptions } from './converger-options.js';
import { DesiredStateGate } from './desired-state-gate.js';
import { ExecutionJournal, FINAL_STEPS, executionIdOf } from './execution-journal.js';
import type { ExecutionRecord } from './execution-journal.js';
import { Installer, supersededReason } from './installer.js';
import { ProbationWatch } from './probation.js';
import type { ProbationPolicy, ProbationVerdict } from './probation.js';
import { reportRefusal } from './refusal-report.js';
import { restoreServing } from './restore-serving.js';
import type { RestoreResult } from './restore-serving.js';
import { SerialLock } from './serial-lock.js';
import { StatusReporter } from './status-reporter.js';

/** What {@link Converger.status} returns. */
export interface ConvergerStatus {
  deviceId: string;
  /** The last accepted desired-state version. */
  desiredVersion: number | undefined;
  keyringVersion: number | undefined;
  /** The current-bundle pointers (what should serve, and the kept previous bundles). */
  models: BundlePointer[];
  /** What the model host serves now. */
  serving: ReturnType<ModelHost['list']>;
  /** The most recent executions, newest first. */
  executions: ExecutionRecord[];
  /** True while a desired state is being converged. */
  converging: boolean;
}

// Steps in which an execution is changing what serves; settled before it can be superseded.
const SWITCHING_STEPS = new Set(['switching', 'activating', 'rolling-back']);

/**
 * Converges the device to its signed desired state.
 *
 * @example
 * const converger = new Converger({ db, stateDir, deviceId, link, reports, modelHost,
 *   trust: { rootPublicKeys: [device.rootPublicKey] }, probation: { ms: 300_000, maxErrorRate: 0.05, maxCrashes: 0 } });
 * await converger.start(); // serves the installed bundles, then follows `desired`
 */
export class Converger {
  private readonly deviceId: string;
  private readonly link: AgentLink;
  private readonly modelHost: ModelHost;
  private readonly logger: ConvergeLogger;
  private readonly policy: ProbationPolicy;
  private readonly downloadsDir: string;
  private readonly gate: DesiredStateGate;
  private readonly journal: ExecutionJournal;
  private readonly pointers: PointerStore;
  private readonly bundles: BundleStore;
  private readonly reporter: StatusReporter;
  private readonly installer: Installer;
  private readonly lock = new SerialLock();
  private readonly fetcher: BundleFetcher;
  private readonly watches = new Map<string, ProbationWatch>();
  private readonly unsubscribe: (() => void)[] = [];
  private target: DesiredState | undefined;
  private dirty = false;
  private loop: Promise<void> | undefined;
  private inFlight: { exec: ExecutionRecord; controller: AbortController } | undefined;
  private desiredChain: Promise<void> = Promise.resolve();
  private started = false;
  private stopped = false;

  constructor(private readonly options: ConvergerOptions) {
    const resolved = resolveConvergerOptions(options);
    this.policy = resolved.probation;
    this.deviceId = options.deviceId;
    this.link = options.link;
    this.modelHost = options.modelHost;
    this.logger = options.logger ?? silentLogger;
    this.downloadsDir = join(options.stateDir, 'downloads');
    this.gate = new DesiredStateGate({
      db: options.db,
      deviceId: options.deviceId,
      rootPublicKeys: options.trust.rootPublicKeys,
      ...(options.trust.keyring ? { keyring: options.trust.keyring } : {}),
      logger: this.logger,
    });
    this.journal = new ExecutionJournal(options.db);
    ensureDownloadTables(options.db);
    this.pointers = new PointerStore(join(options.stateDir, 'current'), this.logger);
    this.bundles = new BundleStore(join(options.stateDir, 'bundles'));
    this.reporter = new StatusReporter(options.reports, this.journal, this.logger);
    this.fetcher = new BundleFetcher(
      { db: options.db, link: options.link, deviceId: options.deviceId, dir: this.downloadsDir },
      resolved.download,
      this.logger,
    );
    this.installer = new Installer({
      journal: this.journal,
      pointers: this.pointers,
      bundles: this.bundles,
      modelHost: this.modelHost,
      reporter: this.reporter,
      lock: this.lock,
      downloadsDir: this.downloadsDir,
      download: (exec, signal, onProgress) => this.fetcher.fetch(exec, signal, onProgress),
      keyring: () => this.gate.trustedKeyring(),
      startProbation: (exec) => this.startProbation(exec),
      collectGarbage: () => this.collectGarbage(),
      ...(options.hooks ? { hooks: options.hooks } : {}),
      logger: this.logger,
    });
  }

  /**
   * Restores serving from the installed bundles (no broker needed), resumes or rolls back an
   * interrupted execution, then follows the `desired` topic. Resolves once serving is restored.
   */
  async start(): Promise<RestoreResult> {
    if (this.started) throw new Error('Converger.start() called twice');
    this.started = true;
    const ready = this.recover();
    // Listen at once (a retained document may arrive any moment) but judge nothing before
    // serving is restored and the journal recovered.
    this.desiredChain = ready.then(
      () => undefined,
      () => undefined,
    );
    this.unsubscribe.push(
      this.link.onMessage('desired', (topic, payload) => {
        this.desiredChain = this.desiredChain
          .then(() => this.onDesired(topic, payload))
          .catch((err: unknown) => this.logger.error({ err }, 'desired state handling failed'));
      }),
    );
    let restored: RestoreResult;
    try {
      restored = await ready;
    } catch (err) {
      for (const off of this.unsubscribe.splice(0)) off();
      throw err;
    }
    // A document accepted while recovering has already set the target.
    this.target ??= this.gate.storedDesired();
    if (this.target) this.schedule();
    return restored;
  }

  /** Cleans what a crash left half-done, restores serving and counts restarts in probation. */
  private async recover(): Promise<RestoreResult> {
    for (const dir of [this.downloadsDir, this.bundles.dir, this.pointers.dir]) {
      await mkdir(dir, { recursive: true }).catch((err: unknown) => {
        throw toInstallIoError(err, `creating ${dir}`);
      });
    }
    await this.bundles.cleanStaging();
    await this.pointers.cleanTemp();
    const restored = await this.lock.run(() =>
      restoreServing({
        pointers: this.pointers,
        bundles: this.bundles,
        modelHost: this.modelHost,
        journal: this.journal,
        reporter: this.reporter,
        logger: this.logger,
      }),
    );
    for (const exec of this.journal.active()) {
      if (exec.step !== 'probation') continue;
      const restarts = this.journal.countRestart(exec.executionId);
      this.logger.warn(
        { executionId: exec.executionId, restarts },
        'agent restarted during probation',
      );
    }
    return restored;
  }

  /**
   * Stops following the desired state and cancels the execution in flight (it resumes at the
   * next start). Serving models keep serving; the model host is the caller's to close.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const watch of this.watches.values()) watch.stop();
    this.watches.clear();
    this.inFlight?.controller.abort(new Error('agent stopping'));
    await this.desiredChain;
    await this.loop;
  }

  /**
   * The device's convergence state.
   *
   * @example
   * const { desiredVersion, models, executions } = await converger.status();
   */
  async status(): Promise<ConvergerStatus> {
    return {
      deviceId: this.deviceId,
      desiredVersion: this.gate.lastVersion(),
      keyringVersion: this.gate.trustedKeyring()?.signed.version,
      models: await this.pointers.list().catch(() => []),
      serving: this.modelHost.list(),
      executions: this.journal.recent(20),
      converging: this.loop !== undefined,
    };
  }

  private async onDesired(topic: string, payload: Buffer): Promise<void> {
    if (this.stopped) return;
    if (topic !== topics.desired(this.deviceId)) {
      this.logger.warn({ topic }, 'desired state on a foreign topic ignored');
      return;
    }
    const current = await this.pointers.list().catch(() => [] as BundlePointer[]);
    const installed = Object.fromEntries(current.map((p) => [p.name, p.version]));
    const verdict = this.gate.evaluate(payload, installed);
    if (verdict.kind === 'unchanged') {
      this.logger.debug({ version: verdict.version }, 'desired state redelivered; nothing to do');
      return;
    }
    if (verdict.kind === 'refused') {
      reportRefusal(verdict, current, {
        gate: this.gate,
        reporter: this.reporter,
        logger: this.logger,
      });
      return;
    }
    this.gate.commit(verdict);
    this.logger.info(
      {
        version: verdict.desired.version,
        models: verdict.desired.models.map((m) => `${m.name}@${m.version}`),
      },
      'desired state accepted',
    );
    this.setTarget(verdict.desired);
  }

  private setTarget(desired: DesiredState): void {
    this.target = desired;
    const running = this.inFlight;
    if (running) {
      const wanted = desired.models.find((m) => m.name === running.exec.model);
      if (wanted?.sha256 !== running.exec.sha256) {
        running.controller.abort(supersededReason(running.exec, desired.version));
      }
    }
    this.schedule();
  }

  private schedule(): void {
    this.dirty = true;
    if (this.loop || this.stopped) return;
    this.loop = (async () => {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        const target = this.target;
        if (!target) continue;
        try {
          await this.reconcile(target);
        } catch (err) {
          this.logger.error(
            { err, version: target.version },
            'converging failed; will retry on the next desired state',
          );
        }
      }
    })().finally(() => {
      this.loop = undefined;
    });
  }

  private async reconcile(desired: DesiredState): Promise<void> {
    const wanted = new Map(desired.models.map((m) => [m.name, m]));
    for (const exec of this.journal.active()) {
      const model = wanted.get(exec.model);
      if (model?.sha256 !== exec.sha256) await this.supersede(exec, desired.version);
    }
    for (const pointer of await this.pointers.list()) {
      if (!wanted.has(pointer.name)) await this.remove(pointer, desired.version);
    }
    for (const model of desired.models) {
      if (this.dirty || this.stopped) return; // a newer document arrived: plan again
      const exec = await this.executionFor(desired.version, model);
      if (!exec) continue;
      const controller = new AbortController();
      this.inFlight = { exec, controller };
      try {
        await this.installer.run(exec, controller.signal);
      } finally {
        this.inFlight = undefined;
      }
    }
  }

  /** The execution to run for `model`, or undefined when there is nothing to do. */
  private async executionFor(
    version: number,
    model: DesiredModel,
  ): Promise<ExecutionRecord | undefined> {
    const own = this.journal.get(executionIdOf(version, model.name));
    // A failed or rolled-back execution stays so until a newer desired state: no retry loop.
    if (own) return FINAL_STEPS.has(own.step) ? undefined : own;
    // An older document's execution with the same target carries on (it keeps its id).
    const adopted = this.journal
      .active()
      .find((e) => e.model === model.name && e.sha256 === model.sha256);
    if (adopted) return adopted;
    const pointer = await this.pointers.read(model.name).catch(() => undefined);
    if (pointer?.sha256 === model.sha256) {
      // Already serving it (e.g. a rollback to the bundle a failed install never replaced): say
      // so once, so the hub sees this device converged on this desired version.
      const opened = this.journal.open(version, model);
      const done = this.journal.setStep(opened.executionId, 'healthy', {}, 'already serving it');
      this.reporter.report(done, 'healthy');
      return undefined;
    }
    return this.journal.open(version, model);
  }

  private async supersede(exec: ExecutionRecord, version: number): Promise<void> {
    let e = exec;
    if (SWITCHING_STEPS.has(e.step)) {
      // Interrupted mid-switch by a restart: settle what serves before cancelling.
      e = await this.installer.run(e, new AbortController().signal);
    }
    this.stopWatch(e.executionId);
    // Under the lock: a probation verdict may be rolling this execution back right now.
    await this.lock.run(async () => {
      const latest = this.journal.get(e.executionId);
      if (!latest || FINAL_STEPS.has(latest.step)) return;
      this.logger.info({ executionId: latest.executionId, version }, 'execution superseded');
      await this.installer.fail(latest, errorInfo(supersededReason(latest, version)));
    });
  }

  private async remove(pointer: BundlePointer, version: number): Promise<void> {
    await this.lock.run(async () => {
      this.journal.note(
        pointer.name,
        'removing',
        `not in desired state ${version}`,
        pointer.executionId,
      );
      await this.modelHost.unload(pointer.name);
      await this.pointers.remove(pointer.name);
      this.journal.note(
        pointer.name,
        'removed',
        `${pointer.version} ${pointer.sha256}`,
        pointer.executionId,
      );
    });
    this.logger.info({ model: pointer.name, version }, 'model removed');
    await this.collectGarbage().catch((err: unknown) =>
      this.logger.warn({ err }, 'cleanup failed'),
    );
  }

  private collectGarbage(): Promise<void> {
    return collectGarbage({
      db: this.options.db,
      pointers: this.pointers,
      journal: this.journal,
      bundles: this.bundles,
      downloadsDir: this.downloadsDir,
    });
  }

  private startProbation(exec: ExecutionRecord): void {
    if (this.watches.has(exec.executionId) || this.stopped) return;
    const watch = new ProbationWatch({
      modelHost: this.modelHost,
      model: exec.model,
      sha256: exec.sha256,
      policy: this.policy,
      restarts: exec.probationRestarts,
      onVerdict: (verdict) => this.onProbationVerdict(exec.executionId, verdict),
    });
    this.watches.set(exec.executionId, watch);
    watch.start();
  }

  private stopWatch(executionId: string): void {
    this.watches.get(executionId)?.stop();
    this.watches.delete(executionId);
  }

  private onProbationVerdict(executionId: string, verdict: ProbationVerdict): void {
    this.watches.delete(executionId);
    if (this.stopped) return;
    void (async () => {
      const exec = this.journal.get(executionId);
      if (exec?.step !== 'probation') return;
      if (verdict.ok) {
        const healthy = this.journal.setStep(executionId, 'healthy');
        this.reporter.report(healthy, 'healthy');
        this.logger.info({ executionId }, 'probation passed');
      } else {
        await this.installer.rollback(exec, verdict.error);
      }
    })().catch((err: unknown) =>
      this.logger.error({ err, executionId }, 'probation verdict failed'),
    );
  }
}
