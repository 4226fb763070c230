/**
 * The contract between the installer (`converge/`) and inference (`inference/`): the installer
 * decides which bundle should serve, the model host loads it into the worker pool, proves it
 * with the bundle's smoke tests and swaps it in without a gap.
 */
import type { Manifest } from '@edgefleet/protocol';

/** An extracted, verified bundle on disk. */
export interface InstalledBundle {
  name: string;
  version: string;
  /** sha256 of the `.efb` file. */
  sha256: string;
  /** The extraction folder (`<state-dir>/bundles/<sha256>/`). */
  dir: string;
  manifest: Manifest;
}

/** A bundle loaded in the workers and proven by its smoke tests, not yet serving. */
export interface PreparedModel {
  readonly bundle: InstalledBundle;
}

/** Request counters of one serving model since it was activated. */
export interface ModelStats {
  requests: number;
  errors: number;
  latencyMs: { p50: number; p95: number; p99: number };
}

/** What serves predictions. */
export interface ModelHost {
  /**
   * Loads the bundle's model in every worker and runs its smoke tests. Throws a coded error
   * (load failure, smoke-test mismatch) and leaves whatever serves untouched.
   */
  prepare(bundle: InstalledBundle): Promise<PreparedModel>;
  /** Makes a prepared model serve its name from the next request on; frees the previous one. */
  activate(prepared: PreparedModel): Promise<void>;
  /** Stops serving `name` (no-op when it does not serve). */
  unload(name: string): Promise<void>;
  /** The serving models. */
  list(): { name: string; version: string; sha256: string }[];
  /** Counters since `name` was activated, or undefined. */
  stats(name: string): ModelStats | undefined;
  /** Stops the workers. */
  close(): Promise<void>;
}
