import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';

import { expectMatchesTfjs, sequential } from './tfjs-helpers.js';

/** Convolution, pooling and spatial layers: NHWC kept at the edges, Transposes around Conv/Pool. */

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('convolution layers', () => {
  it('Conv2D same/valid, strides, dilation', async () => {
    await expectMatchesTfjs(
      sequential(
        [9, 8, 3],
        [
          tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.conv2d({ filters: 5, kernelSize: [2, 3], strides: 2, padding: 'same' }),
          tf.layers.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, padding: 'same' }),
          tf.layers.conv2d({ filters: 2, kernelSize: 2, padding: 'valid', useBias: false }),
        ],
      ),
    );
  });
  it('Conv1D same/valid/strided', async () => {
    await expectMatchesTfjs(
      sequential(
        [10, 3],
        [
          tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same' }),
          tf.layers.conv1d({ filters: 2, kernelSize: 2, strides: 2 }),
        ],
      ),
    );
  });
  it('DepthwiseConv2D and SeparableConv2D', async () => {
    await expectMatchesTfjs(
      sequential(
        [7, 7, 3],
        [
          tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
          tf.layers.separableConv2d({
            filters: 4,
            kernelSize: 3,
            depthMultiplier: 2,
            activation: 'tanh',
          }),
        ],
      ),
    );
  });
  it('Conv2DTranspose valid and same with strides', async () => {
    await expectMatchesTfjs(
      sequential(
        [4, 5, 3],
        [
          tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'valid' }),
          tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
        ],
      ),
    );
  });
});

describe('pooling and spatial layers', () => {
  it('MaxPooling2D, AveragePooling2D (same and valid), GlobalMax/AveragePooling2D', async () => {
    const a = tf.input({ shape: [7, 6, 3] });
    const p1 = tf.layers
      .maxPooling2d({ poolSize: 2, padding: 'same' })
      .apply(a) as tf.SymbolicTensor;
    const p2 = tf.layers
      .averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })
      .apply(p1) as tf.SymbolicTensor;
    const p3 = tf.layers.averagePooling2d({ poolSize: 2 }).apply(a) as tf.SymbolicTensor;
    const g1 = tf.layers.globalMaxPooling2d({}).apply(p2) as tf.SymbolicTensor;
    const g2 = tf.layers.globalAveragePooling2d({}).apply(p3) as tf.SymbolicTensor;
    await expectMatchesTfjs(tf.model({ inputs: a, outputs: [p2, g1, g2] }));
  });
  it('MaxPooling1D, AveragePooling1D, GlobalMax/AveragePooling1D', async () => {
    const a = tf.input({ shape: [9, 3] });
    const p1 = tf.layers
      .maxPooling1d({ poolSize: 2, padding: 'same' })
      .apply(a) as tf.SymbolicTensor;
    const p2 = tf.layers
      .averagePooling1d({ poolSize: 3, strides: 1 })
      .apply(p1) as tf.SymbolicTensor;
    const g1 = tf.layers.globalMaxPooling1d().apply(p2) as tf.SymbolicTensor;
    const g2 = tf.layers.globalAveragePooling1d().apply(a) as tf.SymbolicTensor;
    await expectMatchesTfjs(tf.model({ inputs: a, outputs: [p2, g1, g2] }));
  });
  it('ZeroPadding2D, Cropping2D, UpSampling2D', async () => {
    const a = tf.input({ shape: [5, 4, 2] });
    const z = tf.layers
      .zeroPadding2d({
        padding: [
          [1, 2],
          [0, 3],
        ],
      })
      .apply(a) as tf.SymbolicTensor;
    const c = tf.layers
      .cropping2D({
        cropping: [
          [1, 0],
          [2, 1],
        ],
      })
      .apply(z) as tf.SymbolicTensor;
    const u = tf.layers.upSampling2d({ size: [2, 3] }).apply(c) as tf.SymbolicTensor;
    await expectMatchesTfjs(tf.model({ inputs: a, outputs: u }));
  });
  it('Embedding (float indices, as TF.js feeds them)', async () => {
    await expectMatchesTfjs(
      sequential([5], [tf.layers.embedding({ inputDim: 10, outputDim: 3 }), tf.layers.flatten()]),
      { intRange: 10 },
    );
  });
});
