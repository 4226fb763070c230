import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const demo = fileURLToPath(new URL('../scripts/demo/run.ts', import.meta.url));

// The README's main job must keep working: run it as a user would (a child process) and read
// its verdict.
describe('npm run demo', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ef-demo-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every step and every check comes out right', async () => {
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', demo], {
        cwd: root,
        env: { ...process.env, EDGEFLEET_DEMO_DIR: join(dir, 'work') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
      child.on('error', reject);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, stdout: out, stderr: err });
      });
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Summary: every check came out right');
    expect(stdout).not.toContain('FAIL');
    expect(stdout).toMatch(/site B .* 12\/12 windows drifted/);
    expect(stdout).toMatch(/rollout ro-\S+ completed: every wave passed its gates/);
    expect(stdout).toMatch(/rollout ro-\S+ stopped in wave 1/);
    expect(stdout).toContain('all 48 devices serve v1 again');
  }, 260_000);
});
