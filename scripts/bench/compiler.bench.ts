import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { compile, datasetBatches, loadDataset, QUANTIZE_MODES } from '@edgefleet/compiler';
import type { CompileResult, Dataset, QuantizeMode } from '@edgefleet/compiler';
import { generateKeyPair } from '@edgefleet/protocol';
import { ModelSession, openBundle, percentile } from '@edgefleet/runtime';
import type { PreprocessSpec } from '@edgefleet/runtime';
import type { BenchSuite } from './suite.js';

const fixture = (path: string): string =>
  fileURLToPath(new URL(`../../fixtures/${path}`, import.meta.url));

/** One fixture model with the data the compiler needs. */
interface BenchModel {
  readonly name: string;
  readonly file: string;
  readonly data: string;
  readonly eval: string;
  readonly preprocess?: string;
  readonly task: 'classification' | 'regression';
  /** What the accuracy goals call it. */
  readonly family: 'tabular' | 'sequence' | 'cnn-image';
  readonly description: string;
}

const MODELS: readonly BenchModel[] = [
  {
    name: 'pm-mlp',
    file: 'models/pm-mlp.onnx',
    data: 'data/pm/calibration.csv',
    eval: 'data/pm/eval.csv',
    preprocess: 'data/pm/preprocess.json',
    task: 'classification',
    family: 'tabular',
    description: '8-64-64-5 MLP, PM CSV, 3,000 eval rows',
  },
  {
    name: 'pm-wide-mlp',
    file: 'models/pm-wide-mlp.onnx',
    data: 'data/pm/calibration.csv',
    eval: 'data/pm/eval.csv',
    preprocess: 'data/pm/preprocess.json',
    task: 'classification',
    family: 'tabular',
    description: '8-768-768-5 MLP (2.4 MB of fp32 weights), PM CSV, 3,000 eval rows',
  },
  {
    name: 'house-mlp',
    file: 'models/house-mlp.onnx',
    data: 'data/house/calibration.csv',
    eval: 'data/house/eval.csv',
    preprocess: 'data/house/preprocess.json',
    task: 'regression',
    family: 'tabular',
    description: '5-32-32-1 regression MLP, house CSV with missing values, 600 eval rows',
  },
  {
    name: 'vibration-cnn',
    file: 'models/vibration-cnn.onnx',
    data: 'data/vibration/calibration.jsonl',
    eval: 'data/vibration/eval.jsonl',
    task: 'classification',
    family: 'sequence',
    description: '1-D CNN on 512-sample windows, JSONL, 320 eval windows',
  },
  {
    name: 'retail-cnn',
    file: 'models/retail-cnn.onnx',
    data: 'data/retail/calibration',
    eval: 'data/retail/eval',
    preprocess: 'data/retail/preprocess.json',
    task: 'classification',
    family: 'cnn-image',
    description: '2-D CNN on 64x64 RGB images, image folders, 100 eval images',
  },
];

const LATENCY = {
  batch1: { batch: 1, warmup: 20, runs: 500, block: 50 },
  batch32: { batch: 32, warmup: 5, runs: 100, block: 10 },
} as const;
/** Latency ratios up to this are indistinguishable from 1.0 on a loaded 2-core machine. */
const NOISE_RATIO = 1.1;

interface Latency {
  readonly fp32: number;
  readonly shipped: number;
}

interface Row {
  readonly mode: QuantizeMode;
  /** 'ok', or why the compile failed. */
  readonly status: string;
  readonly compileS?: number;
  readonly peakRssMiB?: number;
  readonly result?: CompileResult;
  /** fp32 and shipped metric when the gate refused the model (from the error details). */
  readonly refused?: { metric: string; fp32: number; candidate: number };
  readonly b1?: Latency;
  readonly b32?: Latency;
}

interface ModelReport {
  readonly model: BenchModel;
  readonly fp32Bytes: number;
  readonly rows: readonly Row[];
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

function errorDetails(err: unknown): Record<string, unknown> {
  if (typeof err === 'object' && err !== null && 'details' in err) {
    const d = (err as { details: unknown }).details;
    if (typeof d === 'object' && d !== null) return d as Record<string, unknown>;
  }
  return {};
}

/** Samples the process RSS every 10 ms while `fn` runs (only between event-loop turns). */
async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ value: T; peak: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peak };
  } finally {
    clearInterval(timer);
  }
}

