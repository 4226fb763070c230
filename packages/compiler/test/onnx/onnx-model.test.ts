import { describe, expect, it } from 'vitest';

import {
  emptyAttribute,
  makeAttrGraph,
  makeAttrInt,
  makeAttrInts,
} from '../../src/onnx/attributes.js';
import { makeGraph, makeModel, makeNode, makeTensorValueInfo } from '../../src/onnx/builders.js';
import { OnnxError } from '../../src/onnx/onnx-errors.js';
import { readOnnxModel, writeOnnxModel } from '../../src/onnx/onnx-model.js';
import { onnxMessageType } from '../../src/onnx/onnx-schema.js';
import type { OnnxModel } from '../../src/onnx/onnx-types.js';
import { emptyTensor, encodeTensor } from '../../src/onnx/tensor.js';
import { captureOnnxError, expectOnnxError, seededRandom } from './helpers.js';
import {
  convModel,
  float16CastModel,
  gemmModel,
  matMulAddReluModel,
  otherDomainsModel,
  reshapeModel,
} from './models.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A model exercising int64 extremes in every int64-bearing field kind. */
function int64ExtremesModel(): OnnxModel {
  const model = reshapeModel();
  const tensor = emptyTensor('extremes');
  tensor.dataType = 7;
  tensor.dims = [3n];
  tensor.int64Data = [INT64_MIN, INT64_MAX, -1n];
  const unsignedTensor = emptyTensor('unsigned');
  unsignedTensor.dataType = 13;
  unsignedTensor.dims = [2n];
  unsignedTensor.uint64Data = [UINT64_MAX, 2n ** 53n + 1n];
  model.graph.initializer.push(tensor, unsignedTensor);
  model.graph.node.push(
    makeNode('Slice', ['x', 'starts', 'ends'], ['s'], {
      attributes: [
        makeAttrInts('axes', [INT64_MAX, INT64_MIN]),
        makeAttrInt('big', 2n ** 53n + 1n),
      ],
    }),
  );
  model.modelVersion = INT64_MAX;
  return model;
}

/** varint encoding, for hand-made protobuf bytes. */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function lengthDelimited(field: number, payload: readonly number[]): number[] {
  return [...varint((field << 3) | 2), ...varint(payload.length), ...payload];
}

