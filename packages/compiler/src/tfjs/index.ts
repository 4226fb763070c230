/** TF.js Layers (model.json + weight shards) -> ONNX converter. */
export { TFJS_ERROR_CODES, TfjsError } from './tfjs-errors.js';
export type { TfjsErrorCode } from './tfjs-errors.js';
export {
  MAX_MODEL_JSON_BYTES,
  MAX_WEIGHT_BYTES,
  parseLayersTopology,
  readLayersModel,
} from './read-layers-model.js';
export type { LayersModelArtifacts, LayersTopology, LayersWeight } from './read-layers-model.js';
export { MAX_LAYERS, TFJS_ONNX_OPSET, convertLayersModel } from './convert-layers-model.js';
export type { LayersConversionReport, LayersConversionResult } from './convert-layers-model.js';
export { LAYER_CONVERTERS } from './layer-registry.js';
export { layerOutputShape } from './output-shapes.js';