async function preprocessSpec(model: BenchModel): Promise<PreprocessSpec> {
  if (model.preprocess === undefined) return { kind: 'tensor', input: 'input' };
  return JSON.parse(await readFile(fixture(model.preprocess), 'utf8')) as PreprocessSpec;
}

/** The first `batch` eval samples, preprocessed exactly as the compiler and the device do. */
async function evalFeeds(
  model: BenchModel,
  spec: PreprocessSpec,
  session: ModelSession,
  batch: number,
): Promise<Parameters<ModelSession['run']>[0]> {
  const input = session.inputs[0];
  if (input === undefined) throw new Error(`${model.name}: the model has no input`);
  const inputShape = input.shape.map((d, i) => d ?? `d${i}`);
  const dataset: Dataset = await loadDataset(fixture(model.eval), {
    task: model.task,
    ...(spec.kind === 'tabular' ? { features: spec.features } : {}),
    ...(spec.kind === 'tensor' ? { sampleShape: inputShape.slice(1) } : {}),
    maxRows: batch,
  });
  const first = await datasetBatches(dataset, {
    preprocess: spec,
    inputShape,
    batchSize: batch,
  }).next();
  if (first.done === true) throw new Error(`${model.name}: no eval samples`);
  const dims = first.value.tensor.dims;
  if (dims[0] !== batch) throw new Error(`${model.name}: got a batch of ${dims[0]}, not ${batch}`);
  return first.value.feeds;
}

/**
 * p50 latency of both sessions on the same feeds. Runs alternate in blocks (fp32 block, shipped
 * block, ...; each block starts with one untimed run) so that load changes on the shared machine
 * hit both models alike while each model still runs with warm caches, as on a device.
 */
async function blockedP50(
  fp32: ModelSession,
  shipped: ModelSession,
  feeds: Parameters<ModelSession['run']>[0],
  plan: { readonly warmup: number; readonly runs: number; readonly block: number },
): Promise<Latency> {
  for (let i = 0; i < plan.warmup; i++) {
    await fp32.run(feeds);
    await shipped.run(feeds);
  }
  const samples = new Map<ModelSession, number[]>([
    [fp32, []],
    [shipped, []],
  ]);
  for (let done = 0; done < plan.runs; done += plan.block) {
    for (const session of [fp32, shipped]) {
      const times = samples.get(session) ?? [];
      await session.run(feeds);
      for (let i = 0; i < Math.min(plan.block, plan.runs - done); i++) {
        const t = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t);
      }
    }
  }
  const p50 = (s: ModelSession) =>
    percentile(
      [...(samples.get(s) ?? [])].sort((a, b) => a - b),
      0.5,
    );
  return { fp32: p50(fp32), shipped: p50(shipped) };
}

