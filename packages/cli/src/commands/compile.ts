import { compile, QUANTIZE_MODES, CALIBRATION_METHODS } from '@edgefleet/compiler';
import type { CompileOptionsInput, CompileResult } from '@edgefleet/compiler';
import type { CommandContext, CommandSpec } from '../command.js';
import { CliError } from '../errors.js';
import { flag, oneOf, optionalString, requiredString } from '../option-values.js';
import { printResult } from '../output.js';
import { terminalProgress } from '../progress.js';

function triple(ctx: CommandContext, name: string): [number, number, number] | undefined {
  const text = optionalString(ctx, name);
  if (text === undefined) return undefined;
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || !parts.every(Number.isFinite)) {
    throw new CliError('EF_CLI_USAGE', `--${name} must be three numbers r,g,b (got '${text}')`);
  }
  return parts as [number, number, number];
}

function imageSize(ctx: CommandContext): { width: number; height: number } | undefined {
  const text = optionalString(ctx, 'image-size');
  if (text === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m)
    throw new CliError('EF_CLI_USAGE', `--image-size must be <W>x<H>, e.g. 64x64 (got '${text}')`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

function numberOption(ctx: CommandContext, name: string): number | undefined {
  const text = optionalString(ctx, name);
  if (text === undefined) return undefined;
  const value = Number(text.replace(/%$/, ''));
  if (!Number.isFinite(value))
    throw new CliError('EF_CLI_USAGE', `--${name} must be a number (got '${text}')`);
  return value;
}

function perChannel(ctx: CommandContext): boolean {
  if (flag(ctx, 'per-channel') && flag(ctx, 'per-tensor')) {
    throw new CliError('EF_CLI_USAGE', '--per-channel and --per-tensor exclude each other');
  }
  return !flag(ctx, 'per-tensor');
}

function pct(x: number | undefined): string {
  return x === undefined ? '-' : `${(x * 100).toFixed(2)}%`;
}

function humanLines(r: CompileResult): string[] {
  const v = r.validation;
  const lines = [
    `wrote ${r.bundle.path} (${r.bundle.bytes} bytes, sha256 ${r.bundle.archiveSha256.slice(0, 16)}...)`,
    `  model     ${r.name}@${r.version}, quantization ${r.quantization.mode}, signed by ${r.bundle.keyId.slice(0, 16)}...`,
    `  size      fp32 ${v.bytesFp32} bytes -> ${v.bytesQuantized} bytes (${(v.bytesQuantized / v.bytesFp32).toFixed(2)}x)`,
    `  latency   batch-1 p50 fp32 ${v.latencyMsFp32.toFixed(3)} ms -> ${v.latencyMsQuantized.toFixed(3)} ms`,
  ];
  if (v.metric === 'accuracy') {
    lines.push(
      `  accuracy  fp32 ${pct(v.fp32)} -> ${pct(v.quantized)} (top-1 agreement ${pct(v.top1Agreement)})`,
    );
  } else {
    lines.push(
      `  ${v.metric.padEnd(9)} fp32 ${v.fp32.toPrecision(5)} -> ${v.quantized.toPrecision(5)}`,
    );
  }
  lines.push(`  gate      ${r.gate.message}`);
  if (r.candidates.length > 1) {
    for (const c of r.candidates) {
      const size = c.bytes === undefined ? '' : ` ${c.bytes} bytes,`;
      const latency = c.latencyMs === undefined ? '' : ` ${c.latencyMs.toFixed(3)} ms,`;
      lines.push(`  ${c.chosen ? 'chosen' : 'tried '}    ${c.mode}:${size}${latency} ${c.reason}`);
    }
  }
  for (const note of r.notes) lines.push(`  note      ${note}`);
  if (r.report !== undefined) lines.push(`  report    ${r.report}`);
  return lines;
}

export const compileCommand: CommandSpec = {
  path: ['compile'],
  summary: 'Quantize, validate and sign a model into a bundle (.efb)',
  description: [
    'Reads an ONNX model, simplifies it, quantizes it, runs the fp32 and the quantized model on the',
    'evaluation data in onnxruntime, and writes a signed bundle only when the metric drops no more',
    'than --max-drop. Data: a CSV (feature columns in the model input order, plus the label column),',
    'a JSONL file ({"input": [...], "label": k} per line), or a folder of images with one subfolder',
    'per class. Tabular scaling comes from --preprocess (a preprocess.json next to the data).',
  ].join('\n'),
  options: {
    data: {
      type: 'string',
      valueName: 'calibration',
      description: 'Calibration data (drift baseline, static quantization)',
    },
    eval: {
      type: 'string',
      valueName: 'evaluation',
      description: 'Evaluation data for the fp32-vs-quantized check',
    },
    quantize: {
      type: 'string',
      valueName: QUANTIZE_MODES.join('|'),
      description:
        'Quantization mode; auto tries each and keeps the smallest within the gate and faster than fp32',
      defaultText: 'auto',
    },
    key: {
      type: 'string',
      valueName: 'release.key',
      description: 'Release private key that signs the bundle',
    },
    name: { type: 'string', valueName: 'name', description: 'Bundle name, a lowercase slug' },
    version: { type: 'string', valueName: 'semver', description: 'Bundle version, e.g. 1.0.0' },
    out: { type: 'string', valueName: 'bundle.efb', description: 'Where to write the bundle' },
    preprocess: {
      type: 'string',
      valueName: 'preprocess.json',
      description: 'Preprocessing spec (tabular scaling, image options)',
    },
    label: {
      type: 'string',
      valueName: 'column',
      description: 'Label column of CSV data',
      defaultText: 'label',
    },
    task: {
      type: 'string',
      valueName: 'classification|regression',
      description: 'Task',
      defaultText: 'from the model output',
    },
    'max-drop': {
      type: 'string',
      valueName: 'points',
      description: 'Allowed accuracy drop in points, or % relative MSE',
      defaultText: '1.0 / 5%',
    },
    calibration: {
      type: 'string',
      valueName: CALIBRATION_METHODS.join('|'),
      description: 'Activation calibration (int8-static)',
      defaultText: 'minmax',
    },
    'per-channel': {
      type: 'boolean',
      description: 'One weight scale per output channel (the default)',
    },
    'per-tensor': { type: 'boolean', description: 'One weight scale per weight tensor instead' },
    'image-size': { type: 'string', valueName: 'WxH', description: 'Resize images to this size' },
    'image-layout': {
      type: 'string',
      valueName: 'nchw|nhwc',
      description: 'Image tensor layout',
      defaultText: 'nchw',
    },
    'image-mean': {
      type: 'string',
      valueName: 'r,g,b',
      description: 'Mean subtracted from RGB in [0,1]',
      defaultText: '0,0,0',
    },
    'image-std': {
      type: 'string',
      valueName: 'r,g,b',
      description: 'Std dividing RGB in [0,1]',
      defaultText: '1,1,1',
    },
    'window-size': {
      type: 'string',
      valueName: 'n',
      description: 'Drift window size the thresholds are computed for',
      defaultText: '500',
    },
    report: {
      type: 'string',
      valueName: 'report.html',
      description: 'Also write the HTML report here',
    },
    json: { type: 'boolean', description: 'Print the result as JSON' },
  },
  positionals: [{ name: 'model', description: 'model.onnx', required: true }],
  examples: [
    'edgefleet compile fixtures/models/pm-mlp.onnx --data fixtures/data/pm/calibration.csv --eval fixtures/data/pm/eval.csv \\\n    --preprocess fixtures/data/pm/preprocess.json --quantize int8 --key keys/release.key --name pm --version 1.0.0 --out pm.efb',
  ],
  async run(ctx) {
    const input: CompileOptionsInput = {
      model: ctx.positionals[0] as string,
      data: requiredString(ctx, 'data'),
      eval: requiredString(ctx, 'eval'),
      out: requiredString(ctx, 'out'),
      name: requiredString(ctx, 'name'),
      version: requiredString(ctx, 'version'),
      releaseKey: requiredString(ctx, 'key'),
      quantize: oneOf(ctx, 'quantize', QUANTIZE_MODES, 'auto'),
      calibration: oneOf(ctx, 'calibration', CALIBRATION_METHODS, 'minmax'),
      perChannel: perChannel(ctx),
      imageLayout: oneOf(ctx, 'image-layout', ['nchw', 'nhwc'] as const, 'nchw'),
    };
    const label = optionalString(ctx, 'label');
    if (label !== undefined) input.label = label;
    const task = optionalString(ctx, 'task');
    if (task !== undefined)
      input.task = oneOf(ctx, 'task', ['classification', 'regression'] as const);
    const maxDrop = numberOption(ctx, 'max-drop');
    if (maxDrop !== undefined) input.maxDrop = maxDrop;
    const windowSize = numberOption(ctx, 'window-size');
    if (windowSize !== undefined) input.windowSize = windowSize;
    const preprocess = optionalString(ctx, 'preprocess');
    if (preprocess !== undefined) input.preprocess = preprocess;
    const size = imageSize(ctx);
    if (size !== undefined) input.imageSize = size;
    const mean = triple(ctx, 'image-mean');
    if (mean !== undefined) input.imageMean = mean;
    const std = triple(ctx, 'image-std');
    if (std !== undefined) input.imageStd = std;
    const report = optionalString(ctx, 'report');
    if (report !== undefined) input.report = report;
    const progress = terminalProgress(ctx.io, ctx.io.isTTY && !ctx.json);
    try {
      const result = await compile(input, { onProgress: progress.update });
      progress.done();
      printResult(ctx, { result }, humanLines(result));
    } finally {
      progress.done();
    }
  },
};
