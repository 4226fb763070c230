import type { Quantization } from '@edgefleet/protocol';
import { convertToFloat16 } from '../fp16/index.js';
import type { OnnxModel } from '../onnx/index.js';
import { CompilerError } from '../errors.js';
import type { CompileOptions } from './compile-options.js';

/** A model the compiler may ship, with what was done to it. */
export interface ModelCandidate {
  readonly model: OnnxModel;
  readonly quantization: Quantization;
  /** Human-readable notes for the report (layers kept in fp32 and why, counts). */
  readonly notes: readonly string[];
}

/**
 * Turns the simplified fp32 model into the candidate for `--quantize`. Modes whose graph
 * rewrite is not in this build are refused with EF_COMPILE_QUANT_MODE rather than silently
 * shipping fp32 under another name.
 */
export async function makeCandidate(
  simplified: OnnxModel,
  opts: CompileOptions,
): Promise<ModelCandidate> {
  switch (opts.quantize) {
    case 'none':
      return { model: simplified, quantization: { mode: 'none' }, notes: [] };
    case 'fp16': {
      const { model, report } = convertToFloat16(simplified);
      const notes = [
        `${report.convertedInitializers} initializers converted to float16`,
        ...report.keptFp32Nodes.map(
          (n) => `kept fp32: ${n.name || n.opType} (${n.opType}, ${n.reason})`,
        ),
      ];
      if (report.clampedValues > 0) notes.push(`${report.clampedValues} weights clamped to ±65504`);
      if (report.flushedValues > 0)
        notes.push(`${report.flushedValues} tiny weights flushed to zero`);
      return { model, quantization: { mode: 'fp16', weightType: 'float16' }, notes };
    }
    default:
      throw new CompilerError(
        'EF_COMPILE_QUANT_MODE',
        `--quantize ${opts.quantize} is not available in this build yet; use none or fp16`,
        { mode: opts.quantize },
      );
  }
}