describe('readOnnxModel / writeOnnxModel round trip', () => {
  it.each([
    ['MatMul+Add+Relu', matMulAddReluModel],
    ['Gemm', gemmModel],
    ['Conv', convModel],
    ['Reshape (int64 shape)', reshapeModel],
    ['float16 Cast', float16CastModel],
    ['ai.onnx.ml + com.microsoft', otherDomainsModel],
    ['int64 extremes', int64ExtremesModel],
  ])('%s: built == read(write(built)) and re-encoding is byte-identical', (_name, build) => {
    const built = build();
    const bytes = writeOnnxModel(built);
    const read = readOnnxModel(bytes);
    expect(read).toEqual(built);
    const again = writeOnnxModel(read);
    expect(again).toEqual(bytes);
    expect(readOnnxModel(again)).toEqual(read);
  });

  it('keeps int64 values exact (no Number rounding)', () => {
    const read = readOnnxModel(writeOnnxModel(int64ExtremesModel()));
    const extremes = read.graph.initializer.find((t) => t.name === 'extremes');
    expect(extremes?.int64Data).toEqual([INT64_MIN, INT64_MAX, -1n]);
    expect(read.graph.initializer.find((t) => t.name === 'unsigned')?.uint64Data).toEqual([
      UINT64_MAX,
      2n ** 53n + 1n,
    ]);
    const slice = read.graph.node.find((n) => n.opType === 'Slice');
    expect(slice?.attribute[0]?.ints).toEqual([INT64_MAX, INT64_MIN]);
    expect(slice?.attribute[1]?.i).toBe(2n ** 53n + 1n);
    expect(read.modelVersion).toBe(INT64_MAX);
  });

  it('keeps proto2 presence: an explicit default differs from an absent field', () => {
    const model = reshapeModel();
    const node = model.graph.node[0];
    if (node === undefined) throw new Error('no node');
    node.domain = ''; // explicit empty domain, as some exporters write it
    node.docString = '';
    const bytes = writeOnnxModel(model);
    expect(bytes.length).toBe(writeOnnxModel(reshapeModel()).length + 4); // two empty strings: tag + 0 length each
    const read = readOnnxModel(bytes);
    expect(Object.prototype.hasOwnProperty.call(read.graph.node[0], 'domain')).toBe(true);
    expect(read.graph.node[0]?.domain).toBe('');
    expect('overload' in (read.graph.node[0] ?? {})).toBe(false);
    expect(writeOnnxModel(read)).toEqual(bytes);
  });

  it('preserves unknown fields at the top level and inside nested messages', () => {
    const base = writeOnnxModel(matMulAddReluModel());
    // Append field 99 (varint 42) and field 100 (bytes 'hi') to the ModelProto.
    const extra = [...varint((99 << 3) | 0), 42, ...lengthDelimited(100, [0x68, 0x69])];
    const bytes = Uint8Array.from([...base, ...extra]);
    const read = readOnnxModel(bytes);
    expect(read.$unknowns).toEqual([
      Uint8Array.from(extra.slice(0, 3)),
      Uint8Array.from(extra.slice(3)),
    ]);
    expect(writeOnnxModel(read)).toEqual(bytes);

    // Nested: a tensor and a dimension with unknown fields survive a write/read cycle.
    const model = matMulAddReluModel();
    const weight = model.graph.initializer[0];
    const dim = model.graph.input[0]?.type?.tensorType?.shape?.dim[0];
    if (weight === undefined || dim === undefined) throw new Error('fixture changed');
    weight.$unknowns = [Uint8Array.from(lengthDelimited(77, [1, 2, 3]))];
    dim.$unknowns = [Uint8Array.from([...varint((50 << 3) | 5), 0, 0, 0x80, 0x3f])]; // fixed32 field
    const reread = readOnnxModel(writeOnnxModel(model));
    expect(reread).toEqual(model);
  });

  it('keeps a field sent with the wrong wire type as an unknown field instead of misreading it', () => {
    const base = writeOnnxModel(reshapeModel());
    // Field 5 (model_version, a varint) sent length-delimited.
    const wrong = lengthDelimited(5, [1, 2]);
    const read = readOnnxModel(Uint8Array.from([...base, ...wrong]));
    expect(read.modelVersion).toBeUndefined();
    expect(read.$unknowns).toEqual([Uint8Array.from(wrong)]);
  });

  it('decodes fields that newer ONNX versions added (metadata_props, overload)', () => {
    const model = otherDomainsModel();
    const node = model.graph.node[0];
    if (node === undefined) throw new Error('no node');
    node.metadataProps.push({ key: 'origin', value: 'sklearn' });
    node.overload = 'v2';
    model.graph.metadataProps.push({ key: 'k', value: 'v' });
    model.metadataProps.push({ key: 'author', value: 'edgefleet' });
    expect(readOnnxModel(writeOnnxModel(model))).toEqual(model);
  });

  it('round-trips subgraphs (If branches) and model functions', () => {
    const branch = (value: number): ReturnType<typeof makeGraph> =>
      makeGraph({
        name: `branch_${value}`,
        nodes: [makeNode('Identity', ['x'], [`out_${value}`])],
        inputs: [],
        outputs: [makeTensorValueInfo(`out_${value}`, 'float32', [1])],
      });
    const graph = makeGraph({
      name: 'with_if',
      nodes: [
        makeNode('If', ['cond'], ['y'], {
          attributes: [
            makeAttrGraph('then_branch', branch(1)),
            makeAttrGraph('else_branch', branch(2)),
          ],
        }),
      ],
      inputs: [makeTensorValueInfo('cond', 'bool', []), makeTensorValueInfo('x', 'float32', [1])],
      outputs: [makeTensorValueInfo('y', 'float32', [1])],
    });
    const model = makeModel(graph);
    model.functions.push({
      name: 'MyFn',
      domain: 'custom',
      input: ['a'],
      output: ['b'],
      attribute: [],
      attributeProto: [{ ...emptyAttribute('alpha'), type: 1, f: 0.5 }],
      node: [makeNode('Relu', ['a'], ['b'])],
      opsetImport: [{ domain: '', version: 17n }],
      valueInfo: [],
      metadataProps: [],
    });
    const bytes = writeOnnxModel(model);
    expect(readOnnxModel(bytes)).toEqual(model);
    expect(writeOnnxModel(readOnnxModel(bytes))).toEqual(bytes);
  });

  it('writes a large model (MBs of weights) in one allocation, byte-identical on re-encode', () => {
    const model = convModel();
    model.graph.initializer.push(
      encodeTensor('big', new Float32Array(300_000).fill(0.5), [300_000]),
    );
    const bytes = writeOnnxModel(model);
    expect(bytes.byteLength).toBeGreaterThan(1_200_000);
    expect(bytes.buffer.byteLength).toBeLessThan(2 * bytes.byteLength); // no mostly-empty backing store
    const read = readOnnxModel(bytes);
    expect(read).toEqual(model);
    expect(writeOnnxModel(read)).toEqual(bytes);
  });

  it('does not alias the input buffer', () => {
    const bytes = writeOnnxModel(reshapeModel());
    const copy = bytes.slice();
    const model = readOnnxModel(copy);
    copy.fill(0);
    expect(writeOnnxModel(model)).toEqual(bytes);
  });

  it('accepts a Buffer as input', () => {
    const bytes = writeOnnxModel(gemmModel());
    expect(readOnnxModel(Buffer.from(bytes))).toEqual(readOnnxModel(bytes));
  });
});

