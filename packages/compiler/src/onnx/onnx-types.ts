/**
 * The in-memory ONNX model: plain objects mirroring `onnx.proto` one to one,
 * so that nothing is lost between read and write.
 *
 * Conventions (they make the round trip lossless):
 * - field names are the proto names in camelCase (`raw_data` -> `rawData`);
 * - `optional` scalars are present only when they were on the wire (proto2
 *   presence), so "absent" and "explicitly default" are kept apart;
 * - repeated fields are always arrays (possibly empty);
 * - every int64/uint64 is a `bigint` (never a lossy `number`);
 * - `bytes` are `Uint8Array`s (possibly views into one private copy of the input:
 *   copy before making typed views, their offset may be unaligned);
 * - enum fields (`AttributeProto.type`, `TensorProto.data_location`) and
 *   `data_type`/`elem_type` are plain numbers, see `TensorDataType`, `AttributeType`;
 * - fields this schema does not know are kept verbatim in `$unknowns`
 *   (complete wire records, tag included) and re-emitted after the known fields.
 */

/** Fields every message may carry that the embedded schema does not define. */
export interface OnnxUnknownFields {
  /** Wire records (tag + payload) of fields unknown to the schema, in input order. */
  $unknowns?: Uint8Array[];
}

/** `StringStringEntryProto`. */
export interface OnnxStringStringEntry extends OnnxUnknownFields {
  key?: string;
  value?: string;
}

/** `OperatorSetIdProto`; `domain` '' or absent means the default `ai.onnx` domain. */
export interface OnnxOperatorSetId extends OnnxUnknownFields {
  domain?: string;
  version?: bigint;
}

/** `TensorProto.Segment`. */
export interface OnnxTensorSegment extends OnnxUnknownFields {
  begin?: bigint;
  end?: bigint;
}

/** `TensorProto`. */
export interface OnnxTensor extends OnnxUnknownFields {
  dims: bigint[];
  dataType?: number;
  segment?: OnnxTensorSegment;
  floatData: number[];
  int32Data: number[];
  stringData: Uint8Array[];
  int64Data: bigint[];
  name?: string;
  docString?: string;
  rawData?: Uint8Array;
  externalData: OnnxStringStringEntry[];
  dataLocation?: number;
  doubleData: number[];
  uint64Data: bigint[];
  metadataProps: OnnxStringStringEntry[];
}

/** `SparseTensorProto`. */
export interface OnnxSparseTensor extends OnnxUnknownFields {
  values?: OnnxTensor;
  indices?: OnnxTensor;
  dims: bigint[];
}

/** `TensorShapeProto.Dimension`: at most one of `dimValue`/`dimParam`. */
export interface OnnxDimension extends OnnxUnknownFields {
  dimValue?: bigint;
  dimParam?: string;
  denotation?: string;
}

/** `TensorShapeProto`. */
export interface OnnxTensorShape extends OnnxUnknownFields {
  dim: OnnxDimension[];
}

/** `TypeProto.Tensor` and `TypeProto.SparseTensor`. */
export interface OnnxTensorTypeProto extends OnnxUnknownFields {
  elemType?: number;
  shape?: OnnxTensorShape;
}

/** `TypeProto.Sequence` and `TypeProto.Optional`. */
export interface OnnxElementTypeProto extends OnnxUnknownFields {
  elemType?: OnnxTypeProto;
}

/** `TypeProto.Map`. */
export interface OnnxMapTypeProto extends OnnxUnknownFields {
  keyType?: number;
  valueType?: OnnxTypeProto;
}

/** `TypeProto.Opaque`. */
export interface OnnxOpaqueTypeProto extends OnnxUnknownFields {
  domain?: string;
  name?: string;
}

/** `TypeProto`: at most one of the `*Type` members is set. */
export interface OnnxTypeProto extends OnnxUnknownFields {
  tensorType?: OnnxTensorTypeProto;
  sequenceType?: OnnxElementTypeProto;
  mapType?: OnnxMapTypeProto;
  optionalType?: OnnxElementTypeProto;
  sparseTensorType?: OnnxTensorTypeProto;
  opaqueType?: OnnxOpaqueTypeProto;
  denotation?: string;
}

/** `ValueInfoProto`. */
export interface OnnxValueInfo extends OnnxUnknownFields {
  name?: string;
  type?: OnnxTypeProto;
  docString?: string;
  metadataProps: OnnxStringStringEntry[];
}

/** `AttributeProto`; `type` is an `AttributeType` number. */
export interface OnnxAttribute extends OnnxUnknownFields {
  name?: string;
  refAttrName?: string;
  docString?: string;
  type?: number;
  f?: number;
  i?: bigint;
  s?: Uint8Array;
  t?: OnnxTensor;
  g?: OnnxGraph;
  sparseTensor?: OnnxSparseTensor;
  tp?: OnnxTypeProto;
  floats: number[];
  ints: bigint[];
  strings: Uint8Array[];
  tensors: OnnxTensor[];
  graphs: OnnxGraph[];
  sparseTensors: OnnxSparseTensor[];
  typeProtos: OnnxTypeProto[];
}

/** `NodeProto`. `domain` '' or absent means `ai.onnx`. */
export interface OnnxNode extends OnnxUnknownFields {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  domain?: string;
  overload?: string;
  attribute: OnnxAttribute[];
  docString?: string;
  metadataProps: OnnxStringStringEntry[];
}

/** `TensorAnnotation`. */
export interface OnnxTensorAnnotation extends OnnxUnknownFields {
  tensorName?: string;
  quantParameterTensorNames: OnnxStringStringEntry[];
}

/** `GraphProto`. */
export interface OnnxGraph extends OnnxUnknownFields {
  node: OnnxNode[];
  name?: string;
  initializer: OnnxTensor[];
  sparseInitializer: OnnxSparseTensor[];
  docString?: string;
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
  quantizationAnnotation: OnnxTensorAnnotation[];
  metadataProps: OnnxStringStringEntry[];
}

/** `TrainingInfoProto`. */
export interface OnnxTrainingInfo extends OnnxUnknownFields {
  initialization?: OnnxGraph;
  algorithm?: OnnxGraph;
  initializationBinding: OnnxStringStringEntry[];
  updateBinding: OnnxStringStringEntry[];
}

/** `FunctionProto`. */
export interface OnnxFunction extends OnnxUnknownFields {
  name?: string;
  input: string[];
  output: string[];
  attribute: string[];
  attributeProto: OnnxAttribute[];
  node: OnnxNode[];
  docString?: string;
  opsetImport: OnnxOperatorSetId[];
  domain?: string;
  overload?: string;
  valueInfo: OnnxValueInfo[];
  metadataProps: OnnxStringStringEntry[];
}

/**
 * `ModelProto`. `graph` is required here: {@link readOnnxModel} rejects
 * protobufs without one, and a model without a graph cannot be run.
 */
export interface OnnxModel extends OnnxUnknownFields {
  irVersion?: bigint;
  opsetImport: OnnxOperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: bigint;
  docString?: string;
  graph: OnnxGraph;
  metadataProps: OnnxStringStringEntry[];
  trainingInfo: OnnxTrainingInfo[];
  functions: OnnxFunction[];
}
