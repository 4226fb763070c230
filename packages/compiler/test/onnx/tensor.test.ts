import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { OnnxTypedArray } from '../../src/onnx/data-types.js';
import { readOnnxModel, writeOnnxModel } from '../../src/onnx/onnx-model.js';
import { DataLocation, TensorDataType } from '../../src/onnx/onnx-schema.js';
import type { OnnxTensor } from '../../src/onnx/onnx-types.js';
import {
  decodeTensor,
  elementCount,
  emptyTensor,
  encodeTensor,
  float32ArrayToFloat16Bits,
} from '../../src/onnx/tensor.js';
import { expectOnnxError } from './helpers.js';
import { reshapeModel } from './models.js';

const cases: [string, OnnxTypedArray, number, string][] = [
  ['FLOAT', Float32Array.from([1.5, -2.25, 3e38, -0]), TensorDataType.FLOAT, 'float32'],
  ['DOUBLE', Float64Array.from([Math.PI, -1e300, 5e-324, 0]), TensorDataType.DOUBLE, 'float64'],
  ['FLOAT16', float32ArrayToFloat16Bits([1, -2, 65504, 6e-8]), TensorDataType.FLOAT16, 'float16'],
  [
    'BFLOAT16',
    Uint16Array.from([0x3f80, 0xc000, 0x7f80, 0x0001]),
    TensorDataType.BFLOAT16,
    'bfloat16',
  ],
  ['INT8', Int8Array.from([-128, 127, 0, -1]), TensorDataType.INT8, 'int8'],
  ['UINT8', Uint8Array.from([0, 255, 1, 128]), TensorDataType.UINT8, 'uint8'],
  ['INT16', Int16Array.from([-32768, 32767, 0, -1]), TensorDataType.INT16, 'int16'],
  ['UINT16', Uint16Array.from([0, 65535, 1, 32768]), TensorDataType.UINT16, 'uint16'],
  ['INT32', Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, -1]), TensorDataType.INT32, 'int32'],
  ['UINT32', Uint32Array.from([0, 2 ** 32 - 1, 1, 2 ** 31]), TensorDataType.UINT32, 'uint32'],
  [
    'INT64',
    BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]),
    TensorDataType.INT64,
    'int64',
  ],
  [
    'UINT64',
    BigUint64Array.from([0n, 2n ** 64n - 1n, 1n, 2n ** 53n + 1n]),
    TensorDataType.UINT64,
    'uint64',
  ],
  ['BOOL', Uint8Array.from([1, 0, 0, 1]), TensorDataType.BOOL, 'bool'],
];

/** The same values in the typed field ONNX uses for the data type, instead of raw_data. */
function typedFieldTensor(data: OnnxTypedArray, dataType: number): OnnxTensor {
  const tensor = emptyTensor('typed');
  tensor.dataType = dataType;
  tensor.dims = [2n, 2n];
  const values = Array.from(data as ArrayLike<number | bigint>);
  if (dataType === TensorDataType.FLOAT) tensor.floatData = values as number[];
  else if (dataType === TensorDataType.DOUBLE) tensor.doubleData = values as number[];
  else if (dataType === TensorDataType.INT64) tensor.int64Data = values as bigint[];
  else if (dataType === TensorDataType.UINT64) tensor.uint64Data = values as bigint[];
  else if (dataType === TensorDataType.UINT32)
    tensor.uint64Data = (values as number[]).map((v) => BigInt(v));
  else tensor.int32Data = values as number[];
  return tensor;
}

