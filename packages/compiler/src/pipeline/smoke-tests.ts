import type { Preprocess, SmokeTest } from '@edgefleet/protocol';
import type { ModelSession } from '@edgefleet/runtime';
import { datasetBatches } from '../data/index.js';
import type { Dataset } from '../data/index.js';
import type { QuantizeMode } from './compile-options.js';

/**
 * Tolerances the agent applies when it replays a smoke test on its own CPU. Exact-arithmetic
 * modes differ across CPUs only by float reassociation; int8 kernels differ more, because x64
 * and arm64 use different integer paths (u8s8 vs u8u8) and requantize differently.
 */
function tolerance(mode: QuantizeMode, maxAbs: number): SmokeTest['tolerance'] {
  if (mode === 'none') return { abs: 1e-4 * Math.max(1, maxAbs), rel: 1e-4 };
  if (mode === 'fp16') return { abs: 1e-2 * Math.max(1, maxAbs), rel: 1e-2 };
  return { abs: 0.05 * Math.max(1, maxAbs), rel: 0.05 };
}

/** The first `count` evaluation samples, preprocessed, with the shipped model's outputs. */
export async function makeSmokeTests(args: {
  dataset: Dataset;
  preprocess: Preprocess;
  inputShape: ReadonlyArray<number | string>;
  session: ModelSession;
  mode: QuantizeMode;
  count?: number;
}): Promise<SmokeTest[]> {
  const tests: SmokeTest[] = [];
  const count = args.count ?? 3;
  const batches = datasetBatches(args.dataset, {
    preprocess: args.preprocess,
    inputShape: args.inputShape,
    batchSize: 1,
  });
  for await (const batch of batches) {
    if (tests.length >= count) break;
    const outputs = await args.session.run(batch.feeds);
    const expected: SmokeTest['expected'] = {};
    let maxAbs = 0;
    for (const [name, t] of Object.entries(outputs)) {
      if (!(t.data instanceof Float32Array)) continue;
      const data = Array.from(t.data);
      for (const v of data) maxAbs = Math.max(maxAbs, Math.abs(v));
      expected[name] = { dims: [...t.dims], data };
    }
    tests.push({
      inputs: {
        [args.preprocess.input]: {
          dims: [...batch.tensor.dims],
          data: Array.from(batch.tensor.data),
        },
      },
      expected,
      tolerance: tolerance(args.mode, maxAbs),
    });
  }
  return tests;
}
