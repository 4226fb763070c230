import { describe, expect, it } from 'vitest';

import {
  findInitializer,
  getAttrFloat,
  makeNode,
  makeTensorValueInfo,
} from '../../src/onnx/index.js';
import { simplifyModel } from '../../src/simplify/index.js';
import { compareModels, seededFeeds } from './ort-compare.js';
import {
  bnInitializers,
  bnNode,
  convBnModel,
  gemmBnModel,
  matMulBnModel,
  opTypes,
} from './test-models.js';
import { makeInitializer } from '../../src/onnx/index.js';
import { randomFloats } from '../onnx/helpers.js';

/**
 * BatchNormalization folding on hand-built graphs, checked against
 * onnxruntime: the folded model must match the original within 1e-5 absolute
 * (outputs here are O(1); folding only reorders float32 roundings).
 */
const TOLERANCE = 1e-5;

describe('folds BatchNormalization into Conv', () => {
  for (const [bias, group] of [
    [true, 1],
    [false, 1],
    [true, 2],
    [false, 2],
  ] as const) {
    it(`bias=${bias}, group=${group}`, async () => {
      const original = convBnModel({ bias, group });
      const { model, report } = simplifyModel(original);
      expect(opTypes(model)).toEqual(['Conv']);
      expect(report.foldedBatchNorms).toBe(1);
      expect(report.removedNodes).toContainEqual({ opType: 'BatchNormalization', count: 1 });
      const conv = model.graph.node[0];
      // The graph output keeps its name; the Conv now has a bias (added when absent).
      expect(conv?.output).toEqual(['y']);
      expect(conv?.input).toHaveLength(3);
      expect(model.graph.initializer.map((t) => t.name).sort()).toEqual(
        conv?.input.slice(1).sort(),
      );
      const diffs = await compareModels(original, model, seededFeeds({ x: [1, 4, 5, 5] }, 100));
      expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
    });
  }
});

describe('folds BatchNormalization into Gemm', () => {
  for (const transB of [false, true]) {
    it(`transB=${transB ? 1 : 0}, with alpha and beta`, async () => {
      const original = gemmBnModel(transB);
      const { model, report } = simplifyModel(original);
      expect(opTypes(model)).toEqual(['Gemm', 'Relu']);
      expect(report.foldedBatchNorms).toBe(1);
      const gemm = model.graph.node[0];
      if (gemm === undefined) throw new Error('no Gemm');
      // The old beta is folded into C, so C is now used as is.
      expect(getAttrFloat(gemm, 'beta')).toBe(1);
      expect(getAttrFloat(gemm, 'alpha')).toBe(0.5);
      const diffs = await compareModels(original, model, seededFeeds({ x: [3, 4] }, 101));
      expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
    });
  }

  it('adds C when the Gemm had none', async () => {
    const original = gemmBnModel(true);
    original.graph.node[0]?.input.pop();
    original.graph.initializer = original.graph.initializer.filter((t) => t.name !== 'c');
    const { model } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Gemm', 'Relu']);
    expect(model.graph.node[0]?.input).toHaveLength(3);
    const diffs = await compareModels(original, model, seededFeeds({ x: [3, 4] }, 102));
    expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('folds BatchNormalization into MatMul', () => {
  it('MatMul + Add: scales W per column and rewrites the bias', async () => {
    const original = matMulBnModel(true);
    const { model } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['MatMul', 'Add']);
    const diffs = await compareModels(original, model, seededFeeds({ x: [3, 4] }, 103));
    expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
  });

  it('MatMul alone: the BatchNormalization becomes the bias Add', async () => {
    const original = matMulBnModel(false);
    const { model } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['MatMul', 'Add']);
    const diffs = await compareModels(original, model, seededFeeds({ x: [3, 4] }, 104));
    expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('BatchNormalization folding bookkeeping', () => {
  it('does not modify the input model', () => {
    const original = convBnModel({ bias: true, group: 1 });
    const snapshot = structuredClone(original);
    simplifyModel(original);
    expect(original).toEqual(snapshot);
  });

  it('writes new weights under a fresh name when another node shares them', async () => {
    // Two Convs share 'w'; only the first is followed by a BatchNormalization.
    const original = convBnModel({ bias: false, group: 1 });
    original.graph.node.push(makeNode('Conv', ['x', 'w'], ['y2'], { name: 'conv2' }));
    original.graph.output.push(makeTensorValueInfo('y2', 'float32', [1, 6, 3, 3]));
    const { model } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Conv', 'Conv']);
    expect(model.graph.node[0]?.input[1]).not.toBe('w');
    expect(model.graph.node[1]?.input[1]).toBe('w');
    expect(findInitializer(model.graph, 'w')).toEqual(findInitializer(original.graph, 'w'));
    const diffs = await compareModels(original, model, seededFeeds({ x: [1, 4, 5, 5] }, 105));
    expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.y2?.diff).toBe(0);
  });

  it('folds two BatchNormalizations in a chain of Conv blocks', async () => {
    const original = convBnModel({ bias: true, group: 1 });
    original.graph.node[1] = bnNode('bn', 'conv_out', 'mid');
    original.graph.node.push(
      makeNode('Conv', ['mid', 'w2'], ['conv2_out'], { name: 'conv2' }),
      bnNode('bn2', 'conv2_out', 'y'),
    );
    original.graph.initializer.push(
      makeInitializer('w2', randomFloats(6 * 6, 80), [6, 6, 1, 1]),
      ...bnInitializers('bn2', 6, 90),
    );
    const { model, report } = simplifyModel(original);
    expect(opTypes(model)).toEqual(['Conv', 'Conv']);
    expect(report.foldedBatchNorms).toBe(2);
    expect(report.removedInitializers).toBe(8);
    const diffs = await compareModels(original, model, seededFeeds({ x: [1, 4, 5, 5] }, 106));
    expect(diffs.y?.diff).toBeLessThanOrEqual(TOLERANCE);
  });
});
