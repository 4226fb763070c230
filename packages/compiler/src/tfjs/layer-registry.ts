import type { LayerConverter } from './conversion-context.js';
import {
  convertActivation,
  convertELU,
  convertLeakyReLU,
  convertPReLU,
  convertReLU,
  convertSoftmax,
} from './layers/activations.js';
import {
  convertDense,
  convertFlatten,
  convertIdentity,
  convertPermute,
  convertRepeatVector,
  convertReshape,
} from './layers/core.js';
import {
  convertAdd,
  convertAverage,
  convertConcatenate,
  convertDot,
  convertMaximum,
  convertMinimum,
  convertMultiply,
  convertSubtract,
} from './layers/merge.js';
import {
  convertConv1D,
  convertConv2D,
  convertConv2DTranspose,
  convertDepthwiseConv2D,
  convertSeparableConv2D,
} from './layers/convolution.js';
import {
  convertAveragePooling1D,
  convertAveragePooling2D,
  convertGlobalAveragePooling1D,
  convertGlobalAveragePooling2D,
  convertGlobalMaxPooling1D,
  convertGlobalMaxPooling2D,
  convertMaxPooling1D,
  convertMaxPooling2D,
} from './layers/pooling.js';
import {
  convertCropping2D,
  convertEmbedding,
  convertUpSampling2D,
  convertZeroPadding1D,
  convertZeroPadding2D,
} from './layers/spatial.js';
import {
  convertBidirectional,
  convertGRU,
  convertLSTM,
  convertSimpleRNN,
  makeTimeDistributed,
} from './layers/recurrent.js';
import { convertBatchNormalization, convertLayerNormalization } from './layers/normalization.js';

const converters = new Map<string, LayerConverter>([
  ['Dense', convertDense],
  ['Activation', convertActivation],
  ['ReLU', convertReLU],
  ['LeakyReLU', convertLeakyReLU],
  ['ELU', convertELU],
  ['PReLU', convertPReLU],
  ['Softmax', convertSoftmax],
  ['Dropout', convertIdentity],
  ['SpatialDropout1D', convertIdentity],
  ['SpatialDropout2D', convertIdentity],
  ['GaussianNoise', convertIdentity],
  ['GaussianDropout', convertIdentity],
  ['AlphaDropout', convertIdentity],
  ['Flatten', convertFlatten],
  ['Reshape', convertReshape],
  ['Permute', convertPermute],
  ['RepeatVector', convertRepeatVector],
  ['BatchNormalization', convertBatchNormalization],
  ['LayerNormalization', convertLayerNormalization],
  ['Add', convertAdd],
  ['Subtract', convertSubtract],
  ['Multiply', convertMultiply],
  ['Average', convertAverage],
  ['Maximum', convertMaximum],
  ['Minimum', convertMinimum],
  ['Concatenate', convertConcatenate],
  ['Dot', convertDot],
  ['Conv1D', convertConv1D],
  ['Conv2D', convertConv2D],
  ['DepthwiseConv2D', convertDepthwiseConv2D],
  ['SeparableConv2D', convertSeparableConv2D],
  ['Conv2DTranspose', convertConv2DTranspose],
  ['MaxPooling1D', convertMaxPooling1D],
  ['MaxPooling2D', convertMaxPooling2D],
  ['AveragePooling1D', convertAveragePooling1D],
  ['AveragePooling2D', convertAveragePooling2D],
  ['GlobalAveragePooling1D', convertGlobalAveragePooling1D],
  ['GlobalAveragePooling2D', convertGlobalAveragePooling2D],
  ['GlobalMaxPooling1D', convertGlobalMaxPooling1D],
  ['GlobalMaxPooling2D', convertGlobalMaxPooling2D],
  ['ZeroPadding1D', convertZeroPadding1D],
  ['ZeroPadding2D', convertZeroPadding2D],
  ['Cropping2D', convertCropping2D],
  ['UpSampling2D', convertUpSampling2D],
  ['Embedding', convertEmbedding],
  ['SimpleRNN', convertSimpleRNN],
  ['LSTM', convertLSTM],
  ['GRU', convertGRU],
  ['Bidirectional', convertBidirectional],
]);
converters.set(
  'TimeDistributed',
  makeTimeDistributed((className) => converters.get(className)),
);

/**
 * Keras class name -> converter, one file per layer family under `layers/`. A class missing here
 * is rejected with EF_COMPILE_TFJS_UNSUPPORTED_LAYER; nothing is approximated.
 *
 * @example
 * LAYER_CONVERTERS.has('LSTM'); // true
 */
export const LAYER_CONVERTERS: ReadonlyMap<string, LayerConverter> = converters;
