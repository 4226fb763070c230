import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBundle } from '@edgefleet/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompileResult } from '../../src/pipeline/compile.js';
import { compileReportJson, renderCompileReport } from '../../src/report/index.js';
import { formatNum } from '../../src/report/report-format.js';
import { workspace } from '../pipeline/compile-helpers.js';
import { compileHouse, compilePm, compileRetail, confusionCounts } from './report-fixtures.js';

let ws: Awaited<ReturnType<typeof workspace>>;
let pm: CompileResult;
let house: CompileResult;
let reportPath: string;
beforeAll(async () => {
  ws = await workspace();
  reportPath = join(ws.dir, 'pm-report.html');
  pm = await compilePm(ws.dir, ws.key, reportPath);
  house = await compileHouse(ws.dir, ws.key);
});
afterAll(async () => {
  await ws.cleanup();
});

function expectSelfContained(html: string): void {
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  for (const banned of ['http://', 'https://', '<script', '<link', '<img', '<iframe', '@import']) {
    expect(html.toLowerCase()).not.toContain(banned);
  }
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

describe('renderCompileReport, classification (pm-mlp, fp16)', () => {
  it('is one self-contained file: no network references, no script', () => {
    expectSelfContained(renderCompileReport(pm));
  });

  it('has the title, date, summary numbers and the gate verdict', () => {
    const html = renderCompileReport(pm);
    const v = pm.validation;
    expect(html).toContain('pm@1.0.0');
    expect(html).toContain('2026-01-01T00:00:00.000Z');
    expect(html).toContain(pm.manifest.compiler.version);
    expect(html).toContain(pct(v.fp32));
    expect(html).toContain(pct(v.quantized));
    expect(html).toContain(pct(v.top1Agreement!));
    expect(html).toContain(`${v.latencyMsFp32.toFixed(3)} ms`);
    expect(html).toContain(`${(v.bytesQuantized / v.bytesFp32).toFixed(2)}×`);
    expect(html).toMatch(/<div class="verdict pass">\s*PASS:/);
    expect(html).toContain(pm.gate.message.replace('<', '&lt;').replace('>', '&gt;'));
  });

  it('has a confusion matrix with the shipped model counts, rows = truth', () => {
    const html = renderCompileReport(pm);
    const comparison = pm.comparison;
    if (comparison.task !== 'classification') throw new Error('expected classification');
    expect(confusionCounts(html)).toEqual(comparison.candidate.confusion);
    expect(html).toContain(pct(comparison.fp32.macroF1));
  });

  it('has every baseline feature, its PSI threshold, the underflow/overflow bins and the files', () => {
    const html = renderCompileReport(pm);
    for (const f of pm.manifest.baseline.features) {
      expect(html).toContain(`<h3>${f.name}</h3>`);
      expect(html).toMatch(/&lt; -?\d/);
      expect(html).toMatch(/&gt;= -?\d/);
    }
    expect(html.match(/<svg\s+class="hist"/g)).toHaveLength(
      pm.manifest.baseline.features.length + 1,
    );
    expect(html).toContain(pm.manifest.model.sha256);
    expect(html).toContain('tool_wear_min');
  });

  it('renders the same bytes for the same result', () => {
    expect(renderCompileReport(pm)).toBe(renderCompileReport(structuredClone(pm)));
  });

  it('is in the signed bundle as report.html, equal to what the result renders', async () => {
    const bundle = await openBundle(pm.bundle.path, { publicKey: ws.pub });
    const inBundle = bundle.files.get('report.html');
    expect(inBundle).toBeDefined();
    expect(bundle.manifest.files['report.html']).toMatch(/^[0-9a-f]{64}$/);
    expect(inBundle!.toString('utf8')).toBe(renderCompileReport(pm));
  });

  it('report writes the same file to the given path, after the bundle', async () => {
    expect(pm.report).toBe(reportPath);
    const bundle = await openBundle(pm.bundle.path, { publicKey: ws.pub });
    expect(await readFile(reportPath)).toEqual(bundle.files.get('report.html'));
  });

  it('escapes hostile names from the manifest as text', () => {
    const hostile = '<script>alert(1)</script>';
    const manifest = structuredClone(pm.manifest);
    manifest.baseline.features[0] = { ...manifest.baseline.features[0]!, name: hostile };
    if (manifest.preprocess.kind === 'tabular')
      manifest.preprocess.features[0] = { ...manifest.preprocess.features[0]!, name: hostile };
    manifest.postprocess = { ...manifest.postprocess, labels: [hostile, '"quoted" & co'] };
    manifest.files = { ...manifest.files, 'x<img src=x>.bin': '0'.repeat(64) };
    const html = renderCompileReport({ ...pm, manifest, notes: [hostile] });
    expectSelfContained(html);
    expect(html).not.toContain(hostile);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;quoted&quot; &amp; co');
  });

  it('shows every candidate and why, escaped, when given', () => {
    const html = renderCompileReport(pm, {
      candidates: [
        {
          mode: 'int8',
          bytes: 1000,
          latencyMs: 0.5,
          metric: 0.9,
          passed: false,
          chosen: false,
          reason: 'accuracy dropped 8 points > 1',
        },
        {
          mode: 'fp16',
          bytes: 2000,
          latencyMs: 0.4,
          metric: 0.98,
          passed: true,
          chosen: true,
          reason: 'smallest <passing>',
        },
      ],
    });
    expect(html).toContain('id="candidates"');
    expect(html).toContain('accuracy dropped 8 points &gt; 1');
    expect(html).toContain('smallest &lt;passing&gt;');
    expect(html).toMatch(/<tr class="chosen">/);
  });

  it('compileReportJson gives the same numbers as plain JSON', () => {
    const json = compileReportJson(pm);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.summary.fp32.metric).toBe(pm.validation.fp32);
    expect(json.summary.shipped.bytes).toBe(pm.validation.bytesQuantized);
    expect(json.baseline.features.map((f) => f.name)).toEqual(
      pm.manifest.baseline.features.map((f) => f.name),
    );
    const first = json.baseline.features[0]!;
    expect(first.bins).toHaveLength(pm.manifest.baseline.features[0]!.shares.length);
    expect(first.bins[0]!.label.startsWith('<')).toBe(true);
    expect(json.files.map((f) => f.name)).toEqual(['model.onnx']);
    if (json.evaluation.task === 'classification' && pm.comparison.task === 'classification')
      expect(json.evaluation.shipped.confusion).toEqual(pm.comparison.candidate.confusion);
  });
});

