/**
 * Op types kept in float32 by default, modelled on onnxruntime's
 * `transformers/float16.py` DEFAULT_OP_BLOCK_LIST: ai.onnx.ml operators (no
 * float16 kernels), ops whose float16 versions are missing or slow in the CPU
 * provider, and numerically sensitive ones (Range, CumSum accumulate error;
 * TopK/NonMaxSuppression/RoiAlign compare or index by values that fp16 may tie).
 */
export const DEFAULT_FP16_OP_BLOCK_LIST: readonly string[] = [
  'ArrayFeatureExtractor',
  'Binarizer',
  'CastMap',
  'CategoryMapper',
  'DictVectorizer',
  'FeatureVectorizer',
  'Imputer',
  'LabelEncoder',
  'LinearClassifier',
  'LinearRegressor',
  'Normalizer',
  'OneHotEncoder',
  'RandomUniformLike',
  'SVMClassifier',
  'SVMRegressor',
  'Scaler',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'ZipMap',
  'NonMaxSuppression',
  'TopK',
  'RoiAlign',
  'Range',
  'CumSum',
  'Min',
  'Max',
  'Upsample',
];

/**
 * Inputs that stay float32 even when their node runs in float16, by op type
 * and input index (onnxruntime's float16.py does the same for Resize): Resize's
 * roi and scales are read as float by the CPU kernel whatever the data type.
 */
export const ALWAYS_FLOAT32_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Resize: [1, 2],
};
