/**
 * A test-only ModelHost: records every call, serves by name, and can be told to fail
 * `prepare` for a bundle or to report given counters once a bundle is activated.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EdgefleetError } from '@edgefleet/protocol';
import type {
  InstalledBundle,
  ModelHost,
  ModelStats,
  PreparedModel,
} from '../../../src/inference/model-host-api.js';

export class FakeModelHost implements ModelHost {
  /** `prepare:<name>@<version>`, `activate:<name>@<version>`, `unload:<name>`. */
  readonly calls: string[] = [];
  /** sha256s whose prepare fails (a smoke-test mismatch). */
  readonly failPrepare = new Set<string>();
  /** Counters a bundle reports once active, by sha256 (default: no traffic). */
  readonly statsFor = new Map<string, ModelStats & { crashes?: number }>();
  private readonly serving = new Map<string, InstalledBundle>();

  async prepare(bundle: InstalledBundle): Promise<PreparedModel> {
    this.calls.push(`prepare:${bundle.name}@${bundle.version}`);
    if (!existsSync(join(bundle.dir, bundle.manifest.model.file))) {
      throw new EdgefleetError('EF_TEST_LOAD', `no model file in ${bundle.dir}`);
    }
    if (this.failPrepare.has(bundle.sha256)) {
      throw new EdgefleetError(
        'EF_TEST_SMOKE',
        `smoke test of ${bundle.name} ${bundle.version} does not match`,
      );
    }
    return { bundle };
  }

  async activate(prepared: PreparedModel): Promise<void> {
    this.calls.push(`activate:${prepared.bundle.name}@${prepared.bundle.version}`);
    this.serving.set(prepared.bundle.name, prepared.bundle);
  }

  async unload(name: string): Promise<void> {
    this.calls.push(`unload:${name}`);
    this.serving.delete(name);
  }

  list(): { name: string; version: string; sha256: string }[] {
    return [...this.serving.values()].map((b) => ({
      name: b.name,
      version: b.version,
      sha256: b.sha256,
    }));
  }

  /** The version serving `name`, or undefined. */
  versionOf(name: string): string | undefined {
    return this.serving.get(name)?.version;
  }

  stats(name: string): ModelStats | undefined {
    const bundle = this.serving.get(name);
    if (!bundle) return undefined;
    return (
      this.statsFor.get(bundle.sha256) ?? {
        requests: 0,
        errors: 0,
        latencyMs: { p50: 0, p95: 0, p99: 0 },
      }
    );
  }

  async close(): Promise<void> {
    this.serving.clear();
  }
}
