import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openBundle } from '@edgefleet/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The CLI owns --report; its tests are not ours to edit, so the flag is exercised from here.
import { runCli } from '../src/run-cli.js';
import { recordingIO } from './cli-io.js';
import { fixture, workspace } from './compile-workspace.js';

let ws: Awaited<ReturnType<typeof workspace>>;
beforeAll(async () => {
  ws = await workspace();
});
afterAll(async () => {
  await ws.cleanup();
});

describe('edgefleet compile --report', () => {
  it('writes the bundle report.html to the path and names it in the summary', async () => {
    const out = join(ws.dir, 'pm.efb');
    const report = join(ws.dir, 'pm-report.html');
    const io = recordingIO();
    const code = await runCli(
      [
        'compile',
        fixture('models/pm-mlp.onnx'),
        '--data',
        fixture('data/pm/calibration.csv'),
        '--eval',
        fixture('data/pm/eval.csv'),
        '--preprocess',
        fixture('data/pm/preprocess.json'),
        '--key',
        ws.key,
        '--name',
        'pm',
        '--version',
        '1.0.0',
        '--quantize',
        'fp16',
        '--out',
        out,
        '--report',
        report,
      ],
      io,
    );
    expect(code).toBe(0);
    expect(io.out()).toContain(`  report    ${report}`);
    const bundle = await openBundle(out, { publicKey: ws.pub });
    expect(await readFile(report)).toEqual(bundle.files.get('report.html'));
  });

  it('a report path that cannot be written fails with EF_COMPILE_REPORT_WRITE before anything is signed', async () => {
    const io = recordingIO();
    const code = await runCli(
      [
        'compile',
        fixture('models/pm-mlp.onnx'),
        '--data',
        fixture('data/pm/calibration.csv'),
        '--eval',
        fixture('data/pm/eval.csv'),
        '--preprocess',
        fixture('data/pm/preprocess.json'),
        '--key',
        ws.key,
        '--name',
        'pm',
        '--version',
        '1.0.0',
        '--quantize',
        'none',
        '--out',
        join(ws.dir, 'pm-none.efb'),
        '--report',
        join(ws.key, 'r.html'),
      ],
      io,
    );
    expect(code).toBe(1);
    expect(io.err()).toContain('EF_COMPILE_REPORT_WRITE');
    await expect(stat(join(ws.dir, 'pm-none.efb'))).rejects.toThrow();
  });
});
