import { ValidateError, assertSameLength } from './validate-errors.js';

/** Precision, recall and F1 of one class, and how many samples truly belong to it. */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationMetrics {
  task: 'classification';
  samples: number;
  accuracy: number;
  /** Unweighted mean of the per-class F1 over all classes of the model. */
  macroF1: number;
  perClass: ClassMetrics[];
  /** confusion[truth][predicted], the sklearn orientation. */
  confusion: number[][];
}

/**
 * A confusion matrix filled sample by sample, so metrics over a large evaluation set need no
 * array of all predictions.
 *
 * Conventions (sklearn's with `labels=range(K)` and `zero_division=0`): every class of the model
 * counts in the macro average, also one that appears neither in the labels nor in the
 * predictions; a precision with no predictions, a recall with no support and an F1 whose
 * precision and recall are both 0 are 0. So a class the evaluation set lacks pulls macro F1
 * down: give every class some evaluation samples.
 *
 * @example
 * const cm = new ConfusionMatrix(3);
 * cm.add(0, 0); cm.add(1, 2);
 * cm.metrics().accuracy; // -> 0.5
 */
export class ConfusionMatrix {
  readonly classCount: number;
  readonly #counts: number[][];
  #samples = 0;
  #correct = 0;

  constructor(classCount: number) {
    if (!Number.isSafeInteger(classCount) || classCount < 1) {
      throw new ValidateError(
        'EF_COMPILE_VALIDATE_INPUT',
        `classCount must be >= 1, got ${classCount}`,
      );
    }
    this.classCount = classCount;
    this.#counts = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  }

  /** Counts one sample; both indices must be integers in [0, classCount). */
  add(truth: number, predicted: number): void {
    this.#checkIndex('label', truth);
    this.#checkIndex('prediction', predicted);
    this.#counts[truth]![predicted]!++;
    this.#samples++;
    if (truth === predicted) this.#correct++;
  }

  /** A copy of the counts, confusion[truth][predicted]. */
  matrix(): number[][] {
    return this.#counts.map((row) => [...row]);
  }

  metrics(): ClassificationMetrics {
    if (this.#samples === 0) {
      throw new ValidateError('EF_COMPILE_VALIDATE_EMPTY', 'no samples were counted');
    }
    const counts = this.#counts;
    const perClass = counts.map((row, c): ClassMetrics => {
      const tp = row[c]!;
      const support = row.reduce((s, v) => s + v, 0);
      const predicted = counts.reduce((s, r) => s + r[c]!, 0);
      const fp = predicted - tp;
      const fn = support - tp;
      return {
        precision: predicted === 0 ? 0 : tp / predicted,
        recall: support === 0 ? 0 : tp / support,
        // 2tp / (2tp + fp + fn) equals the harmonic mean of precision and recall and needs no
        // special case when only one of them is undefined.
        f1: tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn),
        support,
      };
    });
    return {
      task: 'classification',
      samples: this.#samples,
      accuracy: this.#correct / this.#samples,
      macroF1: perClass.reduce((s, m) => s + m.f1, 0) / this.classCount,
      perClass,
      confusion: this.matrix(),
    };
  }

  #checkIndex(what: string, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value >= this.classCount) {
      throw new ValidateError(
        'EF_COMPILE_VALIDATE_INPUT',
        `${what} ${value} is not a class index in [0, ${this.classCount})`,
        { [what]: value, classCount: this.classCount },
      );
    }
  }
}

/**
 * The confusion matrix of predictions against labels, confusion[truth][predicted].
 *
 * @example
 * confusionMatrix([0, 1, 1], [0, 1, 0], 2); // -> [[1, 0], [1, 1]]
 */
export function confusionMatrix(
  truth: readonly number[],
  predicted: readonly number[],
  classCount: number,
): number[][] {
  return fill(truth, predicted, classCount).matrix();
}

/**
 * Accuracy, macro F1, per-class precision/recall/F1/support and the confusion matrix, with the
 * conventions of {@link ConfusionMatrix}.
 *
 * @example
 * const m = classificationMetrics([0, 0, 1, 2], [0, 1, 1, 2], 3);
 * m.accuracy; // -> 0.75
 * m.perClass[0]; // -> { precision: 1, recall: 0.5, f1: 0.667, support: 2 }
 */
export function classificationMetrics(
  truth: readonly number[],
  predicted: readonly number[],
  classCount: number,
): ClassificationMetrics {
  return fill(truth, predicted, classCount).metrics();
}

function fill(
  truth: readonly number[],
  predicted: readonly number[],
  classCount: number,
): ConfusionMatrix {
  assertSameLength('labels vs predictions', truth, predicted);
  const cm = new ConfusionMatrix(classCount);
  truth.forEach((t, i) => cm.add(t, predicted[i]!));
  return cm;
}
