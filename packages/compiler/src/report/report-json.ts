import { bundleFileNames } from '@edgefleet/protocol';
import { binLabels } from './bin-labels.js';
import { ratio } from './report-format.js';
import type {
  CompileReportExtras,
  CompileReportInput,
  CompileReportJson,
  ReportBin,
} from './report-types.js';

const KNOWN_QUANTIZATION_FIELDS = new Set(['mode', 'weightType', 'perChannel', 'calibration']);

function bins(labels: readonly string[], shares: readonly number[]): ReportBin[] {
  return shares.map((share, i) => ({ label: labels[i] ?? String(i), share }));
}

/** Class names: the manifest's labels where it has them, else the class index. */
function classNames(result: CompileReportInput, count: number): string[] {
  const labels = result.manifest.postprocess.labels;
  return Array.from({ length: count }, (_, i) => labels?.[i] ?? String(i));
}

function quantization(result: CompileReportInput): CompileReportJson['quantization'] {
  const q = result.quantization;
  const other: Record<string, string> = {};
  for (const key of Object.keys(q).sort()) {
    if (!KNOWN_QUANTIZATION_FIELDS.has(key)) other[key] = JSON.stringify(q[key]) ?? 'undefined';
  }
  return {
    mode: q.mode,
    weightType: q.weightType ?? null,
    perChannel: q.perChannel ?? null,
    calibration: q.calibration
      ? { method: q.calibration.method, samples: q.calibration.samples }
      : null,
    other,
    notes: [...result.notes],
  };
}

function evaluation(result: CompileReportInput): CompileReportJson['evaluation'] {
  const c = result.comparison;
  if (c.task === 'regression') {
    const pick = (m: typeof c.fp32) => ({ mse: m.mse, mae: m.mae, r2: m.r2 });
    return { task: 'regression', fp32: pick(c.fp32), shipped: pick(c.candidate) };
  }
  const pick = (m: typeof c.fp32) => ({
    accuracy: m.accuracy,
    macroF1: m.macroF1,
    perClass: m.perClass.map((p) => ({ ...p })),
    confusion: m.confusion.map((row) => [...row]),
  });
  return {
    task: 'classification',
    classes: classNames(result, c.candidate.confusion.length),
    fp32: pick(c.fp32),
    shipped: pick(c.candidate),
  };
}

function baseline(result: CompileReportInput): CompileReportJson['baseline'] {
  const b = result.manifest.baseline;
  const output =
    b.output.kind === 'classes'
      ? {
          kind: 'classes' as const,
          bins: bins(classNames(result, b.output.shares.length), b.output.shares),
        }
      : { kind: 'histogram' as const, bins: bins(binLabels(b.output.edges), b.output.shares) };
  return {
    windowSize: b.windowSize,
    driftedShare: b.rule.driftedShare,
    features: b.features.map((f) => ({
      name: f.name,
      mean: f.mean,
      std: f.std,
      psiThreshold: f.threshold.psi,
      bins: bins(binLabels(f.edges), f.shares),
    })),
    output,
  };
}

/** Candidates worth a table: any given as extras, or the result's when `auto` tried several. */
function candidates(
  result: CompileReportInput,
  extras: CompileReportExtras,
): CompileReportJson['candidates'] {
  const list = extras.candidates ?? result.candidates;
  if (list === undefined || (extras.candidates === undefined && list.length < 2)) return null;
  return list.map((c) => ({ ...c }));
}

/**
 * The numbers of the compile report as a plain, JSON-able object: what the HTML shows, for
 * `edgefleet compile --json` or a dashboard. Same input, same object.
 *
 * @example
 * const result = await compile(options);
 * const json = compileReportJson(result);
 * json.summary.sizeRatio; // -> 0.51 for fp16
 * json.baseline.features[0].bins[0].label; // -> '< 0.5'
 */
export function compileReportJson(
  result: CompileReportInput,
  extras: CompileReportExtras = {},
): CompileReportJson {
  const v = result.validation;
  const m = result.manifest;
  return {
    title: {
      name: result.name,
      version: result.version,
      createdAt: m.createdAt,
      compiler: `${m.compiler.name} ${m.compiler.version}`,
      onnxruntime: m.runtime.onnxruntime,
    },
    summary: {
      metric: v.metric,
      samples: v.samples,
      fp32: { metric: v.fp32, bytes: v.bytesFp32, latencyMs: v.latencyMsFp32 },
      shipped: {
        mode: result.quantization.mode,
        metric: v.quantized,
        bytes: v.bytesQuantized,
        latencyMs: v.latencyMsQuantized,
      },
      sizeRatio: ratio(v.bytesQuantized, v.bytesFp32),
      latencyRatio: ratio(v.latencyMsQuantized, v.latencyMsFp32),
      top1Agreement: v.top1Agreement ?? null,
      maxAbsError: v.maxAbsError,
      meanAbsError: result.comparison.meanAbsDiff,
      gate: {
        passed: result.gate.passed,
        message: result.gate.message,
        delta: result.gate.delta,
        limit: result.gate.limit,
      },
    },
    quantization: quantization(result),
    evaluation: evaluation(result),
    candidates: candidates(result, extras),
    baseline: baseline(result),
    preprocess: m.preprocess,
    model: {
      file: m.model.file,
      sha256: m.model.sha256,
      bytes: m.model.bytes,
      opset: m.model.opset,
      inputs: m.model.inputs,
      outputs: m.model.outputs,
      task: m.postprocess.task,
      output: m.postprocess.output,
      smokeTests: m.smokeTests.length,
      architectures: [...m.runtime.architectures],
    },
    files: Object.keys(m.files)
      .filter((name) => name !== bundleFileNames.report)
      .sort()
      .map((name) => ({ name, sha256: m.files[name] as string })),
  };
}
