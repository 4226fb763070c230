import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Narrator } from './narrate.js';
import { edgefleet, edgefleetJson } from './run-edgefleet.js';

const fixture = (p: string) =>
  relative(process.cwd(), fileURLToPath(new URL(`../../fixtures/${p}`, import.meta.url)));

/**
 * The data scientist's step: compile the predictive-maintenance model into a signed bundle, and
 * the checks anyone can run on it (signature from the root of trust; a tampered copy refused).
 * Returns the bundle's path and sha256.
 */
export async function compileBundle(
  n: Narrator,
  dir: string,
): Promise<{ path: string; sha256: string }> {
  n.section('Data scientist compiles the predictive-maintenance model into a signed bundle');
  const out = join(dir, 'pm-1.0.0.efb');
  const result = (await edgefleetJson(n, [
    'compile',
    fixture('models/pm-mlp.onnx'),
    '--data',
    fixture('data/pm/calibration.csv'),
    '--eval',
    fixture('data/pm/eval.csv'),
    '--preprocess',
    fixture('data/pm/preprocess.json'),
    '--quantize',
    'auto',
    '--window-size',
    '250',
    '--key',
    join(dir, 'keys', 'release.key'),
    '--name',
    'pm',
    '--version',
    '1.0.0',
    '--out',
    out,
  ])) as {
    result: {
      bundle: { archiveSha256: string; bytes: number };
      validation: {
        fp32: number;
        quantized: number;
        bytesFp32: number;
        bytesQuantized: number;
        top1Agreement: number;
      };
      gate: { message: string };
      quantization: { mode: string };
      candidates: { mode: string; bytes?: number; chosen: boolean; reason: string }[];
    };
  };
  const v = result.result.validation;
  for (const c of result.result.candidates) {
    n.info(
      `${c.chosen ? 'chosen' : 'tried '} ${c.mode.padEnd(11)} ${String(c.bytes ?? '-').padStart(6)} bytes: ${c.reason}`,
    );
  }
  n.info(
    `accuracy fp32 ${(v.fp32 * 100).toFixed(2)}% -> ${result.result.quantization.mode} ${(v.quantized * 100).toFixed(2)}%, top-1 agreement ${(v.top1Agreement * 100).toFixed(2)}%`,
  );
  n.info(
    `model ${v.bytesFp32} -> ${v.bytesQuantized} bytes; bundle ${result.result.bundle.bytes} bytes with baseline and smoke tests`,
  );
  n.expect(/passed/.test(result.result.gate.message), `gate: ${result.result.gate.message}`);

  n.section('Anyone verifies the bundle from the root of trust; a tampered copy is refused');
  const keyring = join(dir, 'keys', 'keyring.json');
  const rootPub = join(dir, 'keys', 'root.pub');
  const ok = await edgefleet(n, [
    'bundle',
    'verify',
    out,
    '--keyring',
    keyring,
    '--root-pub',
    rootPub,
  ]);
  n.expect(
    ok.code === 0,
    'bundle verify: signature by a release key of the keyring, every digest matches',
  );
  const tampered = join(dir, 'pm-tampered.efb');
  await copyFile(out, tampered);
  const bytes = await readFile(tampered);
  const middle = Math.floor(bytes.length / 2);
  bytes.writeUInt8((bytes.readUInt8(middle) ^ 0x01) & 0xff, middle);
  await writeFile(tampered, bytes);
  const bad = await edgefleet(n, [
    'bundle',
    'verify',
    tampered,
    '--keyring',
    keyring,
    '--root-pub',
    rootPub,
  ]);
  const code = /error (EF_[A-Z_]+)/.exec(bad.err)?.[1] ?? 'none';
  n.expect(bad.code === 1, `one flipped bit in the middle of the file: refused with ${code}`);
  return { path: out, sha256: result.result.bundle.archiveSha256 };
}
