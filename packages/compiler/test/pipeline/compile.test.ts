import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestSchema } from '@edgefleet/protocol';
import { ModelSession, openBundle } from '@edgefleet/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/pipeline/compile.js';
import { readOnnxModel } from '../../src/onnx/index.js';
import { fixture, pmOptions, workspace } from './compile-helpers.js';

let ws: Awaited<ReturnType<typeof workspace>>;
beforeAll(async () => {
  ws = await workspace();
});
afterAll(async () => {
  await ws.cleanup();
});

/** Opens the bundle as the hub and agent will, then replays its smoke tests in onnxruntime. */
async function openAndReplay(path: string) {
  const bundle = await openBundle(path, { publicKey: ws.pub });
  const session = await ModelSession.load(bundle.files.get('model.onnx') as Buffer);
  try {
    for (const test of bundle.manifest.smokeTests) {
      const feeds = Object.fromEntries(
        Object.entries(test.inputs).map(([name, t]) => [
          name,
          { data: Float32Array.from(t.data), dims: t.dims },
        ]),
      );
      const outputs = await session.run(feeds);
      for (const [name, expected] of Object.entries(test.expected)) {
        const actual = outputs[name]!.data as Float32Array;
        expected.data.forEach((e, i) => {
          expect(Math.abs((actual[i] as number) - e)).toBeLessThanOrEqual(
            test.tolerance.abs + test.tolerance.rel * Math.abs(e),
          );
        });
      }
    }
  } finally {
    await session.release();
  }
  return bundle;
}

