import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { writeOnnxModel } from '../../src/onnx/index.js';
import { convertLayersModel } from '../../src/tfjs/index.js';
import {
  maxAbsDiff,
  randomArray,
  runOnnx,
  sequentialTopology,
  tempDir,
  writeModelFolder,
} from './tfjs-helpers.js';

/**
 * Layers and arguments TF.js cannot run (causal Conv1D, GRU reset_after=true, Keras-only
 * layers): checked against plain TypeScript implementations of their definitions.
 */

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

describe('causal Conv1D', () => {
  it('matches a reference causal convolution (dilation 2)', async () => {
    const [B, T, C, F, K, D] = [2, 7, 3, 4, 3, 2];
    const kernel = randomArray(K * C * F, 11);
    const bias = randomArray(F, 12);
    const file = writeModelFolder(
      dir,
      sequentialTopology(
        [null, T, C],
        [
          {
            class_name: 'Conv1D',
            config: {
              name: 'conv',
              filters: F,
              kernel_size: [K],
              strides: [1],
              padding: 'causal',
              dilation_rate: [D],
              activation: 'linear',
              use_bias: true,
              data_format: 'channels_last',
            },
          },
        ],
      ),
      [
        { name: 'conv/kernel', shape: [K, C, F], data: kernel },
        { name: 'conv/bias', shape: [F], data: bias },
      ],
    );
    const x = randomArray(B * T * C, 13);
    const [y] = await runOnnx(writeOnnxModel(convertLayersModel(file).model), {
      input: { data: x, dims: [B, T, C] },
    });
    // y[b, t, f] = bias[f] + sum_k sum_c x[b, t - D*(K-1-k), c] * kernel[k, c, f], zero before t=0.
    const expected = new Float32Array(B * T * F);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        for (let f = 0; f < F; f++) {
          let sum = bias[f] as number;
          for (let k = 0; k < K; k++) {
            const src = t - D * (K - 1 - k);
            if (src < 0) continue;
            for (let c = 0; c < C; c++)
              sum += (x[(b * T + src) * C + c] as number) * (kernel[(k * C + c) * F + f] as number);
          }
          expected[(b * T + t) * F + f] = sum;
        }
    expect(y?.dims).toEqual([B, T, F]);
    expect(maxAbsDiff(y?.data ?? [], expected)).toBeLessThanOrEqual(1e-5);
  });
});

describe('GRU reset_after=true (Keras 2 default)', () => {
  for (const returnSequences of [false, true]) {
    it(`matches the GRU equations, return_sequences=${returnSequences}`, async () => {
      const [B, T, I, U] = [2, 5, 3, 4];
      const kernel = randomArray(I * 3 * U, 21, 0.6);
      const recurrent = randomArray(U * 3 * U, 22, 0.6);
      const bias = randomArray(2 * 3 * U, 23, 0.6);
      const file = writeModelFolder(
        dir,
        sequentialTopology(
          [null, T, I],
          [
            {
              class_name: 'GRU',
              config: {
                name: 'gru',
                units: U,
                activation: 'tanh',
                recurrent_activation: 'sigmoid',
                use_bias: true,
                reset_after: true,
                return_sequences: returnSequences,
                go_backwards: false,
                stateful: false,
              },
            },
          ],
        ),
        [
          { name: 'gru/gru_cell/kernel', shape: [I, 3 * U], data: kernel },
          { name: 'gru/gru_cell/recurrent_kernel', shape: [U, 3 * U], data: recurrent },
          { name: 'gru/gru_cell/bias', shape: [2, 3 * U], data: bias },
        ],
      );
      const x = randomArray(B * T * I, 24);
      const [y] = await runOnnx(writeOnnxModel(convertLayersModel(file).model), {
        input: { data: x, dims: [B, T, I] },
      });
      // Keras GRUCell(reset_after=True): gates z, r, h; the reset gate multiplies the recurrent
      // projection including its bias: hh = tanh(x Wh + bi_h + r * (h Uh + br_h)).
      const expected: number[] = [];
      const seq: number[][][] = [];
      for (let b = 0; b < B; b++) {
        let h = new Array<number>(U).fill(0);
        const steps: number[][] = [];
        for (let t = 0; t < T; t++) {
          const xin = (g: number, j: number): number => {
            let s = bias[g * U + j] as number;
            for (let i = 0; i < I; i++)
              s += (x[(b * T + t) * I + i] as number) * (kernel[i * 3 * U + g * U + j] as number);
            return s;
          };
          const hin = (g: number, j: number): number => {
            let s = bias[3 * U + g * U + j] as number;
            for (let k = 0; k < U; k++)
              s += (h[k] as number) * (recurrent[k * 3 * U + g * U + j] as number);
            return s;
          };
          h = h.map((prev, j) => {
            const z = sigmoid(xin(0, j) + hin(0, j));
            const r = sigmoid(xin(1, j) + hin(1, j));
            const hh = Math.tanh(xin(2, j) + r * hin(2, j));
            return z * prev + (1 - z) * hh;
          });
          steps.push(h);
        }
        seq.push(steps);
      }
      for (let b = 0; b < B; b++) {
        if (returnSequences) for (const step of seq[b] ?? []) expected.push(...step);
        else expected.push(...(seq[b]?.[T - 1] ?? []));
      }
      expect(y?.dims).toEqual(returnSequences ? [B, T, U] : [B, U]);
      expect(maxAbsDiff(y?.data ?? [], expected)).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe('Keras-only layers (not in TF.js)', () => {
  it('ZeroPadding1D and Subtract in a functional model', async () => {
    const [B, T, C] = [2, 4, 3];
    const topology = {
      class_name: 'Functional',
      config: {
        name: 'handmade',
        layers: [
          {
            name: 'a',
            class_name: 'InputLayer',
            config: { batch_input_shape: [null, T, C], dtype: 'float32', name: 'a' },
            inbound_nodes: [],
          },
          {
            name: 'b',
            class_name: 'InputLayer',
            config: { batch_input_shape: [null, T + 3, C], dtype: 'float32', name: 'b' },
            inbound_nodes: [],
          },
          {
            name: 'pad',
            class_name: 'ZeroPadding1D',
            config: { name: 'pad', padding: [1, 2] },
            inbound_nodes: [[['a', 0, 0, {}]]],
          },
          {
            name: 'sub',
            class_name: 'Subtract',
            config: { name: 'sub' },
            inbound_nodes: [
              [
                ['pad', 0, 0, {}],
                ['b', 0, 0, {}],
              ],
            ],
          },
        ],
        input_layers: [
          ['a', 0, 0],
          ['b', 0, 0],
        ],
        output_layers: [['sub', 0, 0]],
      },
    };
    const file = writeModelFolder(dir, topology, []);
    const a = randomArray(B * T * C, 31);
    const b = randomArray(B * (T + 3) * C, 32);
    const [y] = await runOnnx(writeOnnxModel(convertLayersModel(file).model), {
      a: { data: a, dims: [B, T, C] },
      b: { data: b, dims: [B, T + 3, C] },
    });
    const expected = new Float32Array(B * (T + 3) * C);
    for (let n = 0; n < B; n++)
      for (let t = 0; t < T + 3; t++)
        for (let c = 0; c < C; c++) {
          const src = t - 1;
          const padded = src >= 0 && src < T ? (a[(n * T + src) * C + c] as number) : 0;
          const i = (n * (T + 3) + t) * C + c;
          expected[i] = padded - (b[i] as number);
        }
    expect(y?.dims).toEqual([B, T + 3, C]);
    expect(maxAbsDiff(y?.data ?? [], expected)).toBeLessThanOrEqual(1e-6);
  });
});
