import { describe, expect, it } from 'vitest';

import {
  getAttrFloat,
  getAttrFloats,
  getAttrGraph,
  getAttrInt,
  getAttrInt64,
  getAttrInt64s,
  getAttrInts,
  getAttrString,
  getAttrStrings,
  getAttrTensor,
  makeAttrFloat,
  makeAttrFloats,
  makeAttrGraph,
  makeAttrInt,
  makeAttrInts,
  makeAttrString,
  makeAttrStrings,
  makeAttrTensor,
} from '../../src/onnx/attributes.js';
import { makeGraph, makeNode, makeTensorValueInfo } from '../../src/onnx/builders.js';
import {
  UniqueNameGenerator,
  buildConsumerMap,
  buildProducerMap,
  checkTopologicalOrder,
  findInitializer,
  getModelInputs,
  initializerMap,
  isTopologicallySorted,
  opsetVersion,
  outerScopeReferences,
  topologicalSort,
  visitGraphs,
} from '../../src/onnx/graph.js';
import { readOnnxModel, writeOnnxModel } from '../../src/onnx/onnx-model.js';
import { decodeTensor, encodeTensor } from '../../src/onnx/tensor.js';
import { expectOnnxError } from './helpers.js';
import { matMulAddReluModel, otherDomainsModel, reshapeModel } from './models.js';

const INT64_MAX = 2n ** 63n - 1n;

describe('attribute getters', () => {
  const node = makeNode('Test', [], [], {
    attributes: [
      makeAttrInt('axis', -1),
      makeAttrInt('huge', INT64_MAX),
      makeAttrFloat('alpha', 0.25),
      makeAttrInts('pads', [0, 1, 2, 3]),
      makeAttrInts('ends', [INT64_MAX]),
      makeAttrFloats('scales', [1, 0.5]),
      makeAttrString('mode', 'constant'),
      makeAttrStrings('acts', ['Tanh', 'Relu']),
      makeAttrTensor('value', encodeTensor('', Float32Array.of(3), [])),
      makeAttrGraph('body', makeGraph({ name: 'b', nodes: [], inputs: [], outputs: [] })),
    ],
  });
  // Re-read so the getters see what the decoder produces, not what the builders made.
  const model = matMulAddReluModel();
  model.graph.node.push(node);
  const read = readOnnxModel(writeOnnxModel(model)).graph.node.at(-1);
  if (read === undefined) throw new Error('lost the node');

  it('return typed values', () => {
    expect(getAttrInt(read, 'axis')).toBe(-1);
    expect(getAttrInt64(read, 'huge')).toBe(INT64_MAX);
    expect(getAttrFloat(read, 'alpha')).toBe(0.25);
    expect(getAttrInts(read, 'pads')).toEqual([0, 1, 2, 3]);
    expect(getAttrInt64s(read, 'ends')).toEqual([INT64_MAX]);
    expect(getAttrFloats(read, 'scales')).toEqual([1, 0.5]);
    expect(getAttrString(read, 'mode')).toBe('constant');
    expect(getAttrStrings(read, 'acts')).toEqual(['Tanh', 'Relu']);
    expect(
      decodeTensor(getAttrTensor(read, 'value') ?? encodeTensor('', Float32Array.of(), [0])).data,
    ).toEqual(Float32Array.of(3));
    expect(getAttrGraph(read, 'body')?.name).toBe('b');
  });

  it('return defaults for absent attributes', () => {
    expect(getAttrInt(read, 'missing')).toBeUndefined();
    expect(getAttrInt(read, 'missing', 7)).toBe(7);
    expect(getAttrFloat(read, 'missing', 1e-5)).toBe(1e-5);
    expect(getAttrInts(read, 'missing', [1, 1])).toEqual([1, 1]);
    expect(getAttrString(read, 'missing', 'NOTSET')).toBe('NOTSET');
    expect(getAttrTensor(read, 'missing')).toBeUndefined();
  });

  it('reject a type mismatch and unsafe ints', () => {
    expectOnnxError(() => getAttrInt(read, 'pads'), 'EF_COMPILE_ONNX_ATTRIBUTE');
    expectOnnxError(() => getAttrFloat(read, 'axis'), 'EF_COMPILE_ONNX_ATTRIBUTE');
    expectOnnxError(() => getAttrString(read, 'alpha'), 'EF_COMPILE_ONNX_ATTRIBUTE');
    expectOnnxError(() => getAttrInt(read, 'huge'), 'EF_COMPILE_ONNX_INT64_RANGE');
    expectOnnxError(() => getAttrInts(read, 'ends'), 'EF_COMPILE_ONNX_INT64_RANGE');
  });

  it('infer the type of IR-1 attributes without a type field', () => {
    const old = makeNode('Old', [], [], {
      attributes: [{ ...makeAttrInt('axis', 2), type: undefined }],
    });
    expect(getAttrInt(old, 'axis')).toBe(2);
  });
});