describe('decodeTensor / encodeTensor', () => {
  it.each(cases)(
    '%s from raw_data, via a written and re-read model',
    (_name, data, dataType, elementType) => {
      const model = reshapeModel();
      model.graph.initializer.push(encodeTensor('t', data, [2, 2], dataType));
      const tensor = readOnnxModel(writeOnnxModel(model)).graph.initializer.find(
        (t) => t.name === 't',
      );
      if (tensor === undefined) throw new Error('lost the tensor');
      const decoded = decodeTensor(tensor);
      expect(decoded).toMatchObject({ name: 't', dataType, elementType, dims: [2, 2] });
      expect(decoded.data.constructor).toBe(data.constructor);
      expect(decoded.data).toEqual(data);
    },
  );

  it.each(cases)('%s from the typed field', (_name, data, dataType) => {
    const tensor = readOnnxModel(
      writeOnnxModel({
        ...reshapeModel(),
        graph: { ...reshapeModel().graph, initializer: [typedFieldTensor(data, dataType)] },
      }),
    ).graph.initializer[0] as OnnxTensor;
    expect(tensor.rawData).toBeUndefined();
    expect(decodeTensor(tensor).data).toEqual(data);
  });

  it('copies unaligned raw_data before viewing it', () => {
    const backing = new Uint8Array(1 + 8);
    backing.set(new Uint8Array(Float64Array.from([2.5]).buffer), 1);
    const tensor = {
      ...emptyTensor('odd'),
      dataType: TensorDataType.DOUBLE,
      dims: [1n],
      rawData: backing.subarray(1),
    };
    const decoded = decodeTensor(tensor);
    expect(Array.from(decoded.data as Float64Array)).toEqual([2.5]);
    (decoded.data as Float64Array).fill(0);
    expect(backing[8]).not.toBe(0); // the model's bytes were not aliased
  });

  it('decodes a scalar ([] dims) and an empty tensor', () => {
    expect(decodeTensor(encodeTensor('s', Float32Array.of(7), [])).data).toEqual(
      Float32Array.of(7),
    );
    const empty = decodeTensor(encodeTensor('e', new Float32Array(0), [0, 3]));
    expect(empty.dims).toEqual([0, 3]);
    expect(empty.data.length).toBe(0);
  });

  it('copies the data on encode', () => {
    const data = Float32Array.of(1, 2);
    const tensor = encodeTensor('c', data, [2]);
    data[0] = 99;
    expect(decodeTensor(tensor).data).toEqual(Float32Array.of(1, 2));
  });

  it('counts elements', () => {
    expect(elementCount([])).toBe(1);
    expect(elementCount([2n, 3, 4])).toBe(24);
  });
});

describe('rejects bad tensors', () => {
  it('raw_data of the wrong length', () => {
    const tensor = { ...encodeTensor('w', Float32Array.of(1, 2, 3), [3]), dims: [4n] };
    expectOnnxError(() => decodeTensor(tensor), 'EF_COMPILE_ONNX_TENSOR_DATA');
  });

  it('a typed field of the wrong length, or no data at all', () => {
    const tensor = {
      ...emptyTensor('w'),
      dataType: TensorDataType.FLOAT,
      dims: [2n],
      floatData: [1],
    };
    expectOnnxError(() => decodeTensor(tensor), 'EF_COMPILE_ONNX_TENSOR_DATA');
    expectOnnxError(
      () => decodeTensor({ ...tensor, floatData: [] }),
      'EF_COMPILE_ONNX_TENSOR_DATA',
    );
  });

  it('negative or absurd dims', () => {
    expectOnnxError(
      () => decodeTensor({ ...emptyTensor('n'), dataType: 1, dims: [-1n] }),
      'EF_COMPILE_ONNX_TENSOR_DATA',
    );
    expectOnnxError(
      () => decodeTensor({ ...emptyTensor('n'), dataType: 1, dims: [2n ** 40n, 2n ** 40n] }),
      'EF_COMPILE_ONNX_TENSOR_DATA',
    );
    expectOnnxError(
      () => decodeTensor({ ...emptyTensor('n'), dataType: 1, dims: [2n ** 31n] }),
      'EF_COMPILE_ONNX_TOO_LARGE',
    );
  });

  it('a tensor over the size cap', () => {
    expectOnnxError(
      () => decodeTensor(encodeTensor('big', new Float32Array(64), [64]), { maxBytes: 128 }),
      'EF_COMPILE_ONNX_TOO_LARGE',
    );
  });

  it('unsupported data types (STRING, UNDEFINED, FLOAT8)', () => {
    for (const dataType of [
      TensorDataType.STRING,
      TensorDataType.UNDEFINED,
      TensorDataType.FLOAT8E4M3FN,
      99,
    ]) {
      expectOnnxError(
        () => decodeTensor({ ...emptyTensor('s'), dataType, dims: [1n] }),
        'EF_COMPILE_ONNX_UNSUPPORTED_DTYPE',
      );
    }
  });

  it('segmented tensors', () => {
    const tensor = {
      ...encodeTensor('seg', Float32Array.of(1), [1]),
      segment: { begin: 0n, end: 1n },
    };
    expectOnnxError(() => decodeTensor(tensor), 'EF_COMPILE_ONNX_TENSOR_DATA');
  });

  it('encoding an array that does not fit the data type or dims', () => {
    expectOnnxError(
      () => encodeTensor('x', Float32Array.of(1), [1], TensorDataType.FLOAT16),
      'EF_COMPILE_ONNX_UNSUPPORTED_DTYPE',
    );
    expectOnnxError(
      () => encodeTensor('x', Float32Array.of(1, 2), [3]),
      'EF_COMPILE_ONNX_TENSOR_DATA',
    );
  });
});