async function benchModel(
  model: BenchModel,
  dir: string,
  keyPath: string,
  publicKey: string,
  log: (line: string) => void,
): Promise<ModelReport> {
  const fp32Bytes = await readFile(fixture(model.file));
  const spec = await preprocessSpec(model);
  const fp32 = await ModelSession.load(fp32Bytes, { intraOpThreads: 1 });
  const rows: Row[] = [];
  try {
    const feeds1 = await evalFeeds(model, spec, fp32, LATENCY.batch1.batch);
    const feeds32 = await evalFeeds(model, spec, fp32, LATENCY.batch32.batch);
    for (const mode of QUANTIZE_MODES) {
      const out = join(dir, `${model.name}-${mode}.efb`);
      const start = performance.now();
      let compiled: { value: CompileResult; peak: number };
      try {
        compiled = await withPeakRss(() =>
          compile({
            model: fixture(model.file),
            data: fixture(model.data),
            eval: fixture(model.eval),
            ...(model.preprocess === undefined ? {} : { preprocess: fixture(model.preprocess) }),
            quantize: mode,
            releaseKey: keyPath,
            name: model.name,
            version: '1.0.0',
            out,
          }),
        );
      } catch (err) {
        const code = errorCode(err);
        const d = errorDetails(err);
        const refused =
          code === 'EF_COMPILE_GATE' &&
          typeof d.fp32 === 'number' &&
          typeof d.candidate === 'number' &&
          typeof d.metric === 'string'
            ? { metric: d.metric, fp32: d.fp32, candidate: d.candidate }
            : undefined;
        const why = code ?? (err instanceof Error ? err.name : 'error');
        const message = err instanceof Error ? err.message : String(err);
        log(`${model.name} ${mode}: failed: ${why}: ${message}`);
        rows.push({
          mode,
          status:
            code === 'EF_COMPILE_GATE' ? 'refused by the gate (EF_COMPILE_GATE)' : `failed: ${why}`,
          compileS: (performance.now() - start) / 1000,
          ...(refused === undefined ? {} : { refused }),
        });
        continue;
      }
      const compileS = (performance.now() - start) / 1000;
      const result = compiled.value;
      const bundle = await openBundle(result.bundle.path, { publicKey });
      const modelBytes = bundle.files.get('model.onnx');
      if (modelBytes === undefined) throw new Error(`${out}: no model.onnx in the bundle`);
      const shipped = await ModelSession.load(modelBytes, { intraOpThreads: 1 });
      let b1: Latency;
      let b32: Latency;
      try {
        b1 = await blockedP50(fp32, shipped, feeds1, LATENCY.batch1);
        b32 = await blockedP50(fp32, shipped, feeds32, LATENCY.batch32);
      } finally {
        await shipped.release();
      }
      await rm(out, { force: true });
      const row: Row = {
        mode,
        status: 'ok',
        compileS,
        peakRssMiB: compiled.peak / 2 ** 20,
        result,
        b1,
        b32,
      };
      rows.push(row);
      log(
        `${model.name} ${mode}: ${compileS.toFixed(1)} s, size x${sizeRatio(row)?.toFixed(3)}, ` +
          `b1 x${(b1.shipped / b1.fp32).toFixed(2)}, b32 x${(b32.shipped / b32.fp32).toFixed(2)}`,
      );
    }
  } finally {
    await fp32.release();
  }
  return { model, fp32Bytes: fp32Bytes.byteLength, rows };
}

function sizeRatio(row: Row): number | undefined {
  const v = row.result?.validation;
  return v === undefined ? undefined : v.bytesQuantized / v.bytesFp32;
}

/** Accuracy change in points (classification) or MSE change in percent (regression). */
function metricChange(
  row: Row,
): { metric: string; fp32: number; shipped: number; change: number } | undefined {
  const v = row.result?.validation;
  const m =
    v !== undefined
      ? { metric: v.metric, fp32: v.fp32, shipped: v.quantized }
      : row.refused !== undefined
        ? { metric: row.refused.metric, fp32: row.refused.fp32, shipped: row.refused.candidate }
        : undefined;
  if (m === undefined) return undefined;
  const change =
    m.metric === 'accuracy' ? (m.shipped - m.fp32) * 100 : ((m.shipped - m.fp32) / m.fp32) * 100;
  return { ...m, change };
}

const signed = (n: number, digits: number): string =>
  `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(digits)}`;
const ms = (n: number): string => (n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toFixed(3));
const latencyCell = (l: Latency | undefined): string =>
  l === undefined ? '' : `${ms(l.fp32)} → ${ms(l.shipped)} (x${(l.shipped / l.fp32).toFixed(2)})`;

