import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  TFJS_ERROR_CODES,
  TfjsError,
  convertLayersModel,
  readLayersModel,
} from '../../src/tfjs/index.js';
import { randomArray, sequentialTopology, tempDir, writeModelFolder } from './tfjs-helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

function caught(fn: () => unknown): TfjsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TfjsError);
    return err as TfjsError;
  }
  throw new Error('expected a TfjsError');
}

const dense = {
  class_name: 'Dense',
  config: { name: 'fc', units: 2, activation: 'linear', use_bias: true },
};
const denseWeights = [
  { name: 'fc/kernel', shape: [3, 2], data: randomArray(6, 1) },
  { name: 'fc/bias', shape: [2], data: randomArray(2, 2) },
];

describe('TFJS_ERROR_CODES', () => {
  it('are sentences with a capital letter and a full stop', () => {
    for (const [code, text] of Object.entries(TFJS_ERROR_CODES)) {
      expect(code).toMatch(/^EF_COMPILE_TFJS_[A-Z_]+$/);
      expect(text).toMatch(/^[A-Z].*\.$/);
    }
  });
});

describe('rejects unsupported layers and arguments', () => {
  it('an unknown layer class, naming the layer, its class and the argument', () => {
    const file = writeModelFolder(
      dir,
      sequentialTopology([null, 3], [{ class_name: 'Lambda', config: { name: 'lam' } }]),
      [],
    );
    const err = caught(() => convertLayersModel(file));
    expect(err.code).toBe('EF_COMPILE_TFJS_UNSUPPORTED_LAYER');
    expect(err.message).toContain("'lam'");
    expect(err.message).toContain('Lambda');
    expect(err.details).toMatchObject({
      layer: 'lam',
      className: 'Lambda',
      argument: 'class_name',
    });
  });
  it('an unknown activation', () => {
    const file = writeModelFolder(
      dir,
      sequentialTopology(
        [null, 3],
        [{ ...dense, config: { ...dense.config, activation: 'crelu' } }],
      ),
      denseWeights,
    );
    const err = caught(() => convertLayersModel(file));
    expect(err.code).toBe('EF_COMPILE_TFJS_UNSUPPORTED_ARGUMENT');
    expect(err.details).toMatchObject({
      layer: 'fc',
      className: 'Dense',
      argument: 'activation',
      value: 'crelu',
    });
  });
  it('channels_first, bilinear upsampling, stateful RNN, return_state, ReLU threshold', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['Conv2D', { filters: 2, kernel_size: [1, 1], data_format: 'channels_first' }, 'data_format'],
      ['UpSampling2D', { size: [2, 2], interpolation: 'bilinear' }, 'interpolation'],
      ['LSTM', { units: 2, stateful: true }, 'stateful'],
      ['GRU', { units: 2, return_state: true }, 'return_state'],
      ['ReLU', { threshold: 0.5 }, 'threshold'],
      ['BatchNormalization', { axis: 1 }, 'axis'],
    ];
    for (const [className, config, argument] of cases) {
      const file = writeModelFolder(
        dir,
        sequentialTopology(
          [null, 4, 4, 3],
          [{ class_name: className, config: { name: 'l', ...config } }],
        ),
        [],
      );
      const err = caught(() => convertLayersModel(file));
      expect(err.code, className).toBe('EF_COMPILE_TFJS_UNSUPPORTED_ARGUMENT');
      expect(err.details, className).toMatchObject({ layer: 'l', className, argument });
    }
  });
});