describe('external data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-onnx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const values = Float32Array.of(1, 2, 3, 4);
  // 3 bytes of padding, then the tensor: offset handling is exercised.
  writeFileSync(
    join(dir, 'weights.bin'),
    Uint8Array.from([9, 9, 9, ...new Uint8Array(values.buffer)]),
  );

  function externalTensor(location: string, offset = '3', length = '16'): OnnxTensor {
    return {
      ...emptyTensor('w'),
      dataType: TensorDataType.FLOAT,
      dims: [4n],
      dataLocation: DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: offset },
        { key: 'length', value: length },
      ],
    };
  }

  it('is rejected with a clear code when no base directory is given', () => {
    const err = expectOnnxError(
      () => decodeTensor(externalTensor('weights.bin')),
      'EF_COMPILE_ONNX_EXTERNAL_DATA',
    );
    expect(err.message).toMatch(/weights\.bin/);
    expect(err.message).toMatch(/baseDir/);
  });

  it('is read from the base directory when given', () => {
    expect(decodeTensor(externalTensor('weights.bin'), { baseDir: dir }).data).toEqual(values);
  });

  it('rejects locations outside the base directory, missing files and short files', () => {
    expectOnnxError(
      () => decodeTensor(externalTensor('../etc/passwd'), { baseDir: dir }),
      'EF_COMPILE_ONNX_EXTERNAL_DATA',
    );
    expectOnnxError(
      () => decodeTensor(externalTensor('/etc/passwd'), { baseDir: dir }),
      'EF_COMPILE_ONNX_EXTERNAL_DATA',
    );
    expectOnnxError(
      () => decodeTensor(externalTensor('missing.bin'), { baseDir: dir }),
      'EF_COMPILE_ONNX_EXTERNAL_DATA',
    );
    expectOnnxError(
      () => decodeTensor(externalTensor('weights.bin', '8'), { baseDir: dir }),
      'EF_COMPILE_ONNX_EXTERNAL_DATA',
    );
    expectOnnxError(
      () => decodeTensor(externalTensor('weights.bin', 'x'), { baseDir: dir }),
      'EF_COMPILE_ONNX_EXTERNAL_DATA',
    );
    expectOnnxError(
      () => decodeTensor(externalTensor('weights.bin', '3', '12'), { baseDir: dir }),
      'EF_COMPILE_ONNX_EXTERNAL_DATA',
    );
  });

  it('round-trips the external_data entries in the model unchanged', () => {
    const model = reshapeModel();
    model.graph.initializer.push(externalTensor('weights.bin'));
    const read = readOnnxModel(writeOnnxModel(model));
    expect(read).toEqual(model);
  });
});
