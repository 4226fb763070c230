import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/run-cli.js';
import { recordingIO } from './cli-io.js';

const fixture = (p: string) => fileURLToPath(new URL(`../../../fixtures/${p}`, import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ef-cli-compile-'));
  expect(await runCli(['keys', 'generate', '--role', 'release', '--out', dir], recordingIO())).toBe(
    0,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pmArgs = () => [
  'compile',
  fixture('models/pm-mlp.onnx'),
  '--data',
  fixture('data/pm/calibration.csv'),
  '--eval',
  fixture('data/pm/eval.csv'),
  '--preprocess',
  fixture('data/pm/preprocess.json'),
  '--key',
  join(dir, 'release.key'),
  '--name',
  'pm',
  '--version',
  '1.0.0',
];

describe('edgefleet compile', () => {
  it('--json prints the result; the bundle then verifies with bundle verify', async () => {
    const io = recordingIO();
    const out = join(dir, 'pm.efb');
    expect(await runCli([...pmArgs(), '--quantize', 'fp16', '--out', out, '--json'], io)).toBe(0);
    const doc = JSON.parse(io.out()) as {
      ok: boolean;
      result: { bundle: { path: string }; gate: { passed: boolean } };
    };
    expect(doc.ok).toBe(true);
    expect(doc.result.gate.passed).toBe(true);
    const verify = recordingIO();
    expect(await runCli(['bundle', 'verify', out, '--pub', join(dir, 'release.pub')], verify)).toBe(
      0,
    );
  });

  it('prints a human summary without --json', async () => {
    const io = recordingIO();
    expect(
      await runCli([...pmArgs(), '--quantize', 'none', '--out', join(dir, 'pm-none.efb')], io),
    ).toBe(0);
    expect(io.out()).toMatch(/accuracy\s+fp32 98\.\d\d% -> 98\.\d\d%/);
    expect(io.out()).toContain('gate');
  });

  it('a coded error exits 1 and names the code', async () => {
    const io = recordingIO();
    expect(
      await runCli(
        [...pmArgs(), '--eval', fixture('data/house/eval.csv'), '--out', join(dir, 'x.efb')],
        io,
      ),
    ).toBe(1);
    expect(io.err()).toContain('EF_COMPILE_DATA_COLUMNS');
  });

  it.each([
    ['--image-size 64', ['--image-size', '64']],
    ['--image-mean 1,2', ['--image-mean', '1,2']],
    ['--quantize int4', ['--quantize', 'int4']],
    ['--max-drop lots', ['--max-drop', 'lots']],
    ['--per-channel with --per-tensor', ['--per-channel', '--per-tensor']],
  ])('rejects %s as a usage error', async (_name, extra) => {
    const io = recordingIO();
    expect(await runCli([...pmArgs(), ...extra, '--out', join(dir, 'y.efb')], io)).toBe(2);
    expect(io.err()).toContain('EF_CLI_USAGE');
  });
});
