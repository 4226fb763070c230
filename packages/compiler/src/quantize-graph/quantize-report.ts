import { elementCount, tensorDims } from '../onnx/index.js';
import type { OnnxModel, OnnxTensor } from '../onnx/index.js';

/** How a quantized node's weight is stored. */
export type WeightScheme =
  'int8-per-channel-symmetric' | 'int8-per-tensor-symmetric' | 'uint8-per-tensor-asymmetric';

/** A node replaced by its quantized form. */
export interface QuantizedNodeReport {
  name: string;
  opType: string;
  /** The float weight initializer it used. */
  weight: string;
  scheme: WeightScheme;
}

/** A node of a quantizable kind left in float32, and why. */
export interface KeptFp32Report {
  name: string;
  opType: string;
  reason: string;
}

/** What a quantization pass did; byte counts are over all initializers. */
export interface QuantizeReport {
  quantizedNodes: QuantizedNodeReport[];
  keptFp32: KeptFp32Report[];
  weightBytesBefore: number;
  weightBytesAfter: number;
}

/** Bytes per element of the ONNX data types initializers use; others count as 4. */
const BYTES_PER_ELEMENT: Readonly<Record<number, number>> = {
  1: 4, // FLOAT
  2: 1, // UINT8
  3: 1, // INT8
  4: 2, // UINT16
  5: 2, // INT16
  6: 4, // INT32
  7: 8, // INT64
  9: 1, // BOOL
  10: 2, // FLOAT16
  11: 8, // DOUBLE
  12: 4, // UINT32
  13: 8, // UINT64
  16: 2, // BFLOAT16
};

/**
 * Payload bytes of one initializer (element count times element size).
 *
 * @example
 * tensorBytes(makeInitializer('w', new Float32Array(64), [8, 8])); // 256
 */
export function tensorBytes(tensor: OnnxTensor): number {
  return elementCount(tensorDims(tensor)) * (BYTES_PER_ELEMENT[tensor.dataType ?? 1] ?? 4);
}

/**
 * Payload bytes of every initializer of the main graph: what the weights cost on disk and in memory.
 *
 * @example
 * initializerBytes(model); // 17940 for pm-mlp in float32
 */
export function initializerBytes(model: OnnxModel): number {
  return model.graph.initializer.reduce((sum, tensor) => sum + tensorBytes(tensor), 0);
}
