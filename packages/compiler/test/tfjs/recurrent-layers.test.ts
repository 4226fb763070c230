import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';

import { expectMatchesTfjs, sequential } from './tfjs-helpers.js';

/** SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed against model.predict. */

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('recurrent layers', () => {
  for (const returnSequences of [false, true]) {
    for (const goBackwards of [false, true]) {
      const flags = `return_sequences=${returnSequences} go_backwards=${goBackwards}`;
      it(`SimpleRNN ${flags}`, async () => {
        await expectMatchesTfjs(
          sequential([5, 3], [tf.layers.simpleRNN({ units: 4, returnSequences, goBackwards })]),
        );
      });
      it(`LSTM (hard_sigmoid) ${flags}`, async () => {
        await expectMatchesTfjs(
          sequential([5, 3], [tf.layers.lstm({ units: 4, returnSequences, goBackwards })]),
        );
      });
      it(`GRU reset_after=false (hard_sigmoid) ${flags}`, async () => {
        await expectMatchesTfjs(
          sequential([5, 3], [tf.layers.gru({ units: 4, returnSequences, goBackwards })]),
        );
      });
    }
  }
  it('LSTM and GRU with recurrent_activation sigmoid, no bias, relu SimpleRNN', async () => {
    await expectMatchesTfjs(
      sequential(
        [6, 3],
        [
          tf.layers.lstm({ units: 4, recurrentActivation: 'sigmoid', returnSequences: true }),
          tf.layers.gru({
            units: 3,
            recurrentActivation: 'sigmoid',
            useBias: false,
            returnSequences: true,
          }),
          tf.layers.simpleRNN({ units: 2, activation: 'relu' }),
        ],
      ),
    );
  });
});

describe('wrappers', () => {
  for (const mergeMode of ['concat', 'sum', 'ave', 'mul'] as const) {
    it(`Bidirectional(LSTM) merge_mode=${mergeMode}, sequences and last state`, async () => {
      await expectMatchesTfjs(
        sequential(
          [5, 3],
          [
            tf.layers.bidirectional({
              layer: tf.layers.lstm({ units: 4, returnSequences: true }) as never,
              mergeMode,
            }),
            tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3 }) as never, mergeMode }),
          ],
        ),
      );
    });
  }
  it('Bidirectional(SimpleRNN)', async () => {
    await expectMatchesTfjs(
      sequential(
        [5, 3],
        [tf.layers.bidirectional({ layer: tf.layers.simpleRNN({ units: 3 }) as never })],
      ),
    );
  });
  it('TimeDistributed(Dense) and TimeDistributed(Conv2D)', async () => {
    await expectMatchesTfjs(
      sequential(
        [3, 5, 4, 2],
        [
          tf.layers.timeDistributed({
            layer: tf.layers.conv2d({ filters: 2, kernelSize: 2, activation: 'relu' }),
          }),
          tf.layers.timeDistributed({ layer: tf.layers.flatten() }),
          tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3 }) }),
        ],
      ),
    );
  });
});
