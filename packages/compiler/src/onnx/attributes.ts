import { OnnxError } from './onnx-errors.js';
import { AttributeType } from './onnx-schema.js';
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor } from './onnx-types.js';

/**
 * Typed access to node attributes, and builders for them.
 *
 * Getters check the attribute's declared `type` (or, for pre-IR-2 models
 * without one, which value field is present), so a quantizer bug that reads
 * an INTS attribute as INT fails loudly with `EF_COMPILE_ONNX_ATTRIBUTE`
 * instead of silently returning a default.
 */

const TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(AttributeType).map(([name, value]) => [value, name]),
);

const textDecoder = new TextDecoder('utf-8', { fatal: false });
const textEncoder = new TextEncoder();

/** Which field of AttributeProto holds the value, per type; used when `type` is absent (IR version 1 models). */
function inferType(attr: OnnxAttribute): number {
  if (attr.type !== undefined && attr.type !== AttributeType.UNDEFINED) return attr.type;
  if (attr.f !== undefined) return AttributeType.FLOAT;
  if (attr.i !== undefined) return AttributeType.INT;
  if (attr.s !== undefined) return AttributeType.STRING;
  if (attr.t !== undefined) return AttributeType.TENSOR;
  if (attr.g !== undefined) return AttributeType.GRAPH;
  if (attr.sparseTensor !== undefined) return AttributeType.SPARSE_TENSOR;
  if (attr.tp !== undefined) return AttributeType.TYPE_PROTO;
  if (attr.floats.length > 0) return AttributeType.FLOATS;
  if (attr.ints.length > 0) return AttributeType.INTS;
  if (attr.strings.length > 0) return AttributeType.STRINGS;
  if (attr.tensors.length > 0) return AttributeType.TENSORS;
  if (attr.graphs.length > 0) return AttributeType.GRAPHS;
  return AttributeType.UNDEFINED;
}

function nodeLabel(node: OnnxNode): string {
  return `${node.opType ?? '?'} node${node.name ? ` '${node.name}'` : ''}`;
}

/**
 * The attribute `name` of `node`, if any.
 *
 * @example
 * getAttribute(convNode, 'pads')?.ints; // [0n, 0n, 0n, 0n]
 */
export function getAttribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attribute.find((attr) => attr.name === name);
}

/** The attribute, checked to be of `expected` type; undefined when absent. */
function typedAttribute(node: OnnxNode, name: string, expected: number): OnnxAttribute | undefined {
  const attr = getAttribute(node, name);
  if (attr === undefined) return undefined;
  const actual = inferType(attr);
  if (actual !== expected) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_ATTRIBUTE',
      `Attribute '${name}' of ${nodeLabel(node)} is ${TYPE_NAMES[actual] ?? actual}, not ${TYPE_NAMES[expected]}.`,
      {
        node: node.name,
        opType: node.opType,
        attribute: name,
        expected: TYPE_NAMES[expected],
        actual: TYPE_NAMES[actual] ?? actual,
      },
    );
  }
  return attr;
}

function toSafeNumber(value: bigint, node: OnnxNode, name: string): number {
  if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new OnnxError(
      'EF_COMPILE_ONNX_INT64_RANGE',
      `Attribute '${name}' of ${nodeLabel(node)} holds ${value}, beyond a safe JavaScript number; use getAttrInt64/getAttrInt64s.`,
      { node: node.name, attribute: name, value: value.toString() },
    );
  }
  return Number(value);
}

/**
 * An INT attribute as a number (`defaultValue` when absent).
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_ATTRIBUTE` if it is not INT, `EF_COMPILE_ONNX_INT64_RANGE` if unsafe.
 * @example
 * const axis = getAttrInt(node, 'axis', 1);
 */
export function getAttrInt(node: OnnxNode, name: string): number | undefined;
export function getAttrInt(node: OnnxNode, name: string, defaultValue: number): number;
export function getAttrInt(
  node: OnnxNode,
  name: string,
  defaultValue?: number,
): number | undefined {
  const attr = typedAttribute(node, name, AttributeType.INT);
  return attr === undefined ? defaultValue : toSafeNumber(attr.i ?? 0n, node, name);
}

