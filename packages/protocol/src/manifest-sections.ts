/**
 * The sections of a bundle manifest (DESIGN section 4). Strictness, [P-BD-4]: sections that
 * change what the device computes (model I/O, preprocess, postprocess, baseline, smoke tests,
 * runtime) are strict, because an old agent silently ignoring a new preprocessing field would
 * serve different numbers than the compiler validated. Descriptive sections (compiler,
 * quantization, validation) are loose: extra fields pass through, since they change nothing
 * on the device. Incompatible changes bump `schemaVersion`.
 */
import { z } from 'zod';
import { CountSchema, PositiveIntSchema } from './schema-primitives.js';

/** ONNX element types a bundle may expose at its inputs and outputs. */
export const TENSOR_DTYPES = [
  'float32',
  'float16',
  'int64',
  'int32',
  'uint8',
  'int8',
  'bool',
  'string',
] as const;
export type TensorDtype = (typeof TENSOR_DTYPES)[number];

const TensorNameSchema = z.string().min(1).max(256);

/** A model input or output: name, dtype, shape (number = fixed, string = symbolic, null = unknown). */
export const TensorSpecSchema = z.strictObject({
  name: TensorNameSchema,
  dtype: z.enum(TENSOR_DTYPES),
  shape: z.array(z.union([CountSchema, z.string().min(1).max(64), z.null()])).max(16),
});
export type TensorSpec = z.output<typeof TensorSpecSchema>;

const PositiveNumber = z.number().positive();

const TabularFeatureSchema = z
  .strictObject({
    name: z.string().min(1).max(256),
    impute: z.number().optional(),
    clip: z.tuple([z.number(), z.number()]).optional(),
    mean: z.number(),
    // A zero std would divide by zero on the device; the compiler writes 1 for constants.
    std: PositiveNumber,
  })
  .refine((f) => !f.clip || f.clip[0] <= f.clip[1], {
    message: 'clip min is above clip max',
    path: ['clip'],
  });

/** [P-BD-5] Preprocessing, one definition shared by the compiler's validation and the agent. */
export const PreprocessSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('tabular'),
    input: TensorNameSchema,
    features: z.array(TabularFeatureSchema).min(1).max(4096),
  }),
  z
    .strictObject({
      kind: z.literal('image'),
      input: TensorNameSchema,
      width: PositiveIntSchema.max(8192),
      height: PositiveIntSchema.max(8192),
      fit: z.enum(['fill', 'cover', 'contain']),
      channels: z.union([z.literal(1), z.literal(3)]),
      mean: z.array(z.number()).min(1).max(3),
      std: z.array(PositiveNumber).min(1).max(3),
      layout: z.enum(['nchw', 'nhwc']),
      // Pixel scale applied before mean/std, 1/255 for [0,1] inputs.
      scale: PositiveNumber,
    })
    .refine((p) => p.mean.length === p.channels && p.std.length === p.channels, {
      message: 'mean and std need one entry per channel',
      path: ['mean'],
    }),
  z.strictObject({ kind: z.literal('tensor'), input: TensorNameSchema }),
]);
export type Preprocess = z.output<typeof PreprocessSchema>;

/** Postprocessing. `thresholds`, when present, has one decision threshold per label. */
export const PostprocessSchema = z
  .strictObject({
    task: z.enum(['classification', 'regression']),
    output: TensorNameSchema,
    labels: z.array(z.string().max(256)).max(100_000).optional(),
    /**
     * The output already holds probabilities (the graph ends in Softmax or Sigmoid), so the
     * device must not apply softmax again. Absent or false: the output holds logits.
     */
    outputIsProbabilities: z.boolean().optional(),
    thresholds: z.array(z.number()).max(100_000).optional(),
  })
  .refine(
    (p) => !p.thresholds || (p.labels !== undefined && p.thresholds.length === p.labels.length),
    {
      message: 'thresholds need labels, one threshold per label',
      path: ['thresholds'],
    },
  );
export type Postprocess = z.output<typeof PostprocessSchema>;