function modelTable(report: ModelReport): string {
  const header = [
    '| mode | compile s | peak RSS MiB | model bytes (size ratio) | metric fp32 → shipped (change) | top-1 agreement | batch 1 p50 ms fp32 → shipped (ratio) | batch 32 p50 ms fp32 → shipped (ratio) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const lines = report.rows.map((row) => {
    const v = row.result?.validation;
    const m = metricChange(row);
    const metric =
      m === undefined
        ? ''
        : m.metric === 'accuracy'
          ? `acc ${(m.fp32 * 100).toFixed(2)} → ${(m.shipped * 100).toFixed(2)} (${signed(m.change, 2)} pts)`
          : `MSE ${m.fp32.toFixed(1)} → ${m.shipped.toFixed(1)} (${signed(m.change, 2)} %)`;
    const shippedMode =
      row.mode === 'auto' && row.result !== undefined
        ? ` (chose ${row.result.quantization.mode})`
        : '';
    const status = row.status === 'ok' ? '' : ` **${row.status}**`;
    const cells = [
      `${row.mode}${shippedMode}${status}`,
      row.compileS?.toFixed(2) ?? '',
      row.peakRssMiB?.toFixed(0) ?? '',
      v === undefined
        ? ''
        : `${v.bytesQuantized} (x${(v.bytesQuantized / v.bytesFp32).toFixed(3)})`,
      metric,
      v?.top1Agreement === undefined
        ? v === undefined
          ? ''
          : 'n/a'
        : `${(v.top1Agreement * 100).toFixed(2)} %`,
      latencyCell(row.b1),
      latencyCell(row.b32),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [...header, ...lines].join('\n');
}

type Verdict = 'met' | 'not met' | 'not measurable yet';

interface Goal {
  readonly text: string;
  readonly verdict: Verdict;
  readonly evidence: string;
}

/**
 * Judges goals over rows of one mode: 'not measurable yet' while any relevant row is not
 * available in this build (or failed for another reason), else met when every row passes.
 */
function judge(
  reports: readonly ModelReport[],
  mode: QuantizeMode,
  models: (m: BenchModel) => boolean,
  value: (row: Row) => number | undefined,
  ok: (v: number) => boolean,
  format: (v: number) => string,
): { verdict: Verdict; evidence: string } {
  const parts: string[] = [];
  let measurable = true;
  let allOk = true;
  for (const r of reports.filter((x) => models(x.model))) {
    const row = r.rows.find((x) => x.mode === mode);
    const v = row === undefined ? undefined : value(row);
    if (v === undefined) {
      measurable = false;
      parts.push(`${r.model.name}: ${row?.status ?? 'not run'}`);
      continue;
    }
    if (!ok(v)) allOk = false;
    parts.push(`${r.model.name}: ${format(v)}`);
  }
  if (parts.length === 0) return { verdict: 'not measurable yet', evidence: 'no model' };
  return {
    verdict: !measurable ? 'not measurable yet' : allOk ? 'met' : 'not met',
    evidence: parts.join('; '),
  };
}

function goals(reports: readonly ModelReport[]): Goal[] {
  const accDrop = (row: Row) => {
    const m = metricChange(row);
    return m?.metric === 'accuracy' ? -m.change : undefined;
  };
  const pts = (v: number) => `drop ${v.toFixed(2)} pts`;
  const out: Goal[] = [];
  out.push({
    text: 'int8 size ratio <= 0.30 where weights dominate (pm-wide-mlp, 2.4 MB of weights)',
    ...judge(
      reports,
      'int8',
      (m) => m.name === 'pm-wide-mlp',
      sizeRatio,
      (v) => v <= 0.3,
      (v) => `x${v.toFixed(3)}`,
    ),
  });
  out.push({
    text: 'int8 accuracy within 0.5 points of fp32 on the tabular and sequence classifiers (pm-mlp, pm-wide-mlp, vibration-cnn)',
    ...judge(
      reports,
      'int8',
      (m) => m.task === 'classification' && (m.family === 'tabular' || m.family === 'sequence'),
      accDrop,
      (v) => v <= 0.5 + 1e-9,
      pts,
    ),
  });
  out.push({
    text: 'int8-static accuracy within 1 point of fp32 on the CNNs (vibration-cnn, retail-cnn)',
    ...judge(
      reports,
      'int8-static',
      (m) => m.family === 'sequence' || m.family === 'cnn-image',
      accDrop,
      (v) => v <= 1 + 1e-9,
      pts,
    ),
  });
  out.push({
    text: 'int8 batch-1 p50 latency ratio <= 0.5 on the 2 MB model (pm-wide-mlp)',
    ...judge(
      reports,
      'int8',
      (m) => m.name === 'pm-wide-mlp',
      (row) => (row.b1 === undefined ? undefined : row.b1.shipped / row.b1.fp32),
      (v) => v <= 0.5,
      (v) => `x${v.toFixed(2)}`,
    ),
  });
  const autoSize = judge(
    reports,
    'auto',
    () => true,
    sizeRatio,
    (v) => v <= 1,
    (v) => `x${v.toFixed(3)}`,
  );
  const autoLatency = judge(
    reports,
    'auto',
    () => true,
    (row) => (row.b1 === undefined ? undefined : row.b1.shipped / row.b1.fp32),
    (v) => v <= 1,
    (v) => `x${v.toFixed(2)}`,
  );
  out.push({ text: '`auto` size ratio never above 1.0 (every model)', ...autoSize });
  const autoLatencies = reports
    .map((r) => r.rows.find((x) => x.mode === 'auto')?.b1)
    .filter((l): l is Latency => l !== undefined)
    .map((l) => l.shipped / l.fp32);
  const withinNoise =
    autoLatency.verdict === 'not met' && autoLatencies.every((v) => v <= NOISE_RATIO)
      ? `; every ratio above 1.0 is within the ±${Math.round((NOISE_RATIO - 1) * 100)} % run-to-run noise`
      : '';
  out.push({
    text: '`auto` batch-1 p50 latency ratio never above 1.0 (every model)',
    verdict: autoLatency.verdict,
    evidence: `${autoLatency.evidence}${withinNoise}`,
  });
  return out;
}

/**
 * Compiles every fixture model in every quantization mode and measures what the issue asks of
 * the compiler: size, accuracy, agreement with fp32, and latency at batch 1 and 32.
 */
export const compilerSuite: BenchSuite = {
  id: 'compiler',
  title: 'Compiler: size, accuracy and latency per quantization mode',
  async run(log) {
    const dir = await mkdtemp(join(tmpdir(), 'ef-bench-compile-'));
    const reports: ModelReport[] = [];
    try {
      const pair = generateKeyPair();
      const keyPath = join(dir, 'release.key');
      await writeFile(keyPath, pair.privateKeyPem, { mode: 0o600 });
      for (const model of MODELS) {
        reports.push(await benchModel(model, dir, keyPath, pair.publicKeyPem, log));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const goalLines = goals(reports).map((g) => `- **${g.verdict}**: ${g.text}. ${g.evidence}.`);
    return [
      `Every fixture model compiled in every mode of \`QUANTIZE_MODES\` (${QUANTIZE_MODES.join(', ')})`,
      'with `compile()` into a temp dir, signed with a fresh release key, default options',
      '(calibration minmax, per-channel, gate: 1 accuracy point or 5 % MSE). A mode the gate',
      'refuses is shown with the metrics from its `EF_COMPILE_GATE` error.',
      '',
      '### Goals',
      '',
      ...goalLines,
      '',
      '### Columns',
      '',
      '- **compile s**: wall time of `compile()` (load, simplify, quantize, validate on the whole eval',
      '  split in onnxruntime with default threads, drift baseline, smoke tests, signing, writing).',
      '- **peak RSS MiB**: the largest resident set size of the whole bench process sampled every',
      '  10 ms during the compile (samples only land between event-loop turns, so short synchronous',
      '  peaks can be missed; it includes what earlier models left allocated).',
      '- **model bytes (size ratio)**: `validation.bytesQuantized` of the shipped `model.onnx`, and',
      '  `bytesQuantized / bytesFp32` against the original fp32 file.',
      "- **metric fp32 → shipped (change)**: the compiler's own validation on the eval split:",
      '  accuracy in % with the change in points, or MSE with the relative change in %. For a model',
      '  refused by the gate the values come from the `EF_COMPILE_GATE` error details.',
      '- **top-1 agreement**: share of eval samples where fp32 and shipped model predict the same',
      '  class (classification only).',
      '- **batch 1 / batch 32 p50 ms**: median wall time of one `ModelSession.run` on the first 1 or 32',
      "  eval samples (preprocessed with the model's preprocess spec), fp32 file vs the `model.onnx`",
      `  extracted from the signed bundle; ${LATENCY.batch1.warmup} warm-up + ${LATENCY.batch1.runs} timed runs at batch 1,`,
      `  ${LATENCY.batch32.warmup} + ${LATENCY.batch32.runs} at batch 32, fp32 and shipped runs alternating in blocks of`,
      `  ${LATENCY.batch1.block} / ${LATENCY.batch32.block} runs (each block after one untimed run) so load changes hit both alike.`,
      '  **onnxruntime intra-op threads = 1** for both sessions so numbers are comparable on this',
      '  2-core machine; ratio = shipped / fp32 (below 1 is faster).',
      '',
      ...reports.flatMap((r) => [
        `### ${r.model.name}`,
        '',
        `${r.model.description}; fp32 file ${r.fp32Bytes} bytes.`,
        '',
        modelTable(r),
        '',
      ]),
    ].join('\n');
  },
};
