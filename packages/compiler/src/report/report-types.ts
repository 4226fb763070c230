import type { CompileResult } from '../pipeline/compile.js';

/**
 * What the report needs of a compile: everything but the bundle, which is written after the
 * report (the report goes inside it). A full `CompileResult` fits.
 */
export type CompileReportInput = Pick<
  CompileResult,
  'name' | 'version' | 'quantization' | 'validation' | 'gate' | 'comparison' | 'notes' | 'manifest'
> & {
  /** The candidates the compiler tried (`CompileResult.candidates`); shown when more than one. */
  readonly candidates?: readonly ReportCandidate[];
};

/** One model `auto` quantization tried, and why it was or was not kept. */
export interface ReportCandidate {
  readonly mode: string;
  /** Absent for a candidate that failed before it was measured (e.g. the rewrite refused). */
  readonly bytes?: number;
  readonly latencyMs?: number;
  /** The gate metric of this candidate (accuracy or MSE). */
  readonly metric?: number;
  readonly passed?: boolean;
  readonly chosen: boolean;
  readonly reason: string;
}

/** Inputs the result does not hold; the report renders them when given. */
export interface CompileReportExtras {
  /** Overrides the result's own `candidates`. */
  readonly candidates?: readonly ReportCandidate[];
  /** Regression predictions of the shipped model against the labels, at most 2000 points. */
  readonly scatter?: { readonly actual: readonly number[]; readonly predicted: readonly number[] };
}

/** One histogram bin: its label from the edges and its share of the samples. */
export interface ReportBin {
  readonly label: string;
  readonly share: number;
}

/** The report's numbers as plain JSON ({@link compileReportJson}). */
export interface CompileReportJson {
  readonly title: {
    readonly name: string;
    readonly version: string;
    readonly createdAt: string;
    readonly compiler: string;
    readonly onnxruntime: string;
  };
  readonly summary: {
    readonly metric: string;
    readonly samples: number;
    readonly fp32: { readonly metric: number; readonly bytes: number; readonly latencyMs: number };
    readonly shipped: {
      readonly mode: string;
      readonly metric: number;
      readonly bytes: number;
      readonly latencyMs: number;
    };
    readonly sizeRatio: number | null;
    readonly latencyRatio: number | null;
    readonly top1Agreement: number | null;
    readonly maxAbsError: number;
    readonly meanAbsError: number;
    readonly gate: {
      readonly passed: boolean;
      readonly message: string;
      readonly delta: number;
      readonly limit: number;
    };
  };
  readonly quantization: {
    readonly mode: string;
    readonly weightType: string | null;
    readonly perChannel: boolean | null;
    readonly calibration: { readonly method: string; readonly samples: number } | null;
    /** Fields beyond the known four (the quantization section is loose), as JSON text. */
    readonly other: Readonly<Record<string, string>>;
    readonly notes: readonly string[];
  };
  readonly evaluation:
    | {
        readonly task: 'classification';
        readonly classes: readonly string[];
        readonly fp32: ClassificationSummary;
        readonly shipped: ClassificationSummary;
      }
    | {
        readonly task: 'regression';
        readonly fp32: RegressionSummary;
        readonly shipped: RegressionSummary;
      };
  readonly candidates: readonly ReportCandidate[] | null;
  readonly baseline: {
    readonly windowSize: number;
    readonly driftedShare: number;
    readonly features: readonly {
      readonly name: string;
      readonly mean: number;
      readonly std: number;
      readonly psiThreshold: number;
      readonly bins: readonly ReportBin[];
    }[];
    readonly output: {
      readonly kind: 'classes' | 'histogram';
      readonly bins: readonly ReportBin[];
    };
  };
  readonly preprocess: CompileReportInput['manifest']['preprocess'];
  readonly model: {
    readonly file: string;
    readonly sha256: string;
    readonly bytes: number;
    readonly opset: number;
    readonly inputs: CompileReportInput['manifest']['model']['inputs'];
    readonly outputs: CompileReportInput['manifest']['model']['outputs'];
    readonly task: string;
    readonly output: string;
    readonly smokeTests: number;
    readonly architectures: readonly string[];
  };
  /** Files of the bundle and their sha256, without report.html (it cannot hold its own digest). */
  readonly files: readonly { readonly name: string; readonly sha256: string }[];
}

export interface ClassificationSummary {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly perClass: readonly {
    readonly precision: number;
    readonly recall: number;
    readonly f1: number;
    readonly support: number;
  }[];
  /** confusion[truth][predicted]. */
  readonly confusion: readonly (readonly number[])[];
}

export interface RegressionSummary {
  readonly mse: number;
  readonly mae: number;
  readonly r2: number;
}
