/**
 * The real HTTP API over the fake HubApi of the hub's tests, and a way to run CLI commands
 * against it in-process with EDGEFLEET_HUB and EDGEFLEET_TOKEN set.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/run-cli.js';
import { OPERATOR_TOKEN, startTestApi } from '../../hub/test/http/http-test-server.js';
import type { TestApi } from '../../hub/test/http/http-test-server.js';
import { recordingIO } from './cli-io.js';

export { OPERATOR_TOKEN };
export { fakeBundle } from '../../hub/test/http/fake-hub-api.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface Harness {
  readonly hub: TestApi;
  readonly dir: string;
  /** Runs `edgefleet <args>` against the hub; `env` replaces the default environment. */
  cli(args: readonly string[], env?: Record<string, string>, isTTY?: boolean): Promise<CliRun>;
  /** Runs with `--json`, expects exit 0 and returns the parsed document. */
  json<T = Record<string, unknown>>(...args: string[]): Promise<T & { ok: boolean }>;
  close(): Promise<void>;
}

/**
 * @example
 * const h = await startHarness();
 * afterEach(() => h.close());
 * await h.cli(['device', 'list']);
 */
export async function startHarness(): Promise<Harness> {
  const hub = await startTestApi();
  const dir = await mkdtemp(join(tmpdir(), 'ef-cli-hub-'));
  const defaults = { EDGEFLEET_HUB: hub.url, EDGEFLEET_TOKEN: OPERATOR_TOKEN };
  const cli = async (
    args: readonly string[],
    env: Record<string, string> = defaults,
    isTTY = false,
  ) => {
    const io = { ...recordingIO(dir), env, isTTY };
    const code = await runCli(args, io);
    return { code, out: io.out(), err: io.err() };
  };
  return {
    hub,
    dir,
    cli,
    async json<T>(...args: string[]) {
      const r = await cli([...args, '--json']);
      if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.err}`);
      return JSON.parse(r.out) as T & { ok: boolean };
    },
    async close() {
      await hub.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