describe('compile', () => {
  it('pm-mlp, fp16: a signed bundle that verifies, half the size, within the gate, smoke tests replay', async () => {
    const stages = new Set<string>();
    const result = await compile(
      { ...pmOptions(ws.dir, ws.key), quantize: 'fp16', out: join(ws.dir, 'pm-fp16.efb') },
      {
        onProgress: (e) => stages.add(e.stage),
      },
    );
    expect(result.gate.passed).toBe(true);
    expect(result.validation.bytesQuantized / result.validation.bytesFp32).toBeLessThan(0.6);
    expect(result.validation.top1Agreement).toBeGreaterThan(0.99);
    expect([...stages].some((s) => s.startsWith('validate'))).toBe(true);
    const bundle = await openAndReplay(result.bundle.path);
    expect(ManifestSchema.safeParse(bundle.manifest).success).toBe(true);
    expect(bundle.manifest.quantization.mode).toBe('fp16');
    expect(bundle.manifest.smokeTests.length).toBe(3);
    expect(bundle.manifest.baseline.features.map((f) => f.name)).toEqual([
      'type_L',
      'type_M',
      'type_H',
      'air_temp_k',
      'process_temp_k',
      'rpm',
      'torque_nm',
      'tool_wear_min',
    ]);
    expect(bundle.manifest.baseline.output.kind).toBe('classes');
    expect(bundle.manifest.postprocess.outputIsProbabilities).toBeUndefined();
    expect(bundle.archiveSha256).toBe(result.bundle.archiveSha256);
  });

  it('vibration-cnn from JSONL, none: BatchNorm folded, outputs unchanged', async () => {
    const result = await compile({
      model: fixture('models/vibration-cnn.onnx'),
      data: fixture('data/vibration/calibration.jsonl'),
      eval: fixture('data/vibration/eval.jsonl'),
      releaseKey: ws.key,
      name: 'vibration',
      version: '2.0.0-rc.1',
      quantize: 'none',
      out: join(ws.dir, 'vibration.efb'),
    });
    expect(result.comparison.task === 'classification' && result.comparison.agreement).toBe(1);
    expect(result.notes).toContain('3 BatchNormalization folded');
    const bundle = await openAndReplay(result.bundle.path);
    const ops = readOnnxModel(bundle.files.get('model.onnx') as Buffer).graph.node.map(
      (n) => n.opType,
    );
    expect(ops).not.toContain('BatchNormalization');
    expect(bundle.manifest.preprocess.kind).toBe('tensor');
    expect(bundle.manifest.baseline.features.map((f) => f.name)).toEqual(['c0_mean', 'c0_std']);
  });

  it('house-mlp regression with missing values, fp16: MSE gate and a histogram output baseline', async () => {
    const result = await compile({
      model: fixture('models/house-mlp.onnx'),
      data: fixture('data/house/calibration.csv'),
      eval: fixture('data/house/eval.csv'),
      preprocess: fixture('data/house/preprocess.json'),
      releaseKey: ws.key,
      name: 'house',
      version: '1.0.0',
      quantize: 'fp16',
      out: join(ws.dir, 'house.efb'),
    });
    expect(result.validation.metric).toBe('mse');
    expect(result.gate.passed).toBe(true);
    const bundle = await openAndReplay(result.bundle.path);
    expect(bundle.manifest.postprocess.task).toBe('regression');
    expect(bundle.manifest.baseline.output.kind).toBe('histogram');
  });

  it('retail-cnn from image folders, fp16: image preprocessing recorded in the manifest', async () => {
    const result = await compile({
      model: fixture('models/retail-cnn.onnx'),
      data: fixture('data/retail/calibration'),
      eval: fixture('data/retail/eval'),
      preprocess: fixture('data/retail/preprocess.json'),
      releaseKey: ws.key,
      name: 'retail',
      version: '1.0.0',
      quantize: 'fp16',
      out: join(ws.dir, 'retail.efb'),
    });
    expect(result.comparison.samples).toBe(100);
    const bundle = await openAndReplay(result.bundle.path);
    expect(bundle.manifest.preprocess).toMatchObject({
      kind: 'image',
      width: 64,
      height: 64,
      layout: 'nchw',
    });
    expect(bundle.manifest.baseline.features).toHaveLength(6);
    expect(bundle.manifest.postprocess.labels).toEqual(['apple', 'bottle', 'box', 'can']);
  });

  it('pm-mlp, int8: dynamic quantization about a third of the size within the gate', async () => {
    const result = await compile({
      ...pmOptions(ws.dir, ws.key),
      quantize: 'int8',
      out: join(ws.dir, 'pm-int8.efb'),
    });
    expect(result.quantization).toMatchObject({
      mode: 'int8-dynamic',
      weightType: 'int8',
      perChannel: true,
    });
    expect(result.validation.bytesQuantized / result.validation.bytesFp32).toBeLessThan(0.45);
    expect(Math.abs(result.validation.delta)).toBeLessThan(0.005);
    const bundle = await openAndReplay(result.bundle.path);
    const ops = readOnnxModel(bundle.files.get('model.onnx') as Buffer).graph.node.map(
      (n) => n.opType,
    );
    expect(ops).toContain('MatMulInteger');
    expect(ops).toContain('DynamicQuantizeLinear');
  });

  it('vibration-cnn, int8-static: QDQ with calibrated activations, within a point', async () => {
    const result = await compile({
      model: fixture('models/vibration-cnn.onnx'),
      data: fixture('data/vibration/calibration.jsonl'),
      eval: fixture('data/vibration/eval.jsonl'),
      releaseKey: ws.key,
      name: 'vibration',
      version: '1.1.0',
      quantize: 'int8-static',
      calibration: 'percentile',
      out: join(ws.dir, 'vibration-static.efb'),
    });
    expect(result.quantization).toMatchObject({
      mode: 'int8-static',
      calibration: { method: 'percentile', samples: 160 },
    });
    expect(result.validation.delta).toBeGreaterThan(-0.01);
    const bundle = await openAndReplay(result.bundle.path);
    const ops = readOnnxModel(bundle.files.get('model.onnx') as Buffer).graph.node.map(
      (n) => n.opType,
    );
    expect(ops).toContain('QuantizeLinear');
    expect(ops).toContain('DequantizeLinear');
  });

  it('auto tries every candidate, reports each, and ships one that is within the gate and not slower', async () => {
    const result = await compile({
      ...pmOptions(ws.dir, ws.key),
      quantize: 'auto',
      out: join(ws.dir, 'pm-auto.efb'),
    });
    expect(result.candidates.map((c) => c.mode)).toEqual(['int8-static', 'int8', 'fp16', 'none']);
    const chosen = result.candidates.filter((c) => c.chosen);
    expect(chosen).toHaveLength(1);
    expect(chosen[0]!.passed).toBe(true);
    if (chosen[0]!.mode !== 'none')
      expect(chosen[0]!.latencyMs!).toBeLessThanOrEqual(result.validation.latencyMsFp32);
    for (const c of result.candidates.filter((x) => !x.chosen))
      expect(c.reason.length).toBeGreaterThan(5);
    const bundle = await openAndReplay(result.bundle.path);
    const manifestMode = {
      none: 'none',
      fp16: 'fp16',
      int8: 'int8-dynamic',
      'int8-static': 'int8-static',
    }[chosen[0]!.mode as 'none' | 'fp16' | 'int8' | 'int8-static'];
    expect(bundle.manifest.quantization.mode).toBe(manifestMode);
  });

  it('fails the gate with EF_COMPILE_GATE and writes nothing when the metric drops more than allowed', async () => {
    const out = join(ws.dir, 'house-gate.efb');
    const err = await compile({
      model: fixture('models/house-mlp.onnx'),
      data: fixture('data/house/calibration.csv'),
      eval: fixture('data/house/eval.csv'),
      preprocess: fixture('data/house/preprocess.json'),
      releaseKey: ws.key,
      name: 'house',
      version: '1.0.0',
      quantize: 'int8-static',
      maxDrop: 0,
      out,
    }).then(
      (r) => r,
      (e: unknown) => e,
    );
    // Deterministic: static int8 grows this model's MSE by about 7% on the eval split.
    expect((err as { code?: string }).code).toBe('EF_COMPILE_GATE');
    expect((err as Error).message).toMatch(/nothing was signed/);
    await expect(stat(out)).rejects.toThrow();
  });

  it('the TF.js-trained PM classifier (model.json) compiles end to end with int8 and meets the gate', async () => {
    const result = await compile({
      ...pmOptions(ws.dir, ws.key),
      model: fixture('models/pm-tfjs/model.json'),
      quantize: 'int8',
      out: join(ws.dir, 'pm-tfjs-int8.efb'),
    });
    expect(result.gate.passed).toBe(true);
    expect(result.quantization.mode).toBe('int8-dynamic');
    expect(result.notes[0]).toMatch(/exported from a TF.js Layers/);
    const bundle = await openAndReplay(result.bundle.path);
    expect(bundle.manifest.model.inputs[0]!.shape).toEqual(['batch', 8]);
    // The TF.js model ends in softmax: the device must not apply a second one.
    expect(bundle.manifest.postprocess.outputIsProbabilities).toBe(true);
  });

  it('is deterministic apart from latency: the same options give the same model bytes and baseline', async () => {
    const now = () => new Date('2026-01-01T00:00:00.000Z');
    const a = await compile(
      { ...pmOptions(ws.dir, ws.key), quantize: 'none', out: join(ws.dir, 'a.efb') },
      { now },
    );
    const b = await compile(
      { ...pmOptions(ws.dir, ws.key), quantize: 'none', out: join(ws.dir, 'b.efb') },
      { now },
    );
    expect(a.manifest.model.sha256).toBe(b.manifest.model.sha256);
    expect(a.manifest.baseline).toEqual(b.manifest.baseline);
    expect(a.manifest.smokeTests).toEqual(b.manifest.smokeTests);
  });
});