describe('graph queries', () => {
  const model = matMulAddReluModel();

  it('find initializers', () => {
    expect(findInitializer(model.graph, 'W')?.dims).toEqual([3n, 4n]);
    expect(findInitializer(model.graph, 'nope')).toBeUndefined();
    expect([...initializerMap(model.graph).keys()]).toEqual(['W', 'B']);
  });

  it('map producers and consumers', () => {
    expect(buildProducerMap(model.graph).get('mm')?.opType).toBe('MatMul');
    const consumers = buildConsumerMap(model.graph);
    expect(consumers.get('x')?.map((n) => n.opType)).toEqual(['MatMul']);
    expect(consumers.get('B')?.map((n) => n.opType)).toEqual(['Add']);
    expect(consumers.get('y')).toBeUndefined();
  });

  it('count a node whose subgraph reads an outer value as its consumer', () => {
    const branch = makeGraph({
      name: 'then',
      nodes: [makeNode('Neg', ['outer'], ['z'])],
      inputs: [],
      outputs: [makeTensorValueInfo('z', 'float32')],
    });
    const graph = makeGraph({
      name: 'g',
      nodes: [
        makeNode('Relu', ['x'], ['outer']),
        makeNode('If', ['c'], ['y'], {
          attributes: [makeAttrGraph('then_branch', branch), makeAttrGraph('else_branch', branch)],
        }),
      ],
      inputs: [makeTensorValueInfo('x', 'float32'), makeTensorValueInfo('c', 'bool', [])],
      outputs: [makeTensorValueInfo('y', 'float32')],
    });
    expect([...outerScopeReferences(branch)]).toEqual(['outer']);
    expect(
      buildConsumerMap(graph)
        .get('outer')
        ?.map((n) => n.opType),
    ).toEqual(['If']);
    expect(isTopologicallySorted(graph)).toBe(true);
    expect(checkTopologicalOrder({ ...graph, node: [...graph.node].reverse() })).toMatchObject({
      sorted: false,
      opType: 'If',
      missingInput: 'outer',
    });
    let graphs = 0;
    visitGraphs(graph, () => (graphs += 1));
    expect(graphs).toBe(3);
  });

  it('check and restore topological order', () => {
    expect(checkTopologicalOrder(model.graph)).toEqual({ sorted: true });
    const shuffled = {
      ...model.graph,
      node: [model.graph.node[2], model.graph.node[0], model.graph.node[1]].filter(
        (n) => n !== undefined,
      ),
    };
    expect(checkTopologicalOrder(shuffled)).toMatchObject({
      sorted: false,
      nodeIndex: 0,
      opType: 'Relu',
      missingInput: 'sum',
    });
    expect(topologicalSort(shuffled).map((n) => n.opType)).toEqual(['MatMul', 'Add', 'Relu']);
    expect(topologicalSort(model.graph)).toEqual(model.graph.node);
  });

  it('reject cycles, double producers and dangling inputs when sorting', () => {
    const cyclic = makeGraph({
      name: 'c',
      nodes: [makeNode('Relu', ['b'], ['a']), makeNode('Relu', ['a'], ['b'])],
      inputs: [],
      outputs: [],
    });
    expectOnnxError(() => topologicalSort(cyclic), 'EF_COMPILE_ONNX_GRAPH');
    const twice = makeGraph({
      name: 't',
      nodes: [makeNode('Relu', ['x'], ['a']), makeNode('Relu', ['x'], ['a'])],
      inputs: [makeTensorValueInfo('x', 'float32')],
      outputs: [],
    });
    expectOnnxError(() => topologicalSort(twice), 'EF_COMPILE_ONNX_GRAPH');
    const dangling = makeGraph({
      name: 'd',
      nodes: [makeNode('Relu', ['ghost'], ['a'])],
      inputs: [],
      outputs: [],
    });
    expectOnnxError(() => topologicalSort(dangling), 'EF_COMPILE_ONNX_GRAPH');
  });

  it('ignore omitted optional inputs ("")', () => {
    const graph = makeGraph({
      name: 'o',
      nodes: [makeNode('Clip', ['x', '', 'max'], ['y'])],
      inputs: [makeTensorValueInfo('x', 'float32')],
      outputs: [],
      initializers: [encodeTensor('max', Float32Array.of(6), [])],
    });
    expect(isTopologicallySorted(graph)).toBe(true);
    expect(topologicalSort(graph)).toHaveLength(1);
  });

  it('read opset versions, with "" and "ai.onnx" as the same domain', () => {
    const other = otherDomainsModel();
    expect(opsetVersion(other)).toBe(17);
    expect(opsetVersion(other, 'ai.onnx')).toBe(17);
    expect(opsetVersion(other, 'ai.onnx.ml')).toBe(3);
    expect(opsetVersion(other, 'com.microsoft')).toBe(1);
    expect(opsetVersion(other, 'org.pytorch.aten')).toBeUndefined();
  });

  it('list model inputs without initializers (IR 3 models list weights as inputs too)', () => {
    const legacy = reshapeModel();
    legacy.graph.input.push(makeTensorValueInfo('shape', 'int64', [2]));
    expect(getModelInputs(legacy).map((v) => v.name)).toEqual(['x']);
  });

  it('generate unique names', () => {
    const names = UniqueNameGenerator.forModel(model);
    expect(names.has('W')).toBe(true);
    expect(names.next('W')).toBe('W_1');
    expect(names.next('W')).toBe('W_2');
    expect(names.next('W_quantized')).toBe('W_quantized');
    expect(names.next('W_quantized')).toBe('W_quantized_1');
    expect(names.next('matmul')).toBe('matmul_1'); // node names are taken too
    names.reserve('q_3');
    expect(new UniqueNameGenerator(['a', 'a_1']).next('a')).toBe('a_2');
  });
});
