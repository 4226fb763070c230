import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { ensureWritableFolder } from '../ensure-writable-folder.js';
import { loadPrivateKey } from '@edgefleet/protocol';
import type { KeyObject } from 'node:crypto';
import type { Manifest, Postprocess, Preprocess, Validation } from '@edgefleet/protocol';
import { ModelSession } from '@edgefleet/runtime';
import { completeManifest, writeSignedBundle } from '../bundle/index.js';
import type { UnsignedManifest } from '../bundle/index.js';
import { datasetBatches, datasetSize, loadDataset } from '../data/index.js';
import type { Dataset } from '../data/index.js';
import { CompilerError } from '../errors.js';
import { opsetVersion, readOnnxModel, writeOnnxModel } from '../onnx/index.js';
import type { OnnxModel } from '../onnx/index.js';
import { convertLayersModel } from '../tfjs/index.js';
import type { LayersConversionReport } from '../tfjs/index.js';
import { checkReportPath, renderCompileReport, writeReportFile } from '../report/index.js';
import type { ReportCandidate } from '../report/index.js';
import { simplifyModel } from '../simplify/index.js';
import type { GateResult, ModelComparison } from '../validate/index.js';
import { validateCompileOptions } from './compile-options.js';
import type { CompileOptions, CompileOptionsInput } from './compile-options.js';
import { profileBaseline } from './drift-baseline.js';
import { evaluateCandidates } from './evaluate-candidates.js';
import type { EvaluatedCandidate } from './evaluate-candidates.js';
import { manifestTensors, singleInputOutput } from './model-io.js';
import { resolvePreprocess } from './resolve-preprocess.js';
import { makeSmokeTests } from './smoke-tests.js';

const require = createRequire(import.meta.url);

/** One step of progress, for a terminal bar (the CLI draws it; nothing is printed here). */
export interface CompileProgress {
  readonly stage: string;
  readonly done: number;
  readonly total: number;
}

export interface CompileHooks {
  readonly onProgress?: (event: CompileProgress) => void;
  /** The bundle's createdAt; tests pin it. */
  readonly now?: () => Date;
}

/** What `compile()` returns and `edgefleet compile --json` prints. */
export interface CompileResult {
  readonly name: string;
  readonly version: string;
  readonly bundle: { path: string; bytes: number; archiveSha256: string; keyId: string };
  readonly quantization: Manifest['quantization'];
  readonly validation: Validation;
  readonly gate: GateResult;
  readonly comparison: ModelComparison;
  readonly notes: readonly string[];
  /** Every candidate tried (one for an explicit mode, several for auto) and why it was kept or not. */
  readonly candidates: readonly ReportCandidate[];
  readonly manifest: Manifest;
  /** Absolute path of the HTML report, when `report` asked for a copy outside the bundle. */
  readonly report?: string;
}

function candidateSummary(c: EvaluatedCandidate): ReportCandidate {
  const metric =
    c.comparison === undefined
      ? undefined
      : c.comparison.task === 'classification'
        ? c.comparison.candidate.accuracy
        : c.comparison.candidate.mse;
  return {
    mode: c.mode,
    ...(c.bytes === undefined ? {} : { bytes: c.bytes.byteLength }),
    ...(c.latencyMs === undefined ? {} : { latencyMs: c.latencyMs }),
    ...(metric === undefined ? {} : { metric }),
    ...(c.gate === undefined ? {} : { passed: c.gate.passed }),
    chosen: c.chosen,
    reason: c.reason,
  };
}

/** Calibration data as model feeds, for static quantization. */
async function* calibrationFeeds(
  dataset: Dataset,
  preprocess: Preprocess,
  inputShape: ReadonlyArray<number | string>,
): AsyncIterable<Record<string, { data: Float32Array; dims: number[] }>> {
  for await (const batch of datasetBatches(dataset, { preprocess, inputShape })) yield batch.feeds;
}

async function readInput(
  path: string,
  code: 'EF_COMPILE_MODEL_READ' | 'EF_COMPILE_KEY',
  what: string,
): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CompilerError(
      code,
      `cannot read ${what} '${path}': ${reason}`,
      { path },
      { cause: err },
    );
  }
}

async function releaseKeyOf(path: string): Promise<KeyObject> {
  const pem = await readInput(path, 'EF_COMPILE_KEY', 'release key');
  try {
    return loadPrivateKey(pem.toString('utf8'));
  } catch (err) {
    throw new CompilerError(
      'EF_COMPILE_KEY',
      `'${path}' is not an Ed25519 private key (PKCS#8 PEM)`,
      { path },
      { cause: err },
    );
  }
}

function inferTask(
  opts: CompileOptions,
  outputShape: ReadonlyArray<number | string | null> | null,
): 'classification' | 'regression' {
  if (opts.task !== undefined) return opts.task;
  const last = outputShape?.[outputShape.length - 1];
  if (typeof last !== 'number') {
    throw new CompilerError(
      'EF_COMPILE_TASK',
      'cannot tell classification from regression by the output shape: pass --task',
    );
  }
  return last > 1 ? 'classification' : 'regression';
}

