/**
 * Preprocessing specs as the bundle manifest states them.
 *
 * Local stand-ins: they will be replaced by the types inferred from the protocol package's
 * manifest schema, which has the same shape. Keep them structurally identical to that schema.
 */

/** One tabular feature: how a raw value becomes the model's float. */
export interface TabularFeatureSpec {
  name: string;
  /** Replaces a missing, null, empty-string or NaN value (in raw units, before clip and scale). */
  impute?: number;
  /** Inclusive [low, high] bounds applied after imputation, before scaling. */
  clip?: [number, number];
  mean: number;
  /** 0 is treated as 1 (a constant feature in the training data), like sklearn's StandardScaler. */
  std: number;
}

/** Rows of numbers (or a record by feature name) -> float32 [N, F]. */
export interface TabularPreprocessSpec {
  kind: 'tabular';
  /** The model input this tensor feeds. */
  input: string;
  /** Feature order = column order of the model's input. */
  features: TabularFeatureSpec[];
}

/** Encoded JPEG/PNG/WebP images -> float32 [N, C, H, W] or [N, H, W, C]. */
export interface ImagePreprocessSpec {
  kind: 'image';
  input: string;
  width: number;
  height: number;
  fit: 'fill' | 'cover' | 'contain';
  channels: 3 | 1;
  layout: 'nchw' | 'nhwc';
  /** Per channel, applied to pixel * scale. */
  mean: number[];
  /** Per channel, applied to pixel * scale. */
  std: number[];
  /** Multiplies the 0..255 pixel before mean/std; default 1/255 (the manifest always sets it). */
  scale?: number;
}

/** Nested numeric arrays, one per sample, shaped like the model input without its batch dim. */
export interface TensorPreprocessSpec {
  kind: 'tensor';
  input: string;
}

export type PreprocessSpec = TabularPreprocessSpec | ImagePreprocessSpec | TensorPreprocessSpec;

/** A dense float32 tensor ready to feed to a model input. */
export interface PreprocessedTensor {
  data: Float32Array;
  dims: number[];
}

/**
 * A model input's shape as onnxruntime reports it: numbers are fixed sizes, strings are
 * symbolic dims (any positive size). The first dim is the batch dim.
 */
export type ModelInputShape = ReadonlyArray<number | string>;
