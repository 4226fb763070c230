import type { Quantization } from '@edgefleet/protocol';
import { convertToFloat16 } from '../fp16/index.js';
import type { OnnxModel } from '../onnx/index.js';
import { quantizeDynamic, quantizeStatic } from '../quantize-graph/index.js';
import type { CalibrationSource, QuantizeReport } from '../quantize-graph/index.js';
import type { CompileOptions, QuantizeMode } from './compile-options.js';

/** A model the compiler may ship, with what was done to it. */
export interface ModelCandidate {
  /** The concrete mode (never 'auto'). */
  readonly mode: Exclude<QuantizeMode, 'auto'>;
  readonly model: OnnxModel;
  readonly quantization: Quantization;
  /** Human-readable notes for the report (layers kept in fp32 and why, counts). */
  readonly notes: readonly string[];
}

export interface CandidateContext {
  /** Preprocessed calibration batches, read afresh on each call (static quantization). */
  readonly calibration: () => CalibrationSource;
  readonly calibrationSamples: number;
  readonly onProgress?: (done: number, total: number | undefined) => void;
}

function quantNotes(report: QuantizeReport): string[] {
  return [
    `${report.quantizedNodes.length} node(s) quantized; weights ${report.weightBytesBefore} -> ${report.weightBytesAfter} bytes`,
    ...report.keptFp32.map((k) => `kept fp32: ${k.name || k.opType} (${k.opType}): ${k.reason}`),
  ];
}

/**
 * Turns the simplified fp32 model into the candidate for one concrete mode. int8 is onnxruntime's
 * dynamic scheme (per-channel symmetric int8 MatMul weights, uint8 per-tensor Conv weights,
 * activations quantized at run time); int8-static is QDQ with calibrated activations, which
 * onnxruntime fuses into QLinearConv/QGemm.
 */
export async function makeCandidate(
  simplified: OnnxModel,
  mode: Exclude<QuantizeMode, 'auto'>,
  opts: CompileOptions,
  ctx: CandidateContext,
): Promise<ModelCandidate> {
  switch (mode) {
    case 'none':
      return { mode, model: simplified, quantization: { mode: 'none' }, notes: [] };
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
      return { mode, model, quantization: { mode: 'fp16', weightType: 'float16' }, notes };
    }
    case 'int8': {
      const { model, report } = quantizeDynamic(simplified, { perChannel: opts.perChannel });
      return {
        mode,
        model,
        quantization: { mode: 'int8-dynamic', weightType: 'int8', perChannel: opts.perChannel },
        notes: quantNotes(report),
      };
    }
    case 'int8-static': {
      const { model, report } = await quantizeStatic(simplified, ctx.calibration(), {
        method: opts.calibration,
        perChannel: opts.perChannel,
        ...(ctx.onProgress === undefined ? {} : { onProgress: ctx.onProgress }),
      });
      return {
        mode,
        model,
        quantization: {
          mode: 'int8-static',
          weightType: 'int8',
          perChannel: opts.perChannel,
          calibration: { method: opts.calibration, samples: ctx.calibrationSamples },
        },
        notes: [
          `activations calibrated with ${opts.calibration} on ${ctx.calibrationSamples} samples`,
          ...quantNotes(report),
        ],
      };
    }
  }
}
