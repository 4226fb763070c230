import type { OnnxModel } from '../onnx/index.js';
import { computeQuantParams, type QuantParams } from '../quantize/quant-params.js';
import {
  calibrateActivations,
  type CalibrationMethod,
  type CalibrationSource,
} from './calibrate-activations.js';
import { GraphContext, requireOpset } from './graph-context.js';
import { insertActivationQdq, insertWeightDq } from './qdq-insert.js';
import { planQdq, STATIC_OP_TYPES, type StaticOpType } from './qdq-plan.js';
import { QuantizeGraphError } from './quantize-graph-errors.js';
import { initializerBytes, type QuantizeReport } from './quantize-report.js';

/** Default op types of {@link quantizeStatic}: every one it supports. */
export const DEFAULT_STATIC_OP_TYPES: readonly StaticOpType[] = STATIC_OP_TYPES;

/** Options of {@link quantizeStatic}. */
export interface QuantizeStaticOptions {
  /** How activation ranges are chosen. Default 'minmax'. */
  method?: CalibrationMethod;
  /** Per-channel int8 weights (Conv axis 0, MatMul [K, N] axis 1, Gemm B [N, K] axis 0). Default true; needs opset 13. */
  perChannel?: boolean;
  /** Activation type, asymmetric. Default 'uint8' (what onnxruntime's CPU QLinear kernels favour). */
  activationType?: 'uint8' | 'int8';
  /** Weight type, symmetric. Only 'int8' (onnxruntime's default for QDQ). */
  weightType?: 'int8';
  /** Op types to quantize; default Conv, MatMul, Gemm and the QDQ pass-through/activation ops. */
  opTypes?: readonly StaticOpType[];
  nodesToExclude?: readonly string[];
  /** Percentile kept by 'percentile' (default 99.999). */
  percentile?: number;
  /** Histogram bins for 'percentile'/'entropy' (default 2048). */
  numBins?: number;
  /** Called after each calibration batch: (batches done, total or undefined for a stream). */
  onProgress?: (done: number, total: number | undefined) => void;
}

/** What {@link quantizeStatic} did. */
export interface QuantizeStaticReport extends QuantizeReport {
  method: CalibrationMethod;
  calibrationBatches: number;
  /** Activation tensors wrapped in QuantizeLinear/DequantizeLinear. */
  quantizedActivations: string[];
  /** Relu nodes absorbed by the Q after their Conv/MatMul/Gemm. */
  fusedRelu: string[];
}

/** Result of {@link quantizeStatic}. */
export interface QuantizeStaticResult {
  model: OnnxModel;
  report: QuantizeStaticReport;
}

/**
 * Static int8 quantization in QDQ format, as onnxruntime's `quantize_static(quant_format=QDQ)`:
 * activation ranges are calibrated by running a copy of the model that outputs every tensor to
 * quantize in onnxruntime over `calibration`; QuantizeLinear/DequantizeLinear pairs are inserted
 * on those activations (uint8 asymmetric by default), DequantizeLinear on int8 symmetric weights
 * (per channel by default) and on int32 biases (scale = input_scale * weight_scale, zero point 0),
 * so that onnxruntime's graph optimizer fuses Conv into QLinearConv and MatMul into QLinearMatMul
 * (Gemm into QGemm). The input model is not modified; run `simplifyModel` first.
 *
 * @throws {QuantizeGraphError} `EF_COMPILE_QUANT_OPSET` (per-channel needs opset 13, otherwise
 *   10), `EF_COMPILE_QUANT_NOTHING`, `EF_COMPILE_QUANT_NO_CALIBRATION`,
 *   `EF_COMPILE_QUANT_CALIBRATION_INPUT`, `EF_COMPILE_QUANT_CALIBRATION_RUN`, `EF_COMPILE_QUANT_OPTIONS`.
 * @example
 * const { model: qdq, report } = await quantizeStatic(simplifyModel(fp32).model, batches, {
 *   method: 'percentile',
 *   onProgress: (done, total) => console.log(`${done}/${total ?? '?'}`),
 * });
 * writeOnnxModel(qdq);
 */