/**
 * An ONNX file as it is, or a TF.js Layers model (`model.json` + weight shards) exported to ONNX
 * first; from there both take the same path.
 */
async function loadModel(
  path: string,
): Promise<{ fp32Bytes: Uint8Array; fp32Model: OnnxModel; exportNotes: string[] }> {
  if (extname(path).toLowerCase() === '.json') {
    const { model, report } = convertLayersModel(path);
    const fp32Bytes = writeOnnxModel(model);
    return { fp32Bytes, fp32Model: readOnnxModel(fp32Bytes), exportNotes: conversionNotes(report) };
  }
  const fp32Bytes = await readInput(path, 'EF_COMPILE_MODEL_READ', 'model');
  return { fp32Bytes, fp32Model: readOnnxModel(fp32Bytes), exportNotes: [] };
}

/** Fails up front when the bundle cannot be written there, instead of after minutes of work. */
async function checkOutputPath(out: string): Promise<void> {
  try {
    await ensureWritableFolder(out);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CompilerError(
      'EF_COMPILE_OUTPUT',
      `cannot write the bundle '${out}': ${reason}`,
      { path: out },
      { cause: err },
    );
  }
}

function version(pkg: string): string {
  return (require(pkg) as { version: string }).version;
}

/**
 * The compiler pipeline: load -> simplify -> quantize -> validate against fp32 in onnxruntime ->
 * gate -> profile the drift baseline -> smoke tests -> signed bundle. Nothing is written unless
 * the gate passes; a failed step leaves no partial bundle.
 *
 * @example
 * const result = await compile({ model: 'pm.onnx', data: 'cal.csv', eval: 'eval.csv',
 *   preprocess: 'preprocess.json', quantize: 'fp16', releaseKey: 'keys/release.key',
 *   name: 'pm', version: '1.0.0', out: 'pm.efb' });
 */
