import { dataTypeOf } from './data-types.js';
import type { OnnxElementType, OnnxTypedArray } from './data-types.js';
import type {
  OnnxAttribute,
  OnnxDimension,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
} from './onnx-types.js';
import { encodeTensor } from './tensor.js';

/**
 * Builders for new model parts, producing exactly the object shapes
 * `readOnnxModel` returns (every repeated field present), so built and read
 * models compare equal and go through the same writer.
 */

/** A dimension for builders: a fixed size, a symbolic name (dim_param), or null for "unknown". */
export type ShapeDim = number | bigint | string | null;

/** Options of {@link makeNode}. */
export interface MakeNodeOptions {
  name?: string;
  /** Operator set domain; omit (or '') for the default ai.onnx domain. */
  domain?: string;
  attributes?: OnnxAttribute[];
  docString?: string;
}

/**
 * A NodeProto.
 *
 * @example
 * makeNode('Gemm', ['x', 'w', 'b'], ['y'], { name: 'fc', attributes: [makeAttrInt('transB', 1)] });
 */
export function makeNode(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  options: MakeNodeOptions = {},
): OnnxNode {
  const node: OnnxNode = {
    input: [...inputs],
    output: [...outputs],
    opType,
    attribute: options.attributes ? [...options.attributes] : [],
    metadataProps: [],
  };
  if (options.name !== undefined) node.name = options.name;
  if (options.domain !== undefined && options.domain !== '') node.domain = options.domain;
  if (options.docString !== undefined) node.docString = options.docString;
  return node;
}

/**
 * An initializer tensor with raw_data; same as `encodeTensor`.
 *
 * @example
 * makeInitializer('shape', new BigInt64Array([1n, -1n]), [2]);
 */
export function makeInitializer(
  name: string,
  data: OnnxTypedArray,
  dims: readonly (number | bigint)[],
  dataType?: number,
): OnnxTensor {
  return dataType === undefined
    ? encodeTensor(name, data, dims)
    : encodeTensor(name, data, dims, dataType);
}

function makeDimension(dim: ShapeDim): OnnxDimension {
  if (dim === null) return {};
  if (typeof dim === 'string') return { dimParam: dim };
  return { dimValue: BigInt(dim) };
}

/**
 * A ValueInfoProto of tensor type. `shape` undefined/null means unknown rank;
 * a `null` entry means an unknown dimension.
 *
 * @example
 * makeTensorValueInfo('input', 'float32', ['batch', 3, 224, 224]);
 */
export function makeTensorValueInfo(
  name: string,
  elementType: OnnxElementType | number,
  shape?: readonly ShapeDim[] | null,
): OnnxValueInfo {
  const elemType = typeof elementType === 'number' ? elementType : dataTypeOf(elementType);
  const tensorType: NonNullable<NonNullable<OnnxValueInfo['type']>['tensorType']> = { elemType };
  if (shape !== undefined && shape !== null) tensorType.shape = { dim: shape.map(makeDimension) };
  return { name, type: { tensorType }, metadataProps: [] };
}

/** Parts of {@link makeGraph}. */
export interface MakeGraphParts {
  name: string;
  nodes: OnnxNode[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers?: OnnxTensor[];
  valueInfo?: OnnxValueInfo[];
}

/**
 * A GraphProto.
 *
 * @example
 * makeGraph({ name: 'g', nodes: [relu], inputs: [makeTensorValueInfo('x', 'float32', [2])], outputs: [makeTensorValueInfo('y', 'float32', [2])] });
 */
export function makeGraph(parts: MakeGraphParts): OnnxGraph {
  return {
    node: [...parts.nodes],
    name: parts.name,
    initializer: [...(parts.initializers ?? [])],
    sparseInitializer: [],
    input: [...parts.inputs],
    output: [...parts.outputs],
    valueInfo: [...(parts.valueInfo ?? [])],
    quantizationAnnotation: [],
    metadataProps: [],
  };
}

/** Options of {@link makeModel}. */
export interface MakeModelOptions {
  /** Operator sets; default `[{ domain: '', version: 17 }]`. */
  opsetImports?: readonly { domain?: string; version: number | bigint }[];
  /** ONNX IR version; default 8 (the IR of opset 17). */
  irVersion?: number | bigint;
  producerName?: string;
  producerVersion?: string;
}

/**
 * A ModelProto around `graph`.
 *
 * @example
 * const bytes = writeOnnxModel(makeModel(graph, { opsetImports: [{ version: 13 }, { domain: 'com.microsoft', version: 1 }] }));
 */
export function makeModel(graph: OnnxGraph, options: MakeModelOptions = {}): OnnxModel {
  const opsets = options.opsetImports ?? [{ domain: '', version: 17 }];
  return {
    irVersion: BigInt(options.irVersion ?? 8),
    opsetImport: opsets.map((opset) => ({
      domain: opset.domain ?? '',
      version: BigInt(opset.version),
    })),
    producerName: options.producerName ?? 'edgefleet',
    ...(options.producerVersion === undefined ? {} : { producerVersion: options.producerVersion }),
    graph,
    metadataProps: [],
    trainingInfo: [],
    functions: [],
  };
}
