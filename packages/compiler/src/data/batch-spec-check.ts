import type { ModelInputShape, PreprocessSpec } from '@edgefleet/runtime';

import { DataError } from './data-errors.js';
import type { Dataset } from './dataset-types.js';

const SPEC_KIND_FOR: Readonly<Record<Dataset['kind'], PreprocessSpec['kind']>> = {
  tabular: 'tabular',
  tensor: 'tensor',
  images: 'image',
};

/**
 * Checks, once before the first batch, that the data set fits the preprocessing spec and the
 * model input: the kinds agree, CSV columns are the spec's features in order and as many as
 * the model takes, JSONL samples have the model's per-sample shape.
 *
 * @throws DataError EF_COMPILE_DATA_KIND_MISMATCH, EF_COMPILE_DATA_COLUMNS,
 *   EF_COMPILE_DATA_SHAPE.
 * @example
 * checkBatchSpec(csvData, pmPreprocess, ['batch', 8]); // passes, or throws naming the file
 */
export function checkBatchSpec(
  dataset: Dataset,
  spec: PreprocessSpec,
  inputShape: ModelInputShape,
): void {
  const file = dataset.source;
  const wanted = SPEC_KIND_FOR[dataset.kind];
  if (spec.kind !== wanted) {
    throw new DataError(
      'EF_COMPILE_DATA_KIND_MISMATCH',
      `${file}: ${dataset.kind} data needs a '${wanted}' preprocessing spec, the spec is '${spec.kind}'`,
      { file, dataKind: dataset.kind, specKind: spec.kind },
    );
  }
  if (dataset.kind === 'tabular' && spec.kind === 'tabular') {
    const expected = spec.features.map((f) => f.name);
    const found = dataset.featureNames;
    if (found.length !== expected.length || found.some((n, i) => n !== expected[i])) {
      throw new DataError(
        'EF_COMPILE_DATA_COLUMNS',
        `${file}, line 1: the feature columns (${found.join(', ')}) are not the preprocessing features in order (${expected.join(', ')})`,
        { file, line: 1, expected, found },
      );
    }
    const width = inputShape.length === 0 ? undefined : inputShape[inputShape.length - 1];
    if (inputShape.length !== 0 && inputShape.length !== 2) {
      throw new DataError(
        'EF_COMPILE_DATA_KIND_MISMATCH',
        `${file}: CSV rows feed a [batch, features] input, the model input has shape [${inputShape.join(', ')}]`,
        { file, inputShape: [...inputShape] },
      );
    }
    if (typeof width === 'number' && width !== found.length) {
      throw new DataError(
        'EF_COMPILE_DATA_COLUMNS',
        `${file}, line 1: ${found.length} feature columns, the model input takes ${width}`,
        { file, line: 1, expected: width, found: found.length },
      );
    }
  }
  if (dataset.kind === 'tensor' && inputShape.length > 0) {
    const model = inputShape.slice(1);
    const shape = dataset.sampleShape;
    const fits =
      shape.length === model.length &&
      model.every((d, i) => (typeof d === 'number' ? d === shape[i] : shape[i]! > 0));
    if (!fits) {
      throw new DataError(
        'EF_COMPILE_DATA_SHAPE',
        `${file}, line ${dataset.lines[0]}: samples have shape [${shape.join(', ')}], the model input takes [${model.join(', ')}] per sample`,
        { file, line: dataset.lines[0], expected: model, received: shape },
      );
    }
  }
}