describe('rejects malformed input', () => {
  const valid = writeOnnxModel(convModel());

  it('an empty buffer', () => {
    expectOnnxError(() => readOnnxModel(new Uint8Array(0)), 'EF_COMPILE_ONNX_EMPTY');
  });

  it('a non-buffer argument', () => {
    expectOnnxError(
      () => readOnnxModel('model.onnx' as unknown as Uint8Array),
      'EF_COMPILE_ONNX_PARSE',
    );
  });

  it('input over the size cap', () => {
    const err = expectOnnxError(
      () => readOnnxModel(valid, { maxBytes: valid.length - 1 }),
      'EF_COMPILE_ONNX_TOO_LARGE',
    );
    expect(err.details).toMatchObject({ byteLength: valid.length, maxBytes: valid.length - 1 });
    expect(readOnnxModel(valid, { maxBytes: valid.length }).graph.name).toBe('conv');
  });

  it('an absurd length prefix (2 GiB graph in a 6-byte file)', () => {
    expectOnnxError(
      () => readOnnxModel(Uint8Array.from([0x3a, 0xff, 0xff, 0xff, 0xff, 0x07])),
      'EF_COMPILE_ONNX_TRUNCATED',
    );
  });

  it('model bytes truncated at several cut points', () => {
    for (const cut of [valid.length - 1, valid.length - 7, Math.floor(valid.length / 2), 40]) {
      const err = expectOnnxError(
        () => readOnnxModel(valid.subarray(0, cut)),
        'EF_COMPILE_ONNX_TRUNCATED',
      );
      expect(err.message).toMatch(/truncated/);
    }
  });

  it('every strict prefix of a model', () => {
    const codes = new Set<string>();
    for (let cut = 1; cut < valid.length; cut++)
      codes.add(captureOnnxError(() => readOnnxModel(valid.subarray(0, cut))).code);
    expect([...codes].sort()).toEqual(['EF_COMPILE_ONNX_NOT_A_MODEL', 'EF_COMPILE_ONNX_TRUNCATED']);
  });

  it('an invalid wire type', () => {
    expectOnnxError(() => readOnnxModel(Uint8Array.from([0x0f, 0x01])), 'EF_COMPILE_ONNX_PARSE');
  });

  it('a malformed varint', () => {
    expectOnnxError(() => readOnnxModel(new Uint8Array(12).fill(0xff)), 'EF_COMPILE_ONNX_PARSE');
  });

  it('random bytes (seeded), always as an OnnxError', () => {
    const allowed = new Set([
      'EF_COMPILE_ONNX_PARSE',
      'EF_COMPILE_ONNX_TRUNCATED',
      'EF_COMPILE_ONNX_NOT_A_MODEL',
    ]);
    const next = seededRandom(42);
    for (let i = 0; i < 300; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(next() * 512) }, () =>
        Math.floor(next() * 256),
      );
      const err = captureOnnxError(() => readOnnxModel(bytes));
      expect(allowed.has(err.code)).toBe(true);
    }
  });

  it('a valid protobuf of another message (NodeProto, GraphProto, TensorProto)', () => {
    const nodeType = onnxMessageType('NodeProto');
    const nodeBytes = nodeType
      .encode(nodeType.fromObject({ input: ['a', 'b'], output: ['c'], opType: 'Add', name: 'add' }))
      .finish();
    expectOnnxError(() => readOnnxModel(nodeBytes), 'EF_COMPILE_ONNX_NOT_A_MODEL');
    // A bare GraphProto (a common mix-up) has no ir_version: its fields land on unrelated ModelProto numbers.
    const graphType = onnxMessageType('GraphProto');
    const graphBytes = graphType
      .encode(
        graphType.fromObject({
          name: 'g',
          node: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
        }),
      )
      .finish();
    expectOnnxError(() => readOnnxModel(graphBytes), 'EF_COMPILE_ONNX_NOT_A_MODEL');
    // A TensorProto's name (field 8) lands on opset_import, a nested message, whose bytes 't' are not protobuf.
    const tensorType = onnxMessageType('TensorProto');
    const tensorBytes = tensorType
      .encode(tensorType.fromObject({ dims: [2], dataType: 1, floatData: [1, 2], name: 't' }))
      .finish();
    expectOnnxError(() => readOnnxModel(tensorBytes), 'EF_COMPILE_ONNX_PARSE');
  });

  it('a ModelProto without a graph, or without opset_import', () => {
    const model = reshapeModel();
    const irOnly = Uint8Array.from([0x08, 0x08]); // ir_version 8 and nothing else
    expect(captureOnnxError(() => readOnnxModel(irOnly)).message).toMatch(/graph/);
    const withoutOpsets = { ...model, opsetImport: [] };
    expect(captureOnnxError(() => readOnnxModel(writeOnnxModel(withoutOpsets))).code).toBe(
      'EF_COMPILE_ONNX_NOT_A_MODEL',
    );
    const absurdIr = { ...model, irVersion: 123456789n };
    expect(captureOnnxError(() => readOnnxModel(writeOnnxModel(absurdIr))).code).toBe(
      'EF_COMPILE_ONNX_NOT_A_MODEL',
    );
  });

  it('nesting deeper than the protobuf recursion limit', () => {
    let graph: number[] = [];
    for (let level = 0; level < 40; level++) {
      const attribute = lengthDelimited(6, graph); // AttributeProto.g
      const node = lengthDelimited(5, attribute); // NodeProto.attribute
      graph = lengthDelimited(1, node); // GraphProto.node
    }
    const bytes = Uint8Array.from([
      0x08,
      0x08,
      ...lengthDelimited(7, graph),
      ...lengthDelimited(8, [0x10, 0x11]),
    ]);
    const err = expectOnnxError(() => readOnnxModel(bytes), 'EF_COMPILE_ONNX_PARSE');
    expect(err.message).toMatch(/depth/);
  });

  it('never leaks a raw exception', () => {
    const err = captureOnnxError(() => readOnnxModel(valid.subarray(0, 100)));
    expect(err).toBeInstanceOf(OnnxError);
    expect(err.name).toBe('OnnxError');
    expect(err.toJSON().code).toBe(err.code);
  });
});

