import type { Manifest, TensorSpec } from '@edgefleet/protocol';

/** Facts about a bundle that are not in its manifest. */
export interface BundleFacts {
  /** Key id from signature.json; undefined when the signature is malformed. */
  readonly signerKeyId: string | undefined;
  /** True once the signature has been verified; inspect only shows the claimed signer. */
  readonly signerVerified: boolean;
  readonly archiveSha256: string;
}

function shapeText(shape: TensorSpec['shape']): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

function tensorLine(label: string, t: TensorSpec): string {
  return `    ${label.padEnd(10)}${t.name} ${t.dtype} ${shapeText(t.shape)}`;
}

function preprocessText(p: Manifest['preprocess']): string {
  switch (p.kind) {
    case 'tabular':
      return `tabular into ${p.input}, ${p.features.length} feature(s): ${p.features.map((f) => f.name).join(', ')}`;
    case 'image':
      return `image into ${p.input}, ${p.width}x${p.height}, ${p.channels} channel(s), fit ${p.fit}, layout ${p.layout}, scale ${p.scale}`;
    case 'tensor':
      return `tensor into ${p.input}`;
  }
}

function preprocessJson(p: Manifest['preprocess']): Record<string, unknown> {
  if (p.kind === 'tabular') {
    return { kind: p.kind, input: p.input, features: p.features.map((f) => f.name) };
  }
  return { ...p };
}

function quantizationText(q: Manifest['quantization']): string {
  const parts = [
    q.weightType === undefined ? undefined : `weights ${q.weightType}`,
    q.perChannel === true ? 'per-channel' : undefined,
    q.calibration === undefined
      ? undefined
      : `calibration ${q.calibration.method} on ${q.calibration.samples} samples`,
  ].filter((s): s is string => s !== undefined);
  return parts.length === 0 ? q.mode : `${q.mode} (${parts.join(', ')})`;
}

/** Four significant digits: enough to compare fp32 and quantized, short enough to read. */
function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}

function validationLines(v: Manifest['validation']): string[] {
  const agreement =
    v.top1Agreement === undefined ? '' : `, top-1 agreement ${num(v.top1Agreement)}`;
  return [
    `  validation  ${v.metric} fp32 ${num(v.fp32)}, quantized ${num(v.quantized)} (delta ${num(v.delta)})${agreement}, max abs error ${num(v.maxAbsError)}, ${v.samples} samples`,
    `              latency p50 ${num(v.latencyMsFp32)} ms -> ${num(v.latencyMsQuantized)} ms, size ${v.bytesFp32} -> ${v.bytesQuantized} bytes`,
  ];
}

function baselineSummary(b: Manifest['baseline']): Record<string, unknown> {
  return {
    windowSize: b.windowSize,
    features: b.features.length,
    output: b.output.kind,
    outputBins: b.output.shares.length,
    driftedShare: b.rule.driftedShare,
  };
}

/**
 * What `bundle inspect` and `bundle verify` print about a bundle: the manifest's identity,
 * model, preprocessing, quantization, validation, baseline and files, the signer and the
 * archive digest. `lines` for people, `json` for `--json`.
 */
export function describeBundle(
  manifest: Manifest,
  facts: BundleFacts,
): { lines: string[]; json: Record<string, unknown> } {
  const m = manifest.model;
  const b = baselineSummary(manifest.baseline);
  const fileNames = Object.keys(manifest.files).sort();
  const width = Math.max(...fileNames.map((f) => f.length));
  const lines = [
    `bundle ${manifest.name} ${manifest.version}`,
    `  created     ${manifest.createdAt} by ${manifest.compiler.name} ${manifest.compiler.version}`,
    `  model       ${m.file}, opset ${m.opset}, ${m.bytes} bytes, sha256 ${m.sha256}`,
    ...m.inputs.map((t) => tensorLine('input', t)),
    ...m.outputs.map((t) => tensorLine('output', t)),
    `  preprocess  ${preprocessText(manifest.preprocess)}`,
    `  postprocess ${manifest.postprocess.task} from ${manifest.postprocess.output}${manifest.postprocess.labels === undefined ? '' : `, labels ${manifest.postprocess.labels.join(', ')}`}`,
    `  quantization ${quantizationText(manifest.quantization)}`,
    ...validationLines(manifest.validation),
    `  baseline    window ${String(b['windowSize'])}, ${String(b['features'])} feature(s), output ${String(b['output'])} (${String(b['outputBins'])} bins), drifted share ${String(b['driftedShare'])}`,
    `  smoke tests ${manifest.smokeTests.length}`,
    `  runtime     onnxruntime >= ${manifest.runtime.onnxruntime} on ${manifest.runtime.architectures.join(', ')}`,
    ...fileNames.map(
      (f, i) =>
        `  ${i === 0 ? 'files' : ''.padEnd(5)}       ${f.padEnd(width)} ${manifest.files[f]}`,
    ),
    `  signer      ${facts.signerKeyId ?? '(signature.json is malformed)'}${facts.signerVerified ? '' : ' (claimed, not verified)'}`,
    `  archive     sha256 ${facts.archiveSha256}`,
  ];
  const json = {
    name: manifest.name,
    version: manifest.version,
    createdAt: manifest.createdAt,
    compiler: manifest.compiler,
    model: m,
    preprocess: preprocessJson(manifest.preprocess),
    postprocess: manifest.postprocess,
    quantization: manifest.quantization,
    validation: manifest.validation,
    baseline: b,
    smokeTests: manifest.smokeTests.length,
    runtime: manifest.runtime,
    files: manifest.files,
    signerKeyId: facts.signerKeyId ?? null,
    archiveSha256: facts.archiveSha256,
  };
  return { lines, json };
}