/**
 * An INT attribute as an exact bigint (`defaultValue` when absent).
 *
 * @example
 * getAttrInt64(sliceNode, 'end'); // 9223372036854775807n
 */
export function getAttrInt64(
  node: OnnxNode,
  name: string,
  defaultValue?: bigint,
): bigint | undefined {
  const attr = typedAttribute(node, name, AttributeType.INT);
  return attr === undefined ? defaultValue : (attr.i ?? 0n);
}

/**
 * A FLOAT attribute (`defaultValue` when absent).
 *
 * @example
 * const epsilon = getAttrFloat(bnNode, 'epsilon', 1e-5);
 */
export function getAttrFloat(node: OnnxNode, name: string): number | undefined;
export function getAttrFloat(node: OnnxNode, name: string, defaultValue: number): number;
export function getAttrFloat(
  node: OnnxNode,
  name: string,
  defaultValue?: number,
): number | undefined {
  const attr = typedAttribute(node, name, AttributeType.FLOAT);
  return attr === undefined ? defaultValue : (attr.f ?? 0);
}

/**
 * An INTS attribute as numbers (`defaultValue` when absent).
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_INT64_RANGE` if a value is unsafe (e.g. INT64_MAX); use getAttrInt64s then.
 * @example
 * const strides = getAttrInts(convNode, 'strides', [1, 1]);
 */
export function getAttrInts(node: OnnxNode, name: string): number[] | undefined;
export function getAttrInts(node: OnnxNode, name: string, defaultValue: number[]): number[];
export function getAttrInts(
  node: OnnxNode,
  name: string,
  defaultValue?: number[],
): number[] | undefined {
  const attr = typedAttribute(node, name, AttributeType.INTS);
  return attr === undefined
    ? defaultValue
    : attr.ints.map((value) => toSafeNumber(value, node, name));
}

/**
 * An INTS attribute as exact bigints (`defaultValue` when absent).
 *
 * @example
 * getAttrInt64s(node, 'ends'); // [9223372036854775807n]
 */
export function getAttrInt64s(
  node: OnnxNode,
  name: string,
  defaultValue?: bigint[],
): bigint[] | undefined {
  const attr = typedAttribute(node, name, AttributeType.INTS);
  return attr === undefined ? defaultValue : [...attr.ints];
}

/**
 * A FLOATS attribute (`defaultValue` when absent).
 *
 * @example
 * getAttrFloats(resizeNode, 'scales'); // [1, 1, 2, 2]
 */
export function getAttrFloats(node: OnnxNode, name: string): number[] | undefined;
export function getAttrFloats(node: OnnxNode, name: string, defaultValue: number[]): number[];
export function getAttrFloats(
  node: OnnxNode,
  name: string,
  defaultValue?: number[],
): number[] | undefined {
  const attr = typedAttribute(node, name, AttributeType.FLOATS);
  return attr === undefined ? defaultValue : [...attr.floats];
}

/**
 * A STRING attribute decoded as UTF-8 (`defaultValue` when absent).
 *
 * @example
 * const autoPad = getAttrString(convNode, 'auto_pad', 'NOTSET');
 */
export function getAttrString(node: OnnxNode, name: string): string | undefined;
export function getAttrString(node: OnnxNode, name: string, defaultValue: string): string;
export function getAttrString(
  node: OnnxNode,
  name: string,
  defaultValue?: string,
): string | undefined {
  const attr = typedAttribute(node, name, AttributeType.STRING);
  return attr === undefined ? defaultValue : textDecoder.decode(attr.s ?? new Uint8Array(0));
}

/**
 * A STRINGS attribute decoded as UTF-8 (`defaultValue` when absent).
 *
 * @example
 * getAttrStrings(lstmNode, 'activations', ['Sigmoid', 'Tanh', 'Tanh']);
 */
export function getAttrStrings(node: OnnxNode, name: string): string[] | undefined;
export function getAttrStrings(node: OnnxNode, name: string, defaultValue: string[]): string[];
export function getAttrStrings(
  node: OnnxNode,
  name: string,
  defaultValue?: string[],
): string[] | undefined {
  const attr = typedAttribute(node, name, AttributeType.STRINGS);
  return attr === undefined ? defaultValue : attr.strings.map((bytes) => textDecoder.decode(bytes));
}