/** How the model was quantized (descriptive, loose). */
export const QuantizationSchema = z.looseObject({
  mode: z.enum(['none', 'int8-dynamic', 'int8-static', 'fp16']),
  weightType: z.enum(['int8', 'uint8', 'float16']).optional(),
  perChannel: z.boolean().optional(),
  calibration: z
    .looseObject({ method: z.enum(['minmax', 'percentile', 'entropy']), samples: CountSchema })
    .optional(),
});
export type Quantization = z.output<typeof QuantizationSchema>;

const NonNegative = z.number().min(0);

/** fp32 vs quantized comparison on the evaluation data (descriptive, loose). */
export const ValidationSchema = z.looseObject({
  metric: z.string().min(1).max(64),
  fp32: z.number(),
  quantized: z.number(),
  delta: z.number(),
  top1Agreement: z.number().min(0).max(1).optional(),
  maxAbsError: NonNegative,
  latencyMsFp32: NonNegative,
  latencyMsQuantized: NonNegative,
  bytesFp32: CountSchema,
  bytesQuantized: CountSchema,
  samples: CountSchema,
});
export type Validation = z.output<typeof ValidationSchema>;

const Share = z.number().min(0).max(1);
const SHARE_SUM_TOLERANCE = 1e-6;

function increasing(edges: number[]): boolean {
  return edges.every((e, i) => i === 0 || (edges[i - 1] as number) < e);
}

function sumsToOne(shares: number[]): boolean {
  return (
    Math.abs(shares.reduce((a, b) => a + b, 0) - 1) <= SHARE_SUM_TOLERANCE * shares.length + 1e-9
  );
}

/** [P-BD-6] A histogram: interior edges; bins = edges.length + 1 (underflow and overflow included). */
const histogram = {
  edges: z.array(z.number()).max(1024).refine(increasing, 'edges must be strictly increasing'),
  shares: z.array(Share).min(1).max(1025).refine(sumsToOne, 'shares must sum to 1'),
};
function binsMatch(h: { edges: number[]; shares: number[] }): boolean {
  return h.shares.length === h.edges.length + 1;
}
const BINS_MESSAGE = { message: 'shares need edges.length + 1 entries', path: ['shares'] };

/** The drift baseline the device compares its windows against. */
export const BaselineSchema = z.strictObject({
  windowSize: PositiveIntSchema,
  features: z
    .array(
      z
        .strictObject({
          name: z.string().min(1).max(256),
          ...histogram,
          mean: z.number(),
          std: NonNegative,
          threshold: z.strictObject({
            psi: NonNegative,
            js: NonNegative.optional(),
            ks: NonNegative.optional(),
          }),
        })
        .refine(binsMatch, BINS_MESSAGE),
    )
    .max(4096),
  output: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('classes'), shares: histogram.shares }),
    z.strictObject({ kind: z.literal('histogram'), ...histogram }).refine(binsMatch, BINS_MESSAGE),
  ]),
  rule: z.strictObject({ driftedShare: z.number().gt(0).max(1) }),
});
export type Baseline = z.output<typeof BaselineSchema>;

/** A small dense tensor: dims and row-major data (data.length = product of dims). */
export const TensorDataSchema = z
  .strictObject({ dims: z.array(CountSchema).max(16), data: z.array(z.number()).max(1_000_000) })
  .refine((t) => t.dims.reduce((a, b) => a * b, 1) === t.data.length, {
    message: 'data length is not the product of dims',
    path: ['data'],
  });
export type TensorData = z.output<typeof TensorDataSchema>;

/** A smoke test the agent runs before switching to a bundle. */
export const SmokeTestSchema = z.strictObject({
  inputs: z.record(TensorNameSchema, TensorDataSchema),
  expected: z.record(TensorNameSchema, TensorDataSchema),
  tolerance: z.strictObject({ abs: NonNegative, rel: NonNegative }),
});
export type SmokeTest = z.output<typeof SmokeTestSchema>;

/** CPU architectures a bundle supports. */
export const ARCHITECTURES = ['x64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