export async function quantizeStatic(
  input: OnnxModel,
  calibration: CalibrationSource,
  options: QuantizeStaticOptions = {},
): Promise<QuantizeStaticResult> {
  const settings = checkStaticOptions(options);
  requireOpset(
    input,
    settings.perChannel ? 13 : 10,
    settings.perChannel
      ? 'per-channel DequantizeLinear (its axis attribute)'
      : 'QuantizeLinear/DequantizeLinear',
  );
  const model = structuredClone(input);
  const ctx = new GraphContext(model);
  ctx.sortNodes();
  ctx.nameNodes();
  const weightBytesBefore = initializerBytes(model);
  // Calibrate on the graph as it was: a Relu absorbed by the plan must still clamp the
  // calibrated tensor (its output), as onnxruntime calibrates before removing it.
  const calibrationModel = structuredClone(model);
  const plan = planQdq(ctx, settings);
  if (plan.weighted.length === 0 && ctx.keptFp32.length === 0) {
    throw new QuantizeGraphError(
      'EF_COMPILE_QUANT_NOTHING',
      'The model has no Conv, MatMul or Gemm node with a float32 initializer weight: nothing to quantize.',
      { opTypes: [...settings.opTypes] },
    );
  }
  const sources = [...new Set(plan.paramSource.values())];
  const calibrated = await calibrateActivations(calibrationModel, sources, calibration, {
    method: settings.method,
    onProgress: options.onProgress,
    ...(options.percentile === undefined ? {} : { percentile: options.percentile }),
    ...(options.numBins === undefined ? {} : { numBins: options.numBins }),
  });
  const params = new Map<string, QuantParams>();
  for (const [name, range] of calibrated.ranges) {
    params.set(
      name,
      computeQuantParams({ ...range, qType: settings.activationType, symmetric: false }),
    );
  }
  const quantizedNodes = plan.weighted.map((weighted) => {
    const source = plan.paramSource.get(weighted.activation) ?? weighted.activation;
    const q = insertWeightDq(ctx, weighted, params.get(source) as QuantParams);
    return {
      name: weighted.node.name ?? '',
      opType: weighted.node.opType ?? '',
      weight: weighted.weight.name,
      scheme: q.scheme,
    };
  });
  insertActivationQdq(ctx, plan.paramSource, params, settings.activationType);
  ctx.removeUnusedInitializers(
    plan.weighted.flatMap((w) => [w.weight.name, ...(w.bias ? [w.bias.name] : [])]),
  );
  ctx.sortNodes();
  return {
    model,
    report: {
      quantizedNodes,
      keptFp32: ctx.keptFp32,
      weightBytesBefore,
      weightBytesAfter: initializerBytes(model),
      method: settings.method,
      calibrationBatches: calibrated.batches,
      quantizedActivations: [...plan.paramSource.keys()],
      fusedRelu: plan.fusedRelu,
    },
  };
}

function checkStaticOptions(options: QuantizeStaticOptions): {
  method: CalibrationMethod;
  perChannel: boolean;
  activationType: 'uint8' | 'int8';
  opTypes: Set<string>;
  exclude: Set<string>;
} {
  const bad = (message: string, details: Record<string, unknown>): never => {
    throw new QuantizeGraphError('EF_COMPILE_QUANT_OPTIONS', message, details);
  };
  const method = options.method ?? 'minmax';
  if (!['minmax', 'percentile', 'entropy'].includes(method)) {
    bad(`Unknown calibration method '${String(method)}'; use minmax, percentile or entropy.`, {
      method,
    });
  }
  const activationType = options.activationType ?? 'uint8';
  if (activationType !== 'uint8' && activationType !== 'int8') {
    bad(`activationType must be uint8 or int8, got '${String(activationType)}'.`, {
      activationType,
    });
  }
  if ((options.weightType ?? 'int8') !== 'int8') {
    bad(`weightType must be int8, got '${String(options.weightType)}'.`, {
      weightType: options.weightType,
    });
  }
  const opTypes = options.opTypes ?? DEFAULT_STATIC_OP_TYPES;
  for (const opType of opTypes) {
    if (!(STATIC_OP_TYPES as readonly string[]).includes(opType)) {
      bad(
        `quantizeStatic cannot quantize op type '${String(opType)}'; supported: ${STATIC_OP_TYPES.join(', ')}.`,
        { opType },
      );
    }
  }
  return {
    method,
    perChannel: options.perChannel ?? true,
    activationType,
    opTypes: new Set(opTypes),
    exclude: new Set(options.nodesToExclude ?? []),
  };
}