/**
 * A TENSOR attribute (e.g. the `value` of a Constant node), or undefined.
 *
 * @example
 * const value = getAttrTensor(constantNode, 'value');
 * if (value) decodeTensor(value).data;
 */
export function getAttrTensor(node: OnnxNode, name: string): OnnxTensor | undefined {
  const attr = typedAttribute(node, name, AttributeType.TENSOR);
  return attr?.t;
}

/**
 * A GRAPH attribute (If branches, Loop/Scan bodies), or undefined.
 *
 * @example
 * const thenBranch = getAttrGraph(ifNode, 'then_branch');
 */
export function getAttrGraph(node: OnnxNode, name: string): OnnxGraph | undefined {
  const attr = typedAttribute(node, name, AttributeType.GRAPH);
  return attr?.g;
}

/**
 * An AttributeProto with only its name and every repeated field empty.
 *
 * @example
 * const attr = { ...emptyAttribute('alpha'), type: AttributeType.FLOAT, f: 0.2 };
 */
export function emptyAttribute(name: string): OnnxAttribute {
  return {
    name,
    floats: [],
    ints: [],
    strings: [],
    tensors: [],
    graphs: [],
    sparseTensors: [],
    typeProtos: [],
  };
}

/**
 * An INT attribute. (Numbers cannot tell 1 from 1.0, hence one builder per type.)
 *
 * @example
 * makeNode('Flatten', ['x'], ['y'], { attributes: [makeAttrInt('axis', 1)] });
 */
export function makeAttrInt(name: string, value: number | bigint): OnnxAttribute {
  return { ...emptyAttribute(name), type: AttributeType.INT, i: BigInt(value) };
}

/**
 * A FLOAT attribute (stored as float32).
 *
 * @example
 * makeAttrFloat('alpha', 0.01);
 */
export function makeAttrFloat(name: string, value: number): OnnxAttribute {
  return { ...emptyAttribute(name), type: AttributeType.FLOAT, f: value };
}

/**
 * An INTS attribute.
 *
 * @example
 * makeAttrInts('kernel_shape', [3, 3]);
 */
export function makeAttrInts(name: string, values: readonly (number | bigint)[]): OnnxAttribute {
  return {
    ...emptyAttribute(name),
    type: AttributeType.INTS,
    ints: values.map((value) => BigInt(value)),
  };
}

/**
 * A FLOATS attribute.
 *
 * @example
 * makeAttrFloats('scales', [1, 1, 2, 2]);
 */
export function makeAttrFloats(name: string, values: readonly number[]): OnnxAttribute {
  return { ...emptyAttribute(name), type: AttributeType.FLOATS, floats: [...values] };
}

/**
 * A STRING attribute (UTF-8 encoded).
 *
 * @example
 * makeAttrString('auto_pad', 'SAME_UPPER');
 */
export function makeAttrString(name: string, value: string): OnnxAttribute {
  return { ...emptyAttribute(name), type: AttributeType.STRING, s: textEncoder.encode(value) };
}

/**
 * A STRINGS attribute (UTF-8 encoded).
 *
 * @example
 * makeAttrStrings('activations', ['Sigmoid', 'Tanh']);
 */
export function makeAttrStrings(name: string, values: readonly string[]): OnnxAttribute {
  return {
    ...emptyAttribute(name),
    type: AttributeType.STRINGS,
    strings: values.map((value) => textEncoder.encode(value)),
  };
}

/**
 * A TENSOR attribute.
 *
 * @example
 * makeNode('Constant', [], ['c'], { attributes: [makeAttrTensor('value', encodeTensor('', new Float32Array([1]), []))] });
 */
export function makeAttrTensor(name: string, tensor: OnnxTensor): OnnxAttribute {
  return { ...emptyAttribute(name), type: AttributeType.TENSOR, t: tensor };
}

/**
 * A GRAPH attribute.
 *
 * @example
 * makeAttrGraph('then_branch', thenGraph);
 */
export function makeAttrGraph(name: string, graph: OnnxGraph): OnnxAttribute {
  return { ...emptyAttribute(name), type: AttributeType.GRAPH, g: graph };
}
