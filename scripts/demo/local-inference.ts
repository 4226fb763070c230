import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ModelSession, postprocess, preprocessTabular } from '@edgefleet/runtime';
import type { TabularPreprocessSpec } from '@edgefleet/runtime';
import type { Narrator } from './narrate.js';

const fixture = (path: string) => fileURLToPath(new URL(`../../fixtures/${path}`, import.meta.url));

/** The fixture CSVs are plain numbers with a header; the compiler's loader handles the general case. */
async function readNumericCsv(path: string): Promise<{ header: string[]; rows: number[][] }> {
  const lines = (await readFile(path, 'utf8')).trim().split(/\r?\n/);
  const header = (lines.shift() ?? '').split(',');
  return { header, rows: lines.map((l) => l.split(',').map(Number)) };
}

async function accuracy(session: ModelSession, spec: TabularPreprocessSpec, csv: string) {
  const { header, rows } = await readNumericCsv(fixture(csv));
  const labelAt = header.indexOf('label');
  const features = rows.map((r) => r.filter((_, i) => i !== labelAt));
  const tensor = preprocessTabular(spec, features);
  const out = await session.run({ [spec.input]: tensor });
  const logits = Object.values(out)[0]!;
  const predicted = postprocess(logits, { task: 'classification' });
  let correct = 0;
  let failuresFlagged = 0;
  predicted.forEach((p, i) => {
    if (p.classIndex === rows[i]![labelAt]) correct += 1;
    if (p.classIndex !== 0) failuresFlagged += 1;
  });
  return { rows: rows.length, accuracy: correct / rows.length, failuresFlagged };
}

/**
 * Runs the committed predictive-maintenance model the way the agent will: the bundle's
 * preprocessing from `@edgefleet/runtime`, an onnxruntime session, on clean and drifted data.
 */
export async function localInference(n: Narrator): Promise<void> {
  n.section(
    'Device-side inference: the predictive-maintenance model on clean and drifted sensor data',
  );
  const spec = JSON.parse(
    await readFile(fixture('data/pm/preprocess.json'), 'utf8'),
  ) as TabularPreprocessSpec;
  const session = await ModelSession.load(fixture('models/pm-mlp.onnx'));
  try {
    const clean = await accuracy(session, spec, 'data/pm/eval.csv');
    const drifted = await accuracy(session, spec, 'data/pm/eval-drifted.csv');
    n.info(
      `eval:         ${clean.rows} rows, accuracy ${(clean.accuracy * 100).toFixed(2)}%, ${clean.failuresFlagged} failures predicted`,
    );
    n.info(
      `eval-drifted: ${drifted.rows} rows, accuracy ${(drifted.accuracy * 100).toFixed(2)}%, ${drifted.failuresFlagged} failures predicted`,
    );
    n.expect(clean.accuracy > 0.9, 'the fp32 model is accurate on data like its training data');
    n.info(
      'The drifted site (recalibrated air-temperature sensor, heavier product mix) is what the',
    );
    n.info("agent's drift windows and the rollout gates exist to catch.");
  } finally {
    await session.release();
  }
}
