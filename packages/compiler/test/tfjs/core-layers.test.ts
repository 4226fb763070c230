import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';

import { expectMatchesTfjs, randomizeWeights, sequential } from './tfjs-helpers.js';

/** Dense, activations, element-wise and shape layers: converted model vs model.predict. */

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ACTIVATIONS = [
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
  'swish',
  'gelu',
  'linear',
  'mish',
  'gelu_new',
] as const;

describe('Dense with every activation argument', () => {
  for (const activation of ACTIVATIONS) {
    it(activation, async () => {
      const model = sequential(
        [6],
        [tf.layers.dense({ units: 5, activation: activation as never })],
      );
      await expectMatchesTfjs(model, { scale: 4 });
    });
  }
  it('no bias, rank-3 input', async () => {
    await expectMatchesTfjs(sequential([4, 6], [tf.layers.dense({ units: 3, useBias: false })]));
  });
});

describe('Sequential without an InputLayer (first layer carries batch_input_shape)', () => {
  it('converts', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu' }),
        tf.layers.dense({ units: 2 }),
      ],
    });
    randomizeWeights(model);
    await expectMatchesTfjs(model);
  });
});

describe('activation layers', () => {
  it('Activation, ReLU (plain and max_value), LeakyReLU, ELU, Softmax', async () => {
    await expectMatchesTfjs(
      sequential(
        [4, 5],
        [
          tf.layers.activation({ activation: 'tanh' }),
          tf.layers.dense({ units: 5 }),
          tf.layers.reLU(),
          tf.layers.dense({ units: 5 }),
          tf.layers.reLU({ maxValue: 0.4 }),
          tf.layers.dense({ units: 5 }),
          tf.layers.leakyReLU({ alpha: 0.2 }),
          tf.layers.elu(),
          tf.layers.softmax({ axis: -1 }),
        ],
      ),
      { scale: 3 },
    );
  });
  it('PReLU (with shared axes)', async () => {
    await expectMatchesTfjs(
      sequential([4, 5], [tf.layers.prelu(), tf.layers.prelu({ sharedAxes: [1] })]),
    );
  });
});

describe('identity, shape and normalization layers', () => {
  it('Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout are identity', async () => {
    await expectMatchesTfjs(
      sequential(
        [4, 3],
        [
          tf.layers.dropout({ rate: 0.5 }),
          tf.layers.spatialDropout1d({ rate: 0.5 }),
          tf.layers.gaussianNoise({ stddev: 1 }),
          tf.layers.gaussianDropout({ rate: 0.5 }),
          tf.layers.dense({ units: 2 }),
        ],
      ),
    );
  });
  it('Flatten, Reshape, Permute, RepeatVector', async () => {
    await expectMatchesTfjs(
      sequential(
        [2, 3, 4],
        [
          tf.layers.permute({ dims: [3, 1, 2] }),
          tf.layers.flatten(),
          tf.layers.reshape({ targetShape: [6, 4] }),
          tf.layers.dense({ units: 3 }),
          tf.layers.flatten(),
          tf.layers.repeatVector({ n: 2 }),
        ],
      ),
    );
  });
  it('BatchNormalization (last axis, with and without center)', async () => {
    await expectMatchesTfjs(
      sequential(
        [3, 4],
        [
          tf.layers.batchNormalization(),
          tf.layers.batchNormalization({ epsilon: 0.01, center: false }),
        ],
      ),
      { scale: 3 },
    );
  });
  it('LayerNormalization (last axis)', async () => {
    await expectMatchesTfjs(sequential([3, 4], [tf.layers.layerNormalization()]), { scale: 3 });
  });
  it('LayerNormalization (axes 1 and 2, no center)', async () => {
    await expectMatchesTfjs(
      sequential([3, 4], [tf.layers.layerNormalization({ axis: [1, 2], center: false })]),
      { scale: 3 },
    );
  });
});

describe('merge layers in a functional model (several inputs and outputs, a shared layer)', () => {
  it('Add, Multiply, Average, Maximum, Minimum, Concatenate, Dot', async () => {
    const a = tf.input({ shape: [4], name: 'a' });
    const b = tf.input({ shape: [4], name: 'b' });
    const shared = tf.layers.dense({ units: 4, name: 'shared' });
    const sa = shared.apply(a) as tf.SymbolicTensor;
    const sb = shared.apply(b) as tf.SymbolicTensor;
    const merged = [
      tf.layers.add().apply([sa, sb, a]),
      tf.layers.multiply().apply([sa, sb]),
      tf.layers.average().apply([sa, sb]),
      tf.layers.maximum().apply([sa, sb]),
      tf.layers.minimum().apply([sa, sb]),
      tf.layers.dot({ axes: 1 }).apply([sa, sb]),
    ] as tf.SymbolicTensor[];
    const concat = tf.layers.concatenate({ name: 'concat' }).apply(merged) as tf.SymbolicTensor;
    const out2 = tf.layers
      .dense({ units: 2, activation: 'softmax', name: 'head' })
      .apply(concat) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [a, b], outputs: [concat, out2] });
    randomizeWeights(model);
    await expectMatchesTfjs(model);
  });
  it('Dot on rank-3 inputs and Concatenate on axis 1', async () => {
    const a = tf.input({ shape: [3, 4] });
    const b = tf.input({ shape: [5, 4] });
    const c = tf.input({ shape: [3, 5] });
    const d1 = tf.layers.dot({ axes: [2, 2] }).apply([a, b]) as tf.SymbolicTensor; // [3, 5]
    const d2 = tf.layers.dot({ axes: [1, 1] }).apply([a, c]) as tf.SymbolicTensor; // [4, 5]
    const cat = tf.layers.concatenate({ axis: 1 }).apply([d1, d2]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [a, b, c], outputs: cat });
    await expectMatchesTfjs(model);
  });
});
