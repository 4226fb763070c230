import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isEdgefleetError } from '@edgefleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/pipeline/compile.js';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensorValueInfo,
  writeOnnxModel,
} from '../../src/onnx/index.js';
import type { CompileOptionsInput } from '../../src/pipeline/compile-options.js';
import { fixture, pmOptions, workspace } from './compile-helpers.js';

let ws: Awaited<ReturnType<typeof workspace>>;
beforeAll(async () => {
  ws = await workspace();
  await writeFile(join(ws.dir, 'not-onnx.onnx'), 'this is not a model');
  await writeFile(
    join(ws.dir, 'header-only.csv'),
    'type_L,type_M,type_H,air_temp_k,process_temp_k,rpm,torque_nm,tool_wear_min,label\n',
  );
  await writeFile(
    join(ws.dir, 'nan.csv'),
    'type_L,type_M,type_H,air_temp_k,process_temp_k,rpm,torque_nm,tool_wear_min,label\n1,0,0,300,310,abc,40,10,0\n',
  );
  await writeFile(
    join(ws.dir, 'bad-preprocess.json'),
    JSON.stringify({ kind: 'tabular', input: 'wrong', features: [{ name: 'a', mean: 0, std: 1 }] }),
  );
  await writeFile(join(ws.dir, 'model.json'), '{}');
  const model = await readFile(fixture('models/pm-mlp.onnx'));
  await writeFile(
    join(ws.dir, 'truncated.onnx'),
    model.subarray(0, Math.floor(model.length * 0.6)),
  );
  await writeFile(join(ws.dir, 'nan-no-impute.csv'), 'a,b,label\n1,NaN,0\n2,3,1\n');
  const relu = makeModel(
    makeGraph({
      name: 'relu',
      nodes: [makeNode('Relu', ['input'], ['scores'])],
      inputs: [makeTensorValueInfo('input', 'float32', ['batch', 8])],
      outputs: [makeTensorValueInfo('scores', 'float32', ['batch', 8])],
    }),
    { opsetImports: [{ domain: '', version: 13n }] },
  );
  await writeFile(join(ws.dir, 'relu.onnx'), writeOnnxModel(relu));
  const relu2 = makeModel(
    makeGraph({
      name: 'relu2',
      nodes: [makeNode('Relu', ['input'], ['scores'])],
      inputs: [makeTensorValueInfo('input', 'float32', ['batch', 2])],
      outputs: [makeTensorValueInfo('scores', 'float32', ['batch', 2])],
    }),
    { opsetImports: [{ domain: '', version: 13n }] },
  );
  await writeFile(join(ws.dir, 'relu2.onnx'), writeOnnxModel(relu2));
});
afterAll(async () => {
  await ws.cleanup();
});

async function rejects(overrides: Partial<CompileOptionsInput>, code: string, message?: RegExp) {
  const out = join(ws.dir, `${code}.efb`);
  const error = await compile({
    ...pmOptions(ws.dir, ws.key),
    quantize: 'none',
    out,
    ...overrides,
  }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isEdgefleetError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  if (message) expect((error as Error).message).toMatch(message);
  // Nothing half-written: no bundle and no temp file beside it.
  // The bundle writer's temp file is `.<name>.<hex>.partial`, so match anywhere in the name.
  expect((await readdir(ws.dir)).filter((f) => f.includes(code))).toEqual([]);
}

describe('compile rejects bad input with a coded error and writes nothing', () => {
  it('a file that is not ONNX', () =>
    rejects({ model: join(ws.dir, 'not-onnx.onnx') }, 'EF_COMPILE_ONNX_PARSE'));
  it('a truncated model', () =>
    rejects({ model: join(ws.dir, 'truncated.onnx') }, 'EF_COMPILE_ONNX_TRUNCATED'));
  it('a NaN where the preprocessing has no impute value', () =>
    rejects(
      {
        preprocess: undefined,
        data: join(ws.dir, 'nan-no-impute.csv'),
        eval: join(ws.dir, 'nan-no-impute.csv'),
        model: join(ws.dir, 'relu2.onnx'),
      },
      'EF_COMPILE_DATA_VALUE',
      /NaN|missing/,
    ));
  it('an --out path that cannot be written, before any work', () =>
    rejects({ out: join(ws.key, 'pm.efb') }, 'EF_COMPILE_OUTPUT'));
  it('missing calibration data', () =>
    rejects({ data: join(ws.dir, 'nope.csv') }, 'EF_COMPILE_DATA_NOT_FOUND'));
  it('missing calibration data without a preprocess sidecar', () =>
    rejects(
      { data: join(ws.dir, 'nope.csv'), preprocess: undefined },
      'EF_COMPILE_DATA_NOT_FOUND',
    ));
  it('a missing model file', () =>
    rejects({ model: join(ws.dir, 'nope.onnx') }, 'EF_COMPILE_MODEL_READ', /nope\.onnx/));
  it('a malformed TF.js model.json', () =>
    rejects({ model: join(ws.dir, 'model.json') }, 'EF_COMPILE_TFJS_FORMAT'));
  it('a missing release key', () =>
    rejects({ releaseKey: join(ws.dir, 'nope.key') }, 'EF_COMPILE_KEY'));
  it('a public key given as the release key', () =>
    rejects({ releaseKey: fixture('data/pm/preprocess.json') }, 'EF_COMPILE_KEY'));
  it('data whose columns do not match the model', () =>
    rejects({ eval: fixture('data/house/eval.csv') }, 'EF_COMPILE_DATA_COLUMNS'));
  it('a missing label column', () =>
    rejects({ label: 'failure' }, 'EF_COMPILE_DATA_LABEL_MISSING'));
  it('empty data', () =>
    rejects({ data: join(ws.dir, 'header-only.csv') }, 'EF_COMPILE_DATA_EMPTY'));
  it('a non-numeric value, naming line and column', () =>
    rejects({ eval: join(ws.dir, 'nan.csv') }, 'EF_COMPILE_DATA_VALUE', /line 2/));
  it('a preprocessing spec for another input', () =>
    rejects({ preprocess: join(ws.dir, 'bad-preprocess.json') }, 'EF_COMPILE_PREPROCESS', /wrong/));
  it('a name that is not a slug', () => rejects({ name: 'My Model' }, 'EF_COMPILE_OPTIONS'));
  it('a version that is not semver', () => rejects({ version: 'v1' }, 'EF_COMPILE_OPTIONS'));
  it('a model without float weights to quantize', () =>
    rejects({ model: join(ws.dir, 'relu.onnx'), quantize: 'int8' }, 'EF_COMPILE_QUANT_NOTHING'));
});
