/**
 * The ONNX model read/write layer: a lossless in-memory ONNX protobuf model
 * plus the tensor, graph and shape helpers graph rewrites need.
 */
export { ONNX_ERROR_CODES, OnnxError } from './onnx-errors.js';
export type { OnnxErrorCode } from './onnx-errors.js';
export {
  AttributeType,
  DataLocation,
  ONNX_PROTO_SOURCE,
  TensorDataType,
  onnxMessageType,
} from './onnx-schema.js';
export type * from './onnx-types.js';
export { MAX_ONNX_MODEL_BYTES, readOnnxModel, writeOnnxModel } from './onnx-model.js';
export type { ReadOnnxModelOptions, WriteOnnxModelOptions } from './onnx-model.js';
export { dataTypeOf, elementTypeName } from './data-types.js';
export type { OnnxElementType, OnnxTypedArray } from './data-types.js';
export {
  float16BitsToFloat32,
  float16BitsToFloat32Array,
  float32ArrayToFloat16Bits,
  float32ToFloat16Bits,
} from './float16.js';
export { decodeTensor, elementCount, emptyTensor, encodeTensor, tensorDims } from './tensor.js';
export type { DecodeTensorOptions, DecodedTensor } from './tensor.js';
export {
  emptyAttribute,
  getAttrFloat,
  getAttrFloats,
  getAttrGraph,
  getAttribute,
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
} from './attributes.js';
export {
  makeGraph,
  makeInitializer,
  makeModel,
  makeNode,
  makeTensorValueInfo,
} from './builders.js';
export type { MakeGraphParts, MakeModelOptions, MakeNodeOptions, ShapeDim } from './builders.js';
export {
  UniqueNameGenerator,
  buildConsumerMap,
  buildProducerMap,
  checkTopologicalOrder,
  findInitializer,
  getGraphInputs,
  getModelInputs,
  initializerMap,
  isTopologicallySorted,
  nodeSubgraphs,
  opsetVersion,
  outerScopeReferences,
  topologicalSort,
  visitGraphs,
} from './graph.js';
export type { TopologicalOrderReport } from './graph.js';
export { describeValueInfo, getModelIo, shapeDims } from './shape-info.js';
export type { OnnxDim, OnnxModelIo, OnnxValueKind, OnnxValueSummary } from './shape-info.js';
