import { join } from 'node:path';
import { ModelSession, openBundle } from '@edgefleet/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/pipeline/compile.js';
import type { CompileOptionsInput } from '../../src/pipeline/compile-options.js';
import { fixture, workspace } from './compile-helpers.js';

let ws: Awaited<ReturnType<typeof workspace>>;
beforeAll(async () => {
  ws = await workspace();
});
afterAll(async () => {
  await ws.cleanup();
});

const models: Record<
  string,
  Omit<CompileOptionsInput, 'releaseKey' | 'out' | 'name' | 'version'>
> = {
  'pm-mlp': {
    model: fixture('models/pm-mlp.onnx'),
    data: fixture('data/pm/calibration.csv'),
    eval: fixture('data/pm/eval.csv'),
    preprocess: fixture('data/pm/preprocess.json'),
  },
  'vibration-cnn': {
    model: fixture('models/vibration-cnn.onnx'),
    data: fixture('data/vibration/calibration.jsonl'),
    eval: fixture('data/vibration/eval.jsonl'),
  },
  'retail-cnn': {
    model: fixture('models/retail-cnn.onnx'),
    data: fixture('data/retail/calibration'),
    eval: fixture('data/retail/eval'),
    preprocess: fixture('data/retail/preprocess.json'),
  },
};
const modes = ['none', 'fp16', 'int8', 'int8-static', 'auto'] as const;
const cases = Object.keys(models).flatMap((m) => modes.map((q) => [m, q] as const));

describe('every mode on every fixture classifier', () => {
  it.each(cases)(
    '%s --quantize %s: verifies, loads, runs and meets the gate',
    async (name, quantize) => {
      const out = join(ws.dir, `${name}-${quantize}.efb`);
      const result = await compile({
        ...models[name]!,
        quantize,
        releaseKey: ws.key,
        name,
        version: '1.0.0',
        out,
      });
      expect(result.gate.passed).toBe(true);
      const bundle = await openBundle(out, { publicKey: ws.pub });
      const session = await ModelSession.load(bundle.files.get('model.onnx') as Buffer);
      try {
        const test = bundle.manifest.smokeTests[0]!;
        const feeds = Object.fromEntries(
          Object.entries(test.inputs).map(([k, t]) => [
            k,
            { data: Float32Array.from(t.data), dims: t.dims },
          ]),
        );
        const outputs = await session.run(feeds);
        expect(Object.keys(outputs)).toContain(bundle.manifest.postprocess.output);
      } finally {
        await session.release();
      }
    },
  );
});