describe('renderCompileReport, regression (house-mlp, fp16)', () => {
  it('shows MSE, MAE and R² without a scatter when no predictions are given', () => {
    const html = renderCompileReport(house);
    expectSelfContained(html);
    if (house.comparison.task !== 'regression') throw new Error('expected regression');
    expect(html).toContain('R²');
    const c = house.comparison;
    for (const x of [c.fp32.mse, c.candidate.mse, c.candidate.mae, c.candidate.r2])
      expect(html).toContain(formatNum(x, 6));
    expect(html).not.toMatch(/<svg\s+class="scatter"/);
    expect(html).not.toContain('class="confusion"');
    for (const f of house.manifest.baseline.features) expect(html).toContain(`<h3>${f.name}</h3>`);
  });

  it('draws a predicted-vs-actual scatter with y = x, thinned to 2000 points', () => {
    const actual = Array.from({ length: 5000 }, (_, i) => i / 100);
    const predicted = actual.map((x, i) => x + ((i % 7) - 3) / 10);
    const html = renderCompileReport(house, { scatter: { actual, predicted } });
    expectSelfContained(html);
    expect(html).toMatch(/<svg\s+class="scatter"/);
    expect(html).toContain('y = x');
    expect(html.match(/<circle\b/g)!.length).toBeLessThanOrEqual(2000);
    expect(renderCompileReport(house, { scatter: { actual, predicted } })).toBe(html);
  });
});

describe('renderCompileReport, image (retail-cnn, fp16)', () => {
  it('stays under 300 KB and records the image preprocessing', async () => {
    const retail = await compileRetail(ws.dir, ws.key);
    const html = renderCompileReport(retail);
    expectSelfContained(html);
    expect(Buffer.byteLength(html)).toBeLessThan(300 * 1024);
    expect(html).toContain('64×64');
    expect(html).toContain('nchw');
  });
});
