import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelSession, postprocess, preprocessTabular } from '@edgefleet/runtime';
import type { TabularPreprocessSpec } from '@edgefleet/runtime';
import { describe, expect, it } from 'vitest';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

describe('committed fixtures', () => {
  it('match fixtures/SHA256SUMS, file for file', async () => {
    const sums = (await readFile(join(fixtures, 'SHA256SUMS'), 'utf8')).trim().split('\n');
    const listed = new Set<string>();
    for (const line of sums) {
      const [digest, name] = line.split(/\s+/, 2) as [string, string];
      listed.add(name);
      const actual = createHash('sha256')
        .update(await readFile(join(fixtures, name)))
        .digest('hex');
      expect(actual, name).toBe(digest);
    }
    const present = (await walk(fixtures))
      .map((p) => p.slice(fixtures.length))
      .filter((p) => p !== 'SHA256SUMS');
    expect(present.filter((p) => !listed.has(p))).toEqual([]);
  });

  it('stay under 20 MB in total', async () => {
    let total = 0;
    for (const path of await walk(fixtures)) total += (await stat(path)).size;
    expect(total).toBeLessThan(20 * 1024 * 1024);
  });

  it('pm-mlp.onnx reproduces its recorded fp32 accuracy through the runtime preprocessing', async () => {
    const metrics = JSON.parse(await readFile(join(fixtures, 'metrics.json'), 'utf8')) as Record<
      string,
      { eval?: { accuracy?: number } }
    >;
    const spec = JSON.parse(
      await readFile(join(fixtures, 'data/pm/preprocess.json'), 'utf8'),
    ) as TabularPreprocessSpec;
    const lines = (await readFile(join(fixtures, 'data/pm/eval.csv'), 'utf8'))
      .trim()
      .split('\n')
      .slice(1);
    const rows = lines.map((l) => l.split(',').map(Number));
    const session = await ModelSession.load(join(fixtures, 'models/pm-mlp.onnx'));
    try {
      const out = await session.run({
        input: preprocessTabular(
          spec,
          rows.map((r) => r.slice(0, 8)),
        ),
      });
      const predicted = postprocess(out['logits']!, { task: 'classification' });
      const accuracy =
        predicted.filter((p, i) => p.classIndex === rows[i]![8]).length / rows.length;
      const recorded = metrics['pm-mlp.onnx']?.eval?.accuracy;
      expect(recorded).toBeTypeOf('number');
      expect(accuracy).toBeCloseTo(recorded!, 4);
    } finally {
      await session.release();
    }
  });
});
