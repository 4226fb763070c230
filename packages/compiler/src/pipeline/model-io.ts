import { getModelIo } from '../onnx/index.js';
import type { OnnxModel } from '../onnx/index.js';
import type { TensorSpec } from '@edgefleet/protocol';
import { TENSOR_DTYPES } from '@edgefleet/protocol';
import { CompilerError } from '../errors.js';

export interface OnnxValueSummary {
  readonly name: string;
  readonly elementType: string | null;
  readonly shape: ReadonlyArray<number | string | null> | null;
}

/** The model's inputs and outputs as the manifest lists them. */
export function manifestTensors(model: OnnxModel): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  const io = getModelIo(model);
  const convert = (v: OnnxValueSummary, where: string): TensorSpec => {
    const dtype = v.elementType ?? '';
    if (!(TENSOR_DTYPES as readonly string[]).includes(dtype)) {
      throw new CompilerError(
        'EF_COMPILE_MODEL_IO',
        `${where} '${v.name}' has element type ${dtype || 'unknown'}, which bundles do not carry`,
      );
    }
    return { name: v.name, dtype: dtype as TensorSpec['dtype'], shape: [...(v.shape ?? [])] };
  };
  return {
    inputs: io.inputs.map((v) => convert(v, 'input')),
    outputs: io.outputs.map((v) => convert(v, 'output')),
  };
}

/**
 * The single float32 input and the first output that compile() supports today; several inputs
 * (issue: functional TF.js models) come later and are refused with a clear code until then.
 */
export function singleInputOutput(model: OnnxModel): {
  input: OnnxValueSummary;
  output: OnnxValueSummary;
} {
  const io = getModelIo(model);
  if (io.inputs.length !== 1) {
    throw new CompilerError(
      'EF_COMPILE_MODEL_IO',
      `the model has ${io.inputs.length} inputs (${io.inputs.map((i) => i.name).join(', ')}); compile supports models with exactly one input`,
    );
  }
  const input = io.inputs[0] as OnnxValueSummary;
  if (input.elementType !== 'float32') {
    throw new CompilerError(
      'EF_COMPILE_MODEL_IO',
      `the model input '${input.name}' is ${input.elementType ?? 'untyped'}; compile supports float32 inputs`,
    );
  }
  const output = io.outputs[0];
  if (output === undefined)
    throw new CompilerError('EF_COMPILE_MODEL_IO', 'the model has no outputs');
  return { input, output };
}
