import { elementTypeName } from './data-types.js';
import type { OnnxElementType } from './data-types.js';
import { getGraphInputs } from './graph.js';
import { OnnxError } from './onnx-errors.js';
import type { OnnxModel, OnnxTensorShape, OnnxTypeProto, OnnxValueInfo } from './onnx-types.js';

/**
 * Input/output descriptions for the bundle manifest: names, element types by
 * short name, and shapes with symbolic dimensions kept.
 */

/** One dimension: a fixed size, a symbolic name (dim_param, e.g. 'batch'), or null when unknown. */
export type OnnxDim = number | string | null;

/** What kind of value a ValueInfo describes (TypeProto's oneof). */
export type OnnxValueKind =
  'tensor' | 'sparse_tensor' | 'sequence' | 'map' | 'optional' | 'opaque' | 'unknown';

/** A graph input or output, summarized. */
export interface OnnxValueSummary {
  name: string;
  kind: OnnxValueKind;
  /** Element type for tensor and sparse tensor values; null for other kinds or when not declared. */
  elementType: OnnxElementType | null;
  /** Dimensions, or null when the rank is unknown (no shape declared) or the value is not a tensor. */
  shape: OnnxDim[] | null;
}

/** Model inputs (initializers excluded) and outputs. */
export interface OnnxModelIo {
  inputs: OnnxValueSummary[];
  outputs: OnnxValueSummary[];
}

function valueKind(type: OnnxTypeProto | undefined): OnnxValueKind {
  if (type === undefined) return 'unknown';
  if (type.tensorType !== undefined) return 'tensor';
  if (type.sparseTensorType !== undefined) return 'sparse_tensor';
  if (type.sequenceType !== undefined) return 'sequence';
  if (type.mapType !== undefined) return 'map';
  if (type.optionalType !== undefined) return 'optional';
  if (type.opaqueType !== undefined) return 'opaque';
  return 'unknown';
}

/**
 * Shape dims as numbers, names or null.
 *
 * @throws {OnnxError} `EF_COMPILE_ONNX_INT64_RANGE` when a dim_value exceeds 2^53 - 1.
 * @example
 * shapeDims({ dim: [{ dimParam: 'batch' }, { dimValue: 3n }, {}] }); // ['batch', 3, null]
 */
export function shapeDims(shape: OnnxTensorShape): OnnxDim[] {
  return shape.dim.map((dim) => {
    if (dim.dimValue !== undefined) {
      if (
        dim.dimValue > BigInt(Number.MAX_SAFE_INTEGER) ||
        dim.dimValue < BigInt(Number.MIN_SAFE_INTEGER)
      ) {
        throw new OnnxError(
          'EF_COMPILE_ONNX_INT64_RANGE',
          `Dimension ${dim.dimValue} does not fit a JavaScript number.`,
          {
            dimValue: dim.dimValue.toString(),
          },
        );
      }
      return Number(dim.dimValue);
    }
    if (dim.dimParam !== undefined && dim.dimParam !== '') return dim.dimParam;
    return null;
  });
}

/**
 * Summarizes one ValueInfo (name, kind, element type, shape).
 *
 * @example
 * describeValueInfo(model.graph.input[0]!); // { name: 'input', kind: 'tensor', elementType: 'float32', shape: ['batch', 4] }
 */
export function describeValueInfo(value: OnnxValueInfo): OnnxValueSummary {
  const kind = valueKind(value.type);
  const tensorType = value.type?.tensorType ?? value.type?.sparseTensorType;
  const elemType = tensorType?.elemType;
  return {
    name: value.name ?? '',
    kind,
    elementType: elemType === undefined || elemType === 0 ? null : elementTypeName(elemType),
    shape: tensorType?.shape === undefined ? null : shapeDims(tensorType.shape),
  };
}

/**
 * The model's inputs (initializers excluded) and outputs, for the manifest.
 *
 * @example
 * const io = getModelIo(readOnnxModel(bytes));
 * io.inputs; // [{ name: 'input', kind: 'tensor', elementType: 'float32', shape: ['batch', 4] }]
 */
export function getModelIo(model: OnnxModel): OnnxModelIo {
  return {
    inputs: getGraphInputs(model.graph).map(describeValueInfo),
    outputs: model.graph.output.map(describeValueInfo),
  };
}
