/**
 * The bundle manifest (`manifest.json`), the document a bundle's one signature covers.
 */
import { z } from 'zod';
import {
  ARCHITECTURES,
  BaselineSchema,
  PostprocessSchema,
  PreprocessSchema,
  QuantizationSchema,
  SmokeTestSchema,
  TensorSpecSchema,
  ValidationSchema,
} from './manifest-sections.js';
import { parseJson } from './parse-json.js';
import {
  CountSchema,
  ModelNameSchema,
  SemverStringSchema,
  Sha256HexSchema,
  TimestampSchema,
} from './schema-primitives.js';

/** [P-BD-1] The files of a `.efb` bundle. */
export const bundleFileNames = {
  manifest: 'manifest.json',
  model: 'model.onnx',
  signature: 'signature.json',
  report: 'report.html',
} as const;

/** Size cap of `manifest.json` (baselines and smoke tests make it bigger than a message). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The manifest schema version this package reads and writes. */
export const MANIFEST_SCHEMA_VERSION = 1;

// [P-BD-3] a bundle path: relative, '/'-separated, no '..', '.', empty segments or backslashes
// (extraction treats the tar as hostile; the manifest must not name what extraction refuses).
const BundlePathSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/,
    'expected a relative path',
  )
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'path has a . or .. segment');

/** [P-BD-4] The manifest. Strict at the top level: unknown sections are refused. */
export const ManifestSchema = z
  .strictObject({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
    name: ModelNameSchema,
    version: SemverStringSchema,
    createdAt: TimestampSchema,
    compiler: z.looseObject({
      name: z.string().min(1).max(64),
      version: z.string().min(1).max(64),
    }),
    model: z.strictObject({
      file: z.literal(bundleFileNames.model),
      sha256: Sha256HexSchema,
      bytes: CountSchema,
      opset: z.number().int().min(1).max(1000),
      inputs: z.array(TensorSpecSchema).min(1).max(64),
      outputs: z.array(TensorSpecSchema).min(1).max(64),
    }),
    preprocess: PreprocessSchema,
    postprocess: PostprocessSchema,
    quantization: QuantizationSchema,
    validation: ValidationSchema,
    baseline: BaselineSchema,
    smokeTests: z.array(SmokeTestSchema).max(64),
    runtime: z.strictObject({
      onnxruntime: SemverStringSchema,
      architectures: z
        .array(z.enum(ARCHITECTURES))
        .min(1)
        .refine((a) => new Set(a).size === a.length, 'architecture listed twice'),
    }),
    files: z.record(BundlePathSchema, Sha256HexSchema),
  })
  .superRefine((m, ctx) => {
    const inputs = new Set(m.model.inputs.map((t) => t.name));
    const outputs = new Set(m.model.outputs.map((t) => t.name));
    if (!inputs.has(m.preprocess.input)) {
      ctx.addIssue({ code: 'custom', path: ['preprocess', 'input'], message: 'not a model input' });
    }
    if (!outputs.has(m.postprocess.output)) {
      ctx.addIssue({
        code: 'custom',
        path: ['postprocess', 'output'],
        message: 'not a model output',
      });
    }
    // [P-BD-3] files covers every file but the manifest and its signature, model included.
    if (m.files[bundleFileNames.model] !== m.model.sha256) {
      ctx.addIssue({
        code: 'custom',
        path: ['files', bundleFileNames.model],
        message: 'must equal model.sha256',
      });
    }
    for (const own of [bundleFileNames.manifest, bundleFileNames.signature]) {
      if (Object.hasOwn(m.files, own)) {
        ctx.addIssue({ code: 'custom', path: ['files', own], message: 'cannot list itself' });
      }
    }
    m.smokeTests.forEach((t, i) => {
      for (const name of Object.keys(t.inputs)) {
        if (!inputs.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['smokeTests', i, 'inputs', name],
            message: 'not a model input',
          });
        }
      }
      for (const name of Object.keys(t.expected)) {
        if (!outputs.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['smokeTests', i, 'expected', name],
            message: 'not a model output',
          });
        }
      }
    });
  });
export type Manifest = z.output<typeof ManifestSchema>;

/**
 * Parses `manifest.json` (bytes, text or a parsed value). Throws `EF_PROTO_TOO_LARGE`,
 * `EF_PROTO_JSON` or `EF_PROTO_SCHEMA` (naming the path). Verify the signature over the same
 * input with `verifyBundleSignature`, not over the parsed value.
 *
 * @example
 * const manifest = parseManifest(readFileSync('manifest.json'));
 */
export function parseManifest(input: unknown): Manifest {
  return parseJson(input, ManifestSchema, 'manifest', { maxBytes: MAX_MANIFEST_BYTES });
}