export async function compile(
  input: CompileOptionsInput,
  hooks: CompileHooks = {},
): Promise<CompileResult> {
  const opts = validateCompileOptions(input);
  const progress = (stage: string, done: number, total: number) =>
    hooks.onProgress?.({ stage, done, total });
  const releaseKey = await releaseKeyOf(opts.releaseKey);
  await checkOutputPath(opts.out);
  if (opts.report !== undefined) await checkReportPath(opts.report);
  const { fp32Bytes, fp32Model, exportNotes } = await loadModel(opts.model);
  const { input: modelInput, output } = singleInputOutput(fp32Model);
  const task = inferTask(opts, output.shape);
  const lastDim = output.shape?.[output.shape.length - 1];
  const classCount =
    task === 'classification' && typeof lastDim === 'number' ? Math.max(2, lastDim) : undefined;
  const preprocess = await resolvePreprocess(opts, modelInput);
  const inputShape = (modelInput.shape ?? []).map((d, i) => d ?? `d${i}`);
  const sampleShape = inputShape.slice(1);
  const load = (path: string): Promise<Dataset> =>
    loadDataset(path, {
      task,
      labelColumn: opts.label,
      ...(preprocess.kind === 'tabular' ? { features: preprocess.features } : {}),
      ...(classCount === undefined ? {} : { classCount }),
      ...(preprocess.kind === 'tensor' ? { sampleShape } : {}),
    });
  const calibration = await load(opts.data);
  const evaluation = await load(opts.eval);

  const simplified = simplifyModel(fp32Model);
  const fp32 = await ModelSession.load(fp32Bytes);
  let shipped: ModelSession | undefined;
  try {
    const total = datasetSize(evaluation);
    const calibrationSamples = datasetSize(calibration);
    const first = await datasetBatches(evaluation, { preprocess, inputShape, batchSize: 1 }).next();
    const evaluated = await evaluateCandidates({
      simplified: simplified.model,
      fp32,
      opts,
      task,
      outputName: output.name,
      outputIsProbabilities: endsInProbabilities(simplified.model, output.name),
      evalBatches: () => datasetBatches(evaluation, { preprocess, inputShape }),
      evalSamples: total,
      latencyFeeds: first.done === true ? undefined : first.value.feeds,
      ctx: {
        calibration: () => calibrationFeeds(calibration, preprocess, inputShape),
        calibrationSamples,
        onProgress: (done) => progress('calibrate', done, calibrationSamples),
      },
      onProgress: progress,
    });
    const { candidate, bytes: candidateBytes, comparison, gate: verdict } = evaluated.chosen;
    const metric = comparison.task === 'classification' ? 'accuracy' : 'mse';
    if (!verdict.passed) {
      throw new CompilerError(
        'EF_COMPILE_GATE',
        `the ${candidate.mode} model fails the validation gate: ${verdict.message}; nothing was signed`,
        { metric, fp32: verdict.fp32, candidate: verdict.candidate, limit: verdict.limit },
      );
    }
    shipped = await ModelSession.load(candidateBytes);
    const validation: Validation = {
      metric,
      fp32: verdict.fp32,
      quantized: verdict.candidate,
      delta: verdict.delta,
      ...(comparison.task === 'classification' ? { top1Agreement: comparison.agreement } : {}),
      maxAbsError: comparison.maxAbsDiff,
      latencyMsFp32: evaluated.chosen.fp32LatencyMs ?? 0,
      latencyMsQuantized: evaluated.chosen.latencyMs ?? 0,
      bytesFp32: fp32Bytes.byteLength,
      bytesQuantized: candidateBytes.byteLength,
      samples: comparison.samples,
    };
    progress('baseline', 0, 1);
    const baseline = await profileBaseline({
      dataset: calibration,
      preprocess,
      inputShape,
      session: shipped,
      outputName: output.name,
      task,
      classCount,
      windowSize: opts.windowSize,
    });
    progress('baseline', 1, 1);
    const smokeTests = await makeSmokeTests({
      dataset: evaluation,
      preprocess,
      inputShape,
      session: shipped,
      mode: candidate.mode,
    });
    // Image folders name their classes; the device then answers with labels, not indices.
    const labels =
      task === 'classification' &&
      calibration.kind === 'images' &&
      calibration.classes.length === classCount
        ? { labels: [...calibration.classes] }
        : {};
    const probabilities =
      task === 'classification' && endsInProbabilities(candidate.model, output.name);
    const postprocess: Postprocess = {
      task,
      output: output.name,
      ...labels,
      ...(probabilities ? { outputIsProbabilities: true } : {}),
    };
    const quantization = candidate.quantization;
    const draft: UnsignedManifest = {
      schemaVersion: 1,
      name: opts.name,
      version: opts.version,
      createdAt: (hooks.now?.() ?? new Date()).toISOString(),
      compiler: { name: 'edgefleet', version: version('../../package.json') },
      model: {
        file: 'model.onnx',
        opset: opsetVersion(candidate.model) ?? 13,
        ...manifestTensors(candidate.model),
      },
      preprocess,
      postprocess,
      quantization,
      validation,
      baseline,
      smokeTests,
      runtime: {
        onnxruntime: version('onnxruntime-node/package.json'),
        architectures: ['x64', 'arm64'],
      },
    };
    const notes = [...exportNotes, ...simplifiedNotes(simplified.report), ...candidate.notes];
    const candidates = evaluated.candidates.map(candidateSummary);
    // The report describes the bundle it ships in, so it renders from that bundle's manifest
    // (all but report.html's own digest, which the report cannot contain).
    const html = renderCompileReport({
      name: opts.name,
      version: opts.version,
      quantization,
      validation,
      gate: verdict,
      comparison,
      notes,
      candidates,
      manifest: completeManifest(draft, candidateBytes),
    });
    const written = await writeSignedBundle({
      manifest: draft,
      model: candidateBytes,
      extraFiles: [{ name: 'report.html', data: Buffer.from(html) }],
      releaseKey,
      out: opts.out,
    });
    const report = opts.report === undefined ? undefined : await writeReportFile(opts.report, html);
    return {
      name: opts.name,
      version: opts.version,
      bundle: {
        path: written.path,
        bytes: written.bytes,
        archiveSha256: written.archiveSha256,
        keyId: written.keyId,
      },
      quantization,
      validation,
      gate: verdict,
      comparison,
      notes,
      candidates,
      manifest: written.manifest,
      ...(report === undefined ? {} : { report }),
    };
  } finally {
    await fp32.release();
    await shipped?.release();
  }
}

/** True when the output is produced by Softmax or Sigmoid: it holds probabilities, not logits. */
function endsInProbabilities(model: OnnxModel, outputName: string): boolean {
  const producer = model.graph.node.find((n) => n.output.includes(outputName));
  return producer !== undefined && (producer.opType === 'Softmax' || producer.opType === 'Sigmoid');
}

function conversionNotes(report: LayersConversionReport): string[] {
  const notes = [
    `exported from a TF.js Layers ${report.modelClass}${report.kerasVersion ? ` (${report.kerasVersion})` : ''}: ${report.layers.length} layers to ONNX opset ${report.opset}`,
  ];
  if (report.unusedWeights.length > 0)
    notes.push(`unused weights ignored: ${report.unusedWeights.join(', ')}`);
  return notes;
}

function simplifiedNotes(report: ReturnType<typeof simplifyModel>['report']): string[] {
  const notes: string[] = [];
  if (report.foldedBatchNorms > 0)
    notes.push(`${report.foldedBatchNorms} BatchNormalization folded`);
  // Folded BatchNorms also appear as removed nodes; say it once.
  for (const r of report.removedNodes) {
    if (r.opType !== 'BatchNormalization') notes.push(`${r.count} ${r.opType} removed`);
  }
  if (report.constantFolded > 0) notes.push(`${report.constantFolded} constant nodes folded`);
  return notes;
}