describe('rejects hostile or broken weight files', () => {
  it('a shard path escaping the model folder', () => {
    const inner = path.join(dir, 'model');
    mkdirSync(inner);
    writeFileSync(path.join(dir, 'outside.bin'), Buffer.alloc(32));
    for (const bad of ['../outside.bin', '/etc/passwd', 'file:///etc/passwd']) {
      const file = writeModelFolder(
        inner,
        sequentialTopology([null, 3], [dense]),
        denseWeights,
        (m) => {
          (m[0] as { paths: string[] }).paths = [bad];
        },
      );
      expect(caught(() => readLayersModel(file)).code, bad).toBe('EF_COMPILE_TFJS_WEIGHT_PATH');
    }
  });
  it('a symlinked shard pointing outside the folder', () => {
    const inner = path.join(dir, 'model');
    mkdirSync(inner);
    writeFileSync(path.join(dir, 'outside.bin'), Buffer.alloc(32));
    symlinkSync(path.join(dir, 'outside.bin'), path.join(inner, 'link.bin'));
    const file = writeModelFolder(
      inner,
      sequentialTopology([null, 3], [dense]),
      denseWeights,
      (m) => {
        (m[0] as { paths: string[] }).paths = ['./link.bin'];
      },
    );
    expect(caught(() => readLayersModel(file)).code).toBe('EF_COMPILE_TFJS_WEIGHT_PATH');
  });
  it('a shard size that does not match the manifest', () => {
    const file = writeModelFolder(dir, sequentialTopology([null, 3], [dense]), denseWeights);
    writeFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(28));
    expect(caught(() => readLayersModel(file)).code).toBe('EF_COMPILE_TFJS_WEIGHTS');
    writeFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(36));
    expect(caught(() => readLayersModel(file)).code).toBe('EF_COMPILE_TFJS_WEIGHTS');
  });
  it('non-float32 and quantized weights', () => {
    const asInt = writeModelFolder(
      dir,
      sequentialTopology([null, 3], [dense]),
      denseWeights,
      (m) => {
        (
          (m[0] as { weights: Record<string, unknown>[] }).weights[0] as Record<string, unknown>
        ).dtype = 'int32';
      },
    );
    expect(caught(() => readLayersModel(asInt)).code).toBe('EF_COMPILE_TFJS_WEIGHT_DTYPE');
    const quantized = writeModelFolder(
      dir,
      sequentialTopology([null, 3], [dense]),
      denseWeights,
      (m) => {
        (
          (m[0] as { weights: Record<string, unknown>[] }).weights[1] as Record<string, unknown>
        ).quantization = { dtype: 'uint8', scale: 1, min: 0 };
      },
    );
    expect(caught(() => readLayersModel(quantized)).code).toBe('EF_COMPILE_TFJS_WEIGHT_DTYPE');
  });
  it('a weight missing from the shards for a layer', () => {
    const file = writeModelFolder(dir, sequentialTopology([null, 3], [dense]), [
      denseWeights[0] as (typeof denseWeights)[0],
    ]);
    expect(caught(() => convertLayersModel(file)).code).toBe('EF_COMPILE_TFJS_WEIGHTS');
  });
});

describe('rejects malformed model.json', () => {
  const cases: [string, string, string][] = [
    ['not JSON', '{"modelTopology": ', 'EF_COMPILE_TFJS_FORMAT'],
    ['not an object', '[1, 2]', 'EF_COMPILE_TFJS_FORMAT'],
    ['no modelTopology', '{"weightsManifest": []}', 'EF_COMPILE_TFJS_FORMAT'],
    [
      'no weightsManifest',
      '{"modelTopology": {"class_name": "Sequential", "config": {"layers": []}}}',
      'EF_COMPILE_TFJS_FORMAT',
    ],
    [
      'bad weight shape',
      '{"modelTopology": {"class_name": "Sequential", "config": {}}, "weightsManifest": [{"paths": [], "weights": [{"name": "w", "shape": [-1], "dtype": "float32"}]}]}',
      'EF_COMPILE_TFJS_FORMAT',
    ],
  ];
  for (const [what, text, code] of cases) {
    it(what, () => {
      const file = path.join(dir, 'model.json');
      writeFileSync(file, text);
      expect(caught(() => readLayersModel(file)).code).toBe(code);
    });
  }
  it('a missing model.json', () => {
    expect(caught(() => readLayersModel(path.join(dir, 'nope.json'))).code).toBe(
      'EF_COMPILE_TFJS_READ',
    );
  });
  it('a layer without config, an unknown model class, a dangling inbound layer', () => {
    const noConfig = writeModelFolder(
      dir,
      { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense' }] } },
      [],
    );
    expect(caught(() => convertLayersModel(noConfig)).code).toBe('EF_COMPILE_TFJS_FORMAT');
    const unknown = writeModelFolder(dir, { class_name: 'Graph', config: { layers: [] } }, []);
    expect(caught(() => convertLayersModel(unknown)).code).toBe('EF_COMPILE_TFJS_FORMAT');
    const dangling = writeModelFolder(
      dir,
      {
        class_name: 'Model',
        config: {
          layers: [
            {
              name: 'a',
              class_name: 'InputLayer',
              config: { batch_input_shape: [null, 3], name: 'a' },
              inbound_nodes: [],
            },
            {
              name: 'r',
              class_name: 'ReLU',
              config: { name: 'r' },
              inbound_nodes: [[['ghost', 0, 0, {}]]],
            },
          ],
          input_layers: [['a', 0, 0]],
          output_layers: [['r', 0, 0]],
        },
      },
      [],
    );
    expect(caught(() => convertLayersModel(dangling)).code).toBe('EF_COMPILE_TFJS_TOPOLOGY');
  });
});
