import { TensorDataType, getAttrInt } from '../onnx/index.js';
import type { OnnxGraph } from '../onnx/index.js';

/** Ops whose (first) output is float when their first input is: enough for CNN/MLP graphs. */
const FLOAT_PRESERVING = new Set([
  'Conv',
  'MatMul',
  'Gemm',
  'Relu',
  'LeakyRelu',
  'Clip',
  'Sigmoid',
  'Tanh',
  'Softmax',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Flatten',
  'Reshape',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'BatchNormalization',
  'Concat',
  'Identity',
  'Pad',
  'Resize',
  'ReduceMean',
  'Exp',
  'Sqrt',
  'Pow',
  'Erf',
  'HardSigmoid',
  'HardSwish',
]);

/**
 * Names of the float32 tensors of `graph`: float inputs and initializers, declared float
 * value_info, `Cast(to=FLOAT)` outputs, and outputs of float-preserving ops fed a float tensor.
 * Only these may get QuantizeLinear/DequantizeLinear: quantizing an int64 shape tensor (Reshape's
 * second input, a Shape -> Gather chain) would break the model, so unknown ops count as not float.
 *
 * @example
 * floatTensors(model.graph).has('/1/Relu_output_0'); // true
 */
export function floatTensors(graph: OnnxGraph): Set<string> {
  const floats = new Set<string>();
  for (const value of [...graph.input, ...graph.valueInfo, ...graph.output]) {
    if (value.type?.tensorType?.elemType === TensorDataType.FLOAT) floats.add(value.name ?? '');
  }
  for (const tensor of graph.initializer) {
    if (tensor.dataType === TensorDataType.FLOAT) floats.add(tensor.name ?? '');
  }
  for (const node of graph.node) {
    const out = node.output[0];
    if (out === undefined || out === '') continue;
    const isDefault = node.domain === undefined || node.domain === '' || node.domain === 'ai.onnx';
    if (!isDefault) continue;
    if (node.opType === 'Cast' && getAttrInt(node, 'to', 0) === TensorDataType.FLOAT)
      floats.add(out);
    else if (FLOAT_PRESERVING.has(node.opType ?? '') && floats.has(node.input[0] ?? ''))
      floats.add(out);
  }
  return floats;
}