describe('writeOnnxModel rejects models it cannot encode', () => {
  it('a missing graph', () => {
    const model = { ...reshapeModel(), graph: undefined } as unknown as OnnxModel;
    expectOnnxError(() => writeOnnxModel(model), 'EF_COMPILE_ONNX_ENCODE');
  });

  it('a non-integer or out-of-range int64', () => {
    const fractional = { ...reshapeModel(), irVersion: 1.5 as unknown as bigint };
    expect(
      expectOnnxError(() => writeOnnxModel(fractional), 'EF_COMPILE_ONNX_ENCODE').message,
    ).toMatch(/model\.irVersion/);
    const model = reshapeModel();
    model.graph.initializer[0]?.dims.push(2n ** 63n);
    expect(
      expectOnnxError(() => writeOnnxModel(model), 'EF_COMPILE_ONNX_ENCODE').details?.path,
    ).toBe('model.graph.initializer[0].dims[1]');
  });

  it('wrong JavaScript types', () => {
    const model = reshapeModel();
    (model.graph.node[0] as unknown as { input: unknown }).input = 'x';
    expectOnnxError(() => writeOnnxModel(model), 'EF_COMPILE_ONNX_ENCODE');
    const model2 = reshapeModel();
    (model2.graph.initializer[0] as unknown as { rawData: unknown }).rawData = [1, 2];
    expectOnnxError(() => writeOnnxModel(model2), 'EF_COMPILE_ONNX_ENCODE');
  });

  it('a cyclic object (too deep)', () => {
    const model = reshapeModel();
    const attr = makeAttrGraph('body', model.graph);
    model.graph.node[0]?.attribute.push(attr); // the graph now contains itself
    expectOnnxError(() => writeOnnxModel(model), 'EF_COMPILE_ONNX_ENCODE');
  });

  it('output over the size cap', () => {
    const model = convModel();
    expectOnnxError(() => writeOnnxModel(model, { maxBytes: 100 }), 'EF_COMPILE_ONNX_TOO_LARGE');
  });
});
