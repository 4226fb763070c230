import type { Baseline, Preprocess } from '@edgefleet/protocol';
import {
  buildBaseline,
  driftFeatureNames,
  driftFeatureRows,
  postprocess,
} from '@edgefleet/runtime';
import type { ModelSession } from '@edgefleet/runtime';
import { datasetBatches } from '../data/index.js';
import type { Dataset } from '../data/index.js';

/**
 * Profiles the calibration data into the manifest's drift baseline: the same features the agent
 * counts (`driftFeatureNames`/`driftFeatureRows` from the runtime), and the distribution of the
 * shipped model's outputs on the same rows.
 */
export async function profileBaseline(args: {
  dataset: Dataset;
  preprocess: Preprocess;
  inputShape: ReadonlyArray<number | string>;
  session: ModelSession;
  outputName: string;
  task: 'classification' | 'regression';
  classCount: number | undefined;
  windowSize: number;
}): Promise<Baseline> {
  const names = driftFeatureNames(args.preprocess, args.inputShape);
  const columns: number[][] = names.map(() => []);
  const predicted: number[] = [];
  const batches = datasetBatches(args.dataset, {
    preprocess: args.preprocess,
    inputShape: args.inputShape,
  });
  for await (const batch of batches) {
    const rows =
      args.dataset.kind === 'tabular'
        ? args.dataset.rows
            .slice(batch.offset, batch.offset + batch.labels.length)
            .map((r) => r.map((v) => v ?? Number.NaN))
        : driftFeatureRows(args.preprocess, batch.tensor);
    for (const row of rows) row.forEach((v, i) => columns[i]?.push(v));
    const out = (await args.session.run(batch.feeds))[args.outputName];
    if (out === undefined) continue;
    if (args.task === 'classification') {
      for (const r of postprocess(out, { task: 'classification' })) predicted.push(r.classIndex);
    } else {
      for (const r of postprocess(out, { task: 'regression' }))
        predicted.push(r.values[0] ?? Number.NaN);
    }
  }
  // A window cannot be larger than the calibration set it is bootstrapped from.
  const windowSize = Math.max(1, Math.min(args.windowSize, predicted.length));
  return buildBaseline({
    features: names.map((name, i) => ({ name, values: columns[i] as number[] })),
    outputs:
      args.task === 'classification'
        ? { kind: 'classes', predicted, classCount: args.classCount ?? Math.max(...predicted) + 1 }
        : { kind: 'regression', values: predicted },
    windowSize,
  });
}
