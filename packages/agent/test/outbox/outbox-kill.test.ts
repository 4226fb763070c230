import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connectAgentLink } from '../../src/link/agent-link.js';
import type { ConnectedAgentLink } from '../../src/link/agent-link.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { devicePassword, poll, startTestBroker } from '../link/test-broker.js';
import type { TestBroker } from '../link/test-broker.js';
import { FakeHub } from './fake-hub.js';
import { BOOT_A, BOOT_B, DEVICE, TempDbs, event } from './records.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url));
const N = 10_000;
const KILL_AFTER = 500;

describe('outbox under SIGKILL', () => {
  const temp = new TempDbs();
  let child: ChildProcess | undefined;
  let broker: TestBroker | undefined;
  let hub: FakeHub | undefined;
  let link: ConnectedAgentLink | undefined;
  let outbox: Outbox | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await outbox?.close();
    await link?.close();
    await hub?.close();
    await broker?.close();
    temp.cleanup();
  });

  it('keeps every append that returned; after restart the hub gets all 10,000 exactly once', async () => {
    const path = temp.path();
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', FIXTURE, path, String(N), BOOT_A],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let returned = 0;
    let finished = false;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line === 'done') finished = true;
      const n = /^appended (\d+)$/.exec(line)?.[1];
      if (n === undefined) return;
      returned = Math.max(returned, Number(n));
      if (returned >= KILL_AFTER) proc.kill('SIGKILL');
    });
    const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      proc.once('close', (code, sig) => resolve([code, sig])),
    );
    expect(signal, stderr).toBe('SIGKILL');
    expect(finished).toBe(false);
    expect(returned).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(returned).toBeLessThan(N);

    const db = temp.open(path);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const stored = (
      db.prepare('SELECT body FROM outbox_records_events ORDER BY id').pluck().all() as string[]
    ).map((b) => (JSON.parse(b) as { details: { i: number } }).details.i);
    // Every returned append is there; at most the one in progress when killed is extra.
    expect(stored.length).toBeGreaterThanOrEqual(returned);
    expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => i));

    // The next boot appends the rest, then sends all 10,000; the hub stores each record once.
    outbox = new Outbox(db, { deviceId: DEVICE, bootId: BOOT_B, tickMs: 50 });
    for (let i = stored.length; i < N; i++) {
      outbox.append('events', { ...event(i), details: { i } });
    }
    expect(outbox.stats().depth).toBe(N);
    broker = await startTestBroker();
    hub = new FakeHub();
    await hub.connect(broker.url);
    link = connectAgentLink({
      brokerUrl: broker.url,
      deviceId: DEVICE,
      password: devicePassword(DEVICE),
      bootId: BOOT_B,
      agentVersion: '0.1.0',
      birth: () => ({ models: [] }),
      reconnectPeriodMs: 50,
    });
    outbox.start(link);
    const box = outbox;
    await poll('outbox drained', () => box.stats().depth === 0);
    const received = [...hub.stored.values()].flatMap((m) =>
      m.records.map((r) => (r.details as { i: number }).i),
    );
    expect(received.sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
  });
});
