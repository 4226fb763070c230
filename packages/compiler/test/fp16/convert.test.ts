import { describe, expect, it } from 'vitest';

import {
  TensorDataType,
  decodeTensor,
  findInitializer,
  float16BitsToFloat32Array,
  getAttrInt,
  makeAttrFloats,
  makeAttrInt,
  makeInitializer,
  makeNode,
  makeTensorValueInfo,
} from '../../src/onnx/index.js';
import { DEFAULT_FP16_OP_BLOCK_LIST, convertToFloat16 } from '../../src/fp16/index.js';
import { compareModels, runModel, seededFeeds } from '../simplify/ort-compare.js';
import { modelOf, opTypes } from '../simplify/test-models.js';
import { randomFloats } from '../onnx/helpers.js';

/** Float16 conversion rules on hand-built graphs, run in onnxruntime-node. */

const x4 = makeTensorValueInfo('x', 'float32', [2, 4]);
const y4 = makeTensorValueInfo('y', 'float32', [2, 4]);

/** fp16 vs fp32 tolerance for O(1) outputs of one or two ops: a few float16 roundings (2^-11 each). */
const TOLERANCE = 5e-3;

describe('converts to float16', () => {
  it('clamps 1e6 to 65504 and flushes 1e-9 to zero, and counts both', async () => {
    const original = modelOf(
      [makeNode('Mul', ['x', 'w'], ['y'])],
      [makeTensorValueInfo('x', 'float32', [1, 4])],
      [makeTensorValueInfo('y', 'float32', [1, 4])],
      [makeInitializer('w', new Float32Array([1e6, 1e-9, 0.5, -1e6]), [4])],
    );
    const { model, report } = convertToFloat16(original, { keepIoFloat32: true });
    expect(report.clampedValues).toBe(2);
    expect(report.flushedValues).toBe(1);
    const w = decodeTensor(findInitializer(model.graph, 'w')!);
    expect(w.dataType).toBe(TensorDataType.FLOAT16);
    expect(Array.from(float16BitsToFloat32Array(w.data as Uint16Array))).toEqual([
      65504, 0, 0.5, -65504,
    ]);
    const out = await runModel(model, { x: seededFeeds({ x: [1, 4] }, 0).x! });
    expect(out.y?.type).toBe('float32');
    expect(Array.from(out.y?.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('keeps graph inputs and outputs float32 with Casts at the boundary', () => {
    const original = modelOf([makeNode('Relu', ['x'], ['y'], { name: 'relu' })], [x4], [y4]);
    const { model, report } = convertToFloat16(original);
    expect(opTypes(model)).toEqual(['Cast', 'Relu', 'Cast']);
    expect(report.castsInserted).toBe(2);
    expect(model.graph.input).toEqual(original.graph.input);
    expect(model.graph.output).toEqual(original.graph.output);
    expect(model.graph.node[2]?.output).toEqual(['y']);
  });

  it('puts Casts around a block-listed op (Max) and reports it', async () => {
    const original = modelOf(
      [
        makeNode('Mul', ['x', 'w'], ['m'], { name: 'mul' }),
        makeNode('Max', ['m', 'floor'], ['mx'], { name: 'max' }),
        makeNode('Sigmoid', ['mx'], ['y'], { name: 'sig' }),
      ],
      [x4],
      [y4],
      [
        makeInitializer('w', randomFloats(4, 600), [4]),
        makeInitializer('floor', new Float32Array([0.1]), []),
      ],
    );
    const { model, report } = convertToFloat16(original, { keepIoFloat32: true });
    expect(report.keptFp32Nodes).toEqual([{ name: 'max', opType: 'Max', reason: 'blockList' }]);
    const max = model.graph.node.find((n) => n.name === 'max')!;
    const producers = new Map(
      model.graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)),
    );
    // m is cast up to float32 for Max; 'floor' is only read by Max, so it stays a float32 initializer.
    expect(producers.get(max.input[0]!)?.opType).toBe('Cast');
    expect(getAttrInt(producers.get(max.input[0]!)!, 'to')).toBe(TensorDataType.FLOAT);
    expect(findInitializer(model.graph, 'floor')?.dataType).toBe(TensorDataType.FLOAT);
    const sigmoid = model.graph.node.find((n) => n.name === 'sig')!;
    expect(getAttrInt(producers.get(sigmoid.input[0]!)!, 'to')).toBe(TensorDataType.FLOAT16);
    expect(report.castsInserted).toBe(4);
    const diffs = await compareModels(original, model, seededFeeds({ x: [2, 4] }, 601));
    expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
  });

  it('a custom blockList replaces the default one', () => {
    const original = modelOf(
      [makeNode('Relu', ['x'], ['r'], { name: 'relu' }), makeNode('Max', ['r', 'x'], ['y'])],
      [x4],
      [y4],
    );
    const { report } = convertToFloat16(original, { keepIoFloat32: true, blockList: ['Relu'] });
    expect(report.keptFp32Nodes.map((n) => n.opType)).toEqual(['Relu']);
    const extended = convertToFloat16(original, {
      blockList: [...DEFAULT_FP16_OP_BLOCK_LIST, 'Relu'],
    });
    expect(extended.report.keptFp32Nodes.map((n) => n.opType)).toEqual(['Relu', 'Max']);
  });

  it('converts Constant values, Cast targets and value_info consistently', async () => {
    const original = modelOf(
      [
        makeNode('Constant', [], ['k'], {
          attributes: [makeAttrFloats('value_floats', [0.5, 2, -1, 3])],
        }),
        makeNode('Mul', ['x', 'k'], ['m'], { name: 'mul' }),
        makeNode('Cast', ['m'], ['mi'], {
          name: 'to_int',
          attributes: [makeAttrInt('to', TensorDataType.INT32)],
        }),
        makeNode('Cast', ['mi'], ['mf'], {
          name: 'to_float',
          attributes: [makeAttrInt('to', TensorDataType.FLOAT)],
        }),
        makeNode('Add', ['mf', 'm'], ['y'], { name: 'add' }),
      ],
      [x4],
      [y4],
    );
    original.graph.valueInfo.push(
      makeTensorValueInfo('m', 'float32', [2, 4]),
      makeTensorValueInfo('mi', 'int32', [2, 4]),
    );
    const { model, report } = convertToFloat16(original);
    expect(report.convertedConstants).toBe(1);
    const constant = model.graph.node.find((n) => n.opType === 'Constant')!;
    expect(constant.attribute[0]?.name).toBe('value');
    expect(constant.attribute[0]?.t?.dataType).toBe(TensorDataType.FLOAT16);
    expect(
      getAttrInt(
        model.graph.node.find((n) => n.name === 'to_float')!,
        'to',
      ),
    ).toBe(TensorDataType.FLOAT16);
    expect(
      getAttrInt(
        model.graph.node.find((n) => n.name === 'to_int')!,
        'to',
      ),
    ).toBe(TensorDataType.INT32);
    expect(model.graph.valueInfo.map((v) => [v.name, v.type?.tensorType?.elemType])).toEqual([
      ['m', TensorDataType.FLOAT16],
      ['mi', TensorDataType.INT32],
    ]);
    // Casts only at the boundary: the Cast nodes convert whatever precision they get.
    expect(report.castsInserted).toBe(2);
    const feeds = seededFeeds({ x: [2, 4] }, 602);
    const diffs = await compareModels(original, model, feeds);
    // Truncation to int can flip by one where fp16 rounding crosses an integer; allow that.
    expect(diffs.y?.diff).toBeLessThanOrEqual(1 + TOLERANCE);
  });

  it('keeps Resize scales float32', async () => {
    const original = modelOf(
      [makeNode('Resize', ['x', '', 'scales'], ['y'], { name: 'resize' })],
      [makeTensorValueInfo('x', 'float32', [1, 1, 2, 2])],
      [makeTensorValueInfo('y', 'float32', [1, 1, 4, 4])],
      [makeInitializer('scales', new Float32Array([1, 1, 2, 2]), [4])],
    );
    const { model } = convertToFloat16(original);
    expect(findInitializer(model.graph, 'scales')?.dataType).toBe(TensorDataType.FLOAT);
    expect(model.graph.node.find((n) => n.name === 'resize')?.input[2]).toBe('scales');
    const diffs = await compareModels(original, model, seededFeeds({ x: [1, 1, 2, 2] }, 603));
    expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
  });

  it('keeps other-domain nodes float32, and a graph output read inside the graph', async () => {
    const original = modelOf(
      [
        makeNode('Mul', ['x', 'w'], ['m'], { name: 'mul' }),
        makeNode('Gelu', ['m'], ['g'], { name: 'gelu', domain: 'com.microsoft' }),
        makeNode('Add', ['g', 'w'], ['y'], { name: 'add' }),
      ],
      [x4],
      [y4, makeTensorValueInfo('m', 'float32', [2, 4])],
      [makeInitializer('w', randomFloats(4, 604), [4])],
      [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
    );
    const { model, report } = convertToFloat16(original);
    // 'add' reads a value of unknown type (nothing declares Gelu's output), so it stays float32 too.
    expect(report.keptFp32Nodes).toEqual([
      { name: 'gelu', opType: 'Gelu', reason: 'otherDomain' },
      { name: 'add', opType: 'Add', reason: 'unknownType' },
    ]);
    expect(model.graph.node.find((n) => n.name === 'add')?.input[0]).toBe('g');
    expect(model.graph.output.map((v) => v.name)).toEqual(['y', 'm']);
    const feeds = seededFeeds({ x: [2, 4] }, 605);
    let diffs = await compareModels(original, model, feeds);
    expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.m?.diff).toBeLessThanOrEqual(TOLERANCE);

    // Once value_info declares Gelu's output, 'add' runs in float16 behind a Cast.
    original.graph.valueInfo.push(makeTensorValueInfo('g', 'float32', [2, 4]));
    const typed = convertToFloat16(original);
    expect(typed.report.keptFp32Nodes.map((n) => n.name)).toEqual(['gelu']);
    expect(typed.model.graph.node.find((n) => n.name === 'add')?.input[0]).not.toBe('g');
    diffs = await compareModels(original, typed.model, feeds);
    expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
  });

  it('IR 3 models: converts initializers and their mandatory input entries together', async () => {
    const original = modelOf(
      [makeNode('Mul', ['x', 'w'], ['m']), makeNode('Relu', ['m'], ['y'])],
      [x4, makeTensorValueInfo('w', 'float32', [4])],
      [y4],
      [makeInitializer('w', randomFloats(4, 607), [4])],
      [{ domain: '', version: 8 }],
    );
    original.irVersion = 3n;
    const { model, report } = convertToFloat16(original);
    expect(report.convertedInitializers).toBe(1);
    expect(model.graph.input.map((v) => v.type?.tensorType?.elemType)).toEqual([
      TensorDataType.FLOAT,
      TensorDataType.FLOAT16,
    ]);
    const diffs = await compareModels(original, model, seededFeeds({ x: [2, 4] }, 608));
    expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
  });

  it('does not modify the input model', () => {
    const original = modelOf(
      [makeNode('Mul', ['x', 'w'], ['y'])],
      [x4],
      [y4],
      [makeInitializer('w', randomFloats(4, 606), [4])],
    );
    const snapshot = structuredClone(original);
    convertToFloat16(original);
    expect(original).toEqual(snapshot);
  });
});
