import { describe, expect, it } from 'vitest';

import { makeTensorValueInfo } from '../../src/onnx/builders.js';
import { dataTypeOf, elementTypeName } from '../../src/onnx/data-types.js';
import { readOnnxModel, writeOnnxModel } from '../../src/onnx/onnx-model.js';
import { describeValueInfo, getModelIo, shapeDims } from '../../src/onnx/shape-info.js';
import { expectOnnxError } from './helpers.js';
import { float16CastModel, matMulAddReluModel } from './models.js';

describe('shape info', () => {
  it('maps ONNX element types both ways', () => {
    expect(elementTypeName(1)).toBe('float32');
    expect(elementTypeName(10)).toBe('float16');
    expect(elementTypeName(7)).toBe('int64');
    expect(elementTypeName(9)).toBe('bool');
    expect(elementTypeName(11)).toBe('float64');
    expect(dataTypeOf('uint8')).toBe(2);
    for (let dataType = 1; dataType <= 24; dataType++)
      expect(dataTypeOf(elementTypeName(dataType))).toBe(dataType);
    expectOnnxError(() => elementTypeName(0), 'EF_COMPILE_ONNX_UNSUPPORTED_DTYPE');
    expectOnnxError(() => elementTypeName(999), 'EF_COMPILE_ONNX_UNSUPPORTED_DTYPE');
  });

  it('describes model inputs and outputs with symbolic dims', () => {
    const io = getModelIo(readOnnxModel(writeOnnxModel(matMulAddReluModel())));
    expect(io).toEqual({
      inputs: [{ name: 'x', kind: 'tensor', elementType: 'float32', shape: ['batch', 3] }],
      outputs: [{ name: 'y', kind: 'tensor', elementType: 'float32', shape: ['batch', 4] }],
    });
    expect(getModelIo(float16CastModel()).outputs.map((o) => o.elementType)).toEqual([
      'float16',
      'float32',
    ]);
  });

  it('keeps unknown dims (null) apart from unknown rank (shape null)', () => {
    expect(describeValueInfo(makeTensorValueInfo('a', 'int64', [null, 'n', 4]))).toEqual({
      name: 'a',
      kind: 'tensor',
      elementType: 'int64',
      shape: [null, 'n', 4],
    });
    expect(describeValueInfo(makeTensorValueInfo('b', 'uint8')).shape).toBeNull();
    expect(describeValueInfo(makeTensorValueInfo('c', 'bool', [])).shape).toEqual([]);
  });

  it('describes non-tensor values by kind', () => {
    const seq = {
      name: 's',
      type: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } },
      metadataProps: [],
    };
    expect(describeValueInfo(seq)).toEqual({
      name: 's',
      kind: 'sequence',
      elementType: null,
      shape: null,
    });
    expect(describeValueInfo({ name: 'u', metadataProps: [] }).kind).toBe('unknown');
  });

  it('rejects dims beyond a safe number', () => {
    expectOnnxError(
      () => shapeDims({ dim: [{ dimValue: 2n ** 60n }] }),
      'EF_COMPILE_ONNX_INT64_RANGE',
    );
  });
});
