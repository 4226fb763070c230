import { readFile } from 'node:fs/promises';
import { PreprocessSchema } from '@edgefleet/protocol';
import type { Preprocess } from '@edgefleet/protocol';
import { loadDataset } from '../data/index.js';
import { resolveDataSource } from '../data/data-source.js';
import { CompilerError } from '../errors.js';
import type { OnnxValueSummary } from './model-io.js';
import type { CompileOptions } from './compile-options.js';

function preprocessError(
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): CompilerError {
  return new CompilerError(
    'EF_COMPILE_PREPROCESS',
    message,
    details,
    cause === undefined ? undefined : { cause },
  );
}

async function fromSidecar(path: string): Promise<Preprocess> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw preprocessError(
      `cannot read preprocess file '${path}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { path },
      err,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw preprocessError(
      `preprocess file '${path}' is not JSON: ${(err as Error).message}`,
      { path },
      err,
    );
  }
  const parsed = PreprocessSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw preprocessError(
      `preprocess file '${path}': ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      { path },
    );
  }
  return parsed.data;
}

/** CSV data without a sidecar: the model sees the columns as they are (no scaling). */
async function identityTabular(opts: CompileOptions, input: string): Promise<Preprocess> {
  // The data loader reads the header (quoting, trimming, duplicate names) exactly as it will
  // when the rows are loaded, so the feature names cannot disagree with it.
  const head = await loadDataset(opts.data, {
    kind: 'tabular',
    task: 'regression',
    labelColumn: opts.label,
    maxRows: 1,
  });
  const features = head.kind === 'tabular' ? head.featureNames : [];
  if (features.length === 0) {
    throw preprocessError(`'${opts.data}' has no feature columns besides '${opts.label}'`);
  }
  return { kind: 'tabular', input, features: features.map((name) => ({ name, mean: 0, std: 1 })) };
}

function fromImageOptions(opts: CompileOptions, input: OnnxValueSummary): Preprocess {
  const shape = input.shape ?? [];
  const layout = opts.imageLayout;
  const fixed = (i: number) => (typeof shape[i] === 'number' ? (shape[i] as number) : undefined);
  const width = opts.imageSize?.width ?? fixed(layout === 'nchw' ? 3 : 2);
  const height = opts.imageSize?.height ?? fixed(layout === 'nchw' ? 2 : 1);
  if (width === undefined || height === undefined) {
    throw preprocessError('the model input has no fixed image size: pass --image-size <W>x<H>');
  }
  const channels = fixed(layout === 'nchw' ? 1 : 3) ?? 3;
  if (channels !== 1 && channels !== 3) {
    throw preprocessError(
      `the model input has ${channels} channels in ${layout} layout; images need 1 or 3 (check --image-layout)`,
    );
  }
  const pick = (v: readonly number[]) => (channels === 1 ? [v[0] as number] : [...v]);
  return {
    kind: 'image',
    input: input.name,
    width,
    height,
    fit: 'fill',
    channels,
    layout,
    mean: pick(opts.imageMean),
    std: pick(opts.imageStd),
    scale: 1 / 255,
  };
}

/**
 * The preprocessing the bundle ships and the validation uses: a `--preprocess` sidecar when
 * given; else by the data's form: an image folder takes the `--image-*` options, JSONL feeds
 * tensors as they are, and CSV feeds its columns unscaled.
 */
export async function resolvePreprocess(
  opts: CompileOptions,
  input: OnnxValueSummary,
): Promise<Preprocess> {
  let spec: Preprocess;
  // The data loader decides the data's kind (and refuses a missing path with a coded error).
  const { kind } = await resolveDataSource(opts.data);
  if (opts.preprocess !== undefined) spec = await fromSidecar(opts.preprocess);
  else if (kind === 'images') spec = fromImageOptions(opts, input);
  else if (kind === 'tensor') spec = { kind: 'tensor', input: input.name };
  else spec = await identityTabular(opts, input.name);
  if (spec.input !== input.name) {
    throw preprocessError(
      `the preprocessing feeds input '${spec.input}', but the model's input is '${input.name}'`,
      {
        input: spec.input,
        modelInput: input.name,
      },
    );
  }
  return spec;
}
