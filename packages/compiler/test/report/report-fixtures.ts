import { join } from 'node:path';
import type { CompileResult } from '../../src/pipeline/compile.js';
import { compile } from '../../src/pipeline/compile.js';
import { fixture, pmOptions } from '../pipeline/compile-helpers.js';

/** A pinned createdAt, so reports of separate compiles differ only by measured latency. */
export const now = () => new Date('2026-01-01T00:00:00.000Z');

/** pm-mlp, fp16 (classification, tabular), optionally with a copy of the report at `report`. */
export function compilePm(dir: string, key: string, report?: string): Promise<CompileResult> {
  return compile(
    {
      ...pmOptions(dir, key),
      quantize: 'fp16',
      out: join(dir, 'pm-report.efb'),
      ...(report === undefined ? {} : { report }),
    },
    { now },
  );
}

/** house-mlp, fp16 (regression with imputed values). */
export function compileHouse(dir: string, key: string): Promise<CompileResult> {
  return compile(
    {
      model: fixture('models/house-mlp.onnx'),
      data: fixture('data/house/calibration.csv'),
      eval: fixture('data/house/eval.csv'),
      preprocess: fixture('data/house/preprocess.json'),
      releaseKey: key,
      name: 'house',
      version: '1.0.0',
      quantize: 'fp16',
      out: join(dir, 'house-report.efb'),
    },
    { now },
  );
}

/** retail-cnn, fp16 (image folders, 64x64). */
export function compileRetail(dir: string, key: string): Promise<CompileResult> {
  return compile(
    {
      model: fixture('models/retail-cnn.onnx'),
      data: fixture('data/retail/calibration'),
      eval: fixture('data/retail/eval'),
      preprocess: fixture('data/retail/preprocess.json'),
      releaseKey: key,
      name: 'retail',
      version: '1.0.0',
      quantize: 'fp16',
      out: join(dir, 'retail-report.efb'),
    },
    { now },
  );
}

/** The counts of `<table class="confusion">`, row by row, without the totals column. */
export function confusionCounts(html: string): number[][] {
  const table = /<table class="confusion">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return body
    .split(/<tr>/)
    .slice(1)
    .map((row) =>
      [...row.matchAll(/<td class="(?:empty)?"[^>]*>\s*(\d+)\s*<\/td>/g)].map((m) => Number(m[1])),
    );
}
