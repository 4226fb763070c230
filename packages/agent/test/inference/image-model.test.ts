import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ModelSession, preprocessImages } from '@edgefleet/runtime';
import type { ImagePreprocessSpec } from '@edgefleet/runtime';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { createModelHost } from '../../src/inference/index.js';
import type {
  ClassPrediction,
  InstalledBundle,
  LocalModelHost,
  PredictionEvent,
} from '../../src/inference/index.js';
import { installedRetailBundle, retailEvalImages } from './installed-bundles.js';

let dir: string;
let retail: InstalledBundle;
let host: LocalModelHost;
const events: PredictionEvent[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-image-'));
  retail = await installedRetailBundle(dir);
  host = await createModelHost({ workers: 1, onPrediction: (e) => events.push(e) });
  await host.activate(await host.prepare(retail));
});

afterAll(async () => {
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('preprocesses PNG and JPEG bytes exactly as the manifest says (golden against onnxruntime)', async () => {
  const images = retailEvalImages(8);
  const jpeg = await sharp(images[0]!.bytes).jpeg({ quality: 90 }).toBuffer();
  const all = [...images.map((i) => i.bytes), jpeg];
  const spec = retail.manifest.preprocess as ImagePreprocessSpec;
  const direct = await ModelSession.load(join(retail.dir, retail.manifest.model.file));
  try {
    const expected = await direct.run({ input: await preprocessImages(spec, all) });
    const output = retail.manifest.postprocess.output;
    const data = Array.from(expected[output]!.data as Float32Array);
    const width = expected[output]!.dims[1]!;
    for (const [i, bytes] of all.entries()) {
      const answer = await host.predict('retail', { image: bytes });
      const got = answer.outputs[output]![0] as number[];
      data.slice(i * width, (i + 1) * width).forEach((v, k) => {
        expect(Math.abs(got[k]! - v)).toBeLessThanOrEqual(1e-6);
      });
      const top = answer.predictions[0] as ClassPrediction;
      expect(retail.manifest.postprocess.labels).toContain(top.label);
    }
    const batch = await host.predict('retail', { images: all });
    expect(batch.predictions).toHaveLength(all.length);
    // The drift listener gets the preprocessed batch intact (it was copied, not moved, to the worker).
    const last = events.at(-1)!;
    expect(last.input.dims).toEqual([all.length, 3, 64, 64]);
    expect(last.input.data.length).toBe(all.length * 3 * 64 * 64);
    expect(last.rawRows).toBeUndefined();
  } finally {
    await direct.release();
  }
});

it('refuses bytes that are not an image and rows sent to an image model', async () => {
  await expect(
    host.predict('retail', { image: Buffer.from('GIF89a not really') }),
  ).rejects.toMatchObject({
    code: 'EF_RUNTIME_IMAGE_DECODE',
  });
  await expect(host.predict('retail', { image: 'a string' })).rejects.toMatchObject({
    code: 'EF_RUNTIME_INPUT_TYPE',
  });
  await expect(host.predict('retail', { inputs: [[1, 2, 3]] })).rejects.toMatchObject({
    code: 'EF_AGENT_REQUEST_INVALID',
  });
  expect(host.stats('retail')).toMatchObject({ errors: 0, rejected: 3 });
});
