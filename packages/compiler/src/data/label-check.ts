import { dataErrorAt, type DataLocation } from './data-errors.js';
import type { DataTask } from './dataset-types.js';

/**
 * Checks one label for the task: a finite number for regression; for classification an
 * integer class index >= 0 and, when the class count is known, below it.
 *
 * @throws DataError EF_COMPILE_DATA_LABEL naming the location.
 * @example
 * checkLabel(3, 'classification', 5, { file: 'eval.csv', line: 2, column: 9 }); // -> 3
 */
export function checkLabel(
  value: number,
  task: DataTask,
  classCount: number | undefined,
  where: DataLocation,
): number {
  if (!Number.isFinite(value)) {
    throw dataErrorAt('EF_COMPILE_DATA_LABEL', where, `label ${value} is not a finite number`, {
      label: value,
    });
  }
  if (task === 'regression') return value;
  if (!Number.isInteger(value) || value < 0) {
    throw dataErrorAt(
      'EF_COMPILE_DATA_LABEL',
      where,
      `label ${value} is not a class index: classification labels are integers 0, 1, 2, ... (the position of the class in the model output)`,
      { label: value },
    );
  }
  if (classCount !== undefined && value >= classCount) {
    throw dataErrorAt(
      'EF_COMPILE_DATA_LABEL',
      where,
      `label ${value} is out of range: the model has ${classCount} classes (0 to ${classCount - 1})`,
      { label: value, classCount },
    );
  }
  return value;
}
