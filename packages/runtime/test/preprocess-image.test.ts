import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';

import { IMAGE_PREPROCESS_POLICY } from '../src/preprocess/image-decode-policy.js';
import { preprocessImages } from '../src/preprocess/image-preprocess.js';
import type { ImagePreprocessSpec } from '../src/preprocess/preprocess-spec.js';

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

function spec(overrides: Partial<ImagePreprocessSpec> = {}): ImagePreprocessSpec {
  return {
    kind: 'image',
    input: 'pixels',
    width: 4,
    height: 3,
    fit: 'fill',
    channels: 3,
    layout: 'nchw',
    mean: MEAN,
    std: STD,
    ...overrides,
  };
}

/** A w x h image whose pixel (x, y) channel c is a known, distinct byte. */
function knownPixels(width: number, height: number, channels: number): Buffer {
  const px = Buffer.alloc(width * height * channels);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + 11) % 256;
  return px;
}

function encode(pixels: Buffer, width: number, height: number, channels: 1 | 2 | 3 | 4): Sharp {
  return sharp(pixels, { raw: { width, height, channels } });
}

/** Expected float for a uint8 value in channel c, computed the way the policy states. */
const norm = (v: number, c: number, mean = MEAN, std = STD): number =>
  Math.fround((v / 255 - mean[c]!) / std[c]!);

/** Two vertical halves: red on the left, blue on the right. */
function redBlue(width: number, height: number): Buffer {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) px[(y * width + x) * 3 + (x < width / 2 ? 0 : 2)] = 255;
  }
  return px;
}

describe('preprocessImages', () => {
  it("applies the manifest's scale (1 = a model trained on raw 0..255 pixels)", async () => {
    const raw = knownPixels(4, 3, 3);
    const png = await encode(raw, 4, 3, 3).png().toBuffer();
    const out = await preprocessImages(spec({ scale: 1, mean: [0, 0, 0], std: [1, 1, 1] }), [png]);
    const expected = new Float32Array(36);
    for (let p = 0; p < 12; p++) {
      for (let c = 0; c < 3; c++) expected[c * 12 + p] = raw[p * 3 + c]!;
    }
    expect(out.data).toEqual(expected);
  });

  it('keeps exact pixels at the same size (fill) and normalises them into NCHW', async () => {
    const raw = knownPixels(4, 3, 3);
    const png = await encode(raw, 4, 3, 3).png().toBuffer();
    const out = await preprocessImages(spec(), [png]);
    expect(out.dims).toEqual([1, 3, 3, 4]);
    const expected = new Float32Array(36);
    for (let p = 0; p < 12; p++) {
      for (let c = 0; c < 3; c++) expected[c * 12 + p] = norm(raw[p * 3 + c]!, c);
    }
    expect(out.data).toEqual(expected);
  });

  it('writes NHWC as the channel-last permutation of NCHW', async () => {
    const raw = knownPixels(4, 3, 3);
    const png = await encode(raw, 4, 3, 3).png().toBuffer();
    const nchw = await preprocessImages(spec(), [png]);
    const nhwc = await preprocessImages(spec({ layout: 'nhwc' }), [png]);
    expect(nhwc.dims).toEqual([1, 3, 4, 3]);
    for (let p = 0; p < 12; p++) {
      for (let c = 0; c < 3; c++) {
        expect(nhwc.data[p * 3 + c]).toBe(nchw.data[c * 12 + p]);
        expect(nhwc.data[p * 3 + c]).toBe(norm(raw[p * 3 + c]!, c));
      }
    }
  });

  it('stacks a batch in order', async () => {
    const a = await encode(knownPixels(4, 3, 3), 4, 3, 3)
      .png()
      .toBuffer();
    const b = await encode(Buffer.alloc(36, 128), 4, 3, 3).png().toBuffer();
    const out = await preprocessImages(spec(), [a, b]);
    expect(out.dims).toEqual([2, 3, 3, 4]);
    const single = await preprocessImages(spec(), [a]);
    expect(out.data.subarray(0, 36)).toEqual(single.data);
    expect(out.data[36]).toBe(norm(128, 0));
    expect(out.data[71]).toBe(norm(128, 2));
  });

  it('converts to greyscale with BT.601 integer luma (PIL), not linear-light luminance', async () => {
    const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const png = await encode(rgb, 2, 2, 3).png().toBuffer();
    const grey = spec({ width: 2, height: 2, channels: 1, mean: [0.5], std: [0.25] });
    const out = await preprocessImages(grey, [png]);
    expect(out.dims).toEqual([1, 1, 2, 2]);
    const luma = (r: number, g: number, b: number): number =>
      (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
    expect([76, 150, 29, luma(10, 20, 30)]).toEqual([
      luma(255, 0, 0),
      luma(0, 255, 0),
      luma(0, 0, 255),
      18,
    ]);
    expect([...out.data]).toEqual([76, 150, 29, 18].map((v) => norm(v, 0, [0.5], [0.25])));
  });

  it('keeps a greyscale PNG exact and expands it to R = G = B for a 3-channel model', async () => {
    const grey = Buffer.from([0, 64, 128, 255]);
    const png = await encode(grey, 2, 2, 1).png().toBuffer();
    const one = await preprocessImages(
      spec({ width: 2, height: 2, channels: 1, mean: [0], std: [1] }),
      [png],
    );
    expect([...one.data]).toEqual([0, 64, 128, 255].map((v) => Math.fround(v / 255)));
    const three = await preprocessImages(
      spec({ width: 2, height: 2, layout: 'nhwc', mean: [0, 0, 0], std: [1, 1, 1] }),
      [png],
    );
    expect([...three.data]).toEqual(
      [0, 64, 128, 255].flatMap((v) => [v, v, v]).map((v) => Math.fround(v / 255)),
    );
  });

  it('drops alpha without compositing: colour under transparent pixels is kept', async () => {
    const rgba = Buffer.from([200, 100, 50, 0, 200, 100, 50, 255, 10, 20, 30, 0, 10, 20, 30, 128]);
    const png = await encode(rgba, 2, 2, 4).png().toBuffer();
    const out = await preprocessImages(
      spec({ width: 2, height: 2, layout: 'nhwc', mean: [0, 0, 0], std: [1, 1, 1] }),
      [png],
    );
    expect(out.dims).toEqual([1, 2, 2, 3]);
    const expected = [200, 100, 50, 200, 100, 50, 10, 20, 30, 10, 20, 30];
    expect([...out.data]).toEqual(expected.map((v) => Math.fround(v / 255)));
  });

  it('drops alpha before resizing: a uniform colour with varying alpha stays uniform', async () => {
    const rgba = Buffer.alloc(8 * 8 * 4);
    for (let p = 0; p < 64; p++) rgba.set([200, 100, 50, (p * 4) % 256], p * 4);
    const png = await encode(rgba, 8, 8, 4).png().toBuffer();
    const out = await preprocessImages(
      spec({ width: 3, height: 3, layout: 'nhwc', mean: [0, 0, 0], std: [1, 1, 1] }),
      [png],
    );
    for (let p = 0; p < 9; p++) {
      expect([...out.data.subarray(p * 3, p * 3 + 3)]).toEqual(
        [200, 100, 50].map((v) => Math.fround(v / 255)),
      );
    }
  });

  it('resizes a uniform image to exactly the same colour (kernel weights sum to 1)', async () => {
    const raw = Buffer.alloc(10 * 10 * 3);
    for (let p = 0; p < 100; p++) raw.set([13, 77, 240], p * 3);
    const png = await encode(raw, 10, 10, 3).png().toBuffer();
    for (const fit of ['fill', 'cover', 'contain'] as const) {
      const out = await preprocessImages(spec({ width: 3, height: 3, fit }), [png]);
      expect(out.dims).toEqual([1, 3, 3, 3]);
      expect(new Set(out.data.subarray(0, 9))).toEqual(new Set([norm(13, 0)]));
      expect(new Set(out.data.subarray(18, 27))).toEqual(new Set([norm(240, 2)]));
    }
  });

  it("letterboxes with black for fit 'contain', centred", async () => {
    const png = await encode(redBlue(8, 4), 8, 4, 3).png().toBuffer();
    const s = spec({ width: 4, height: 4, fit: 'contain', layout: 'nhwc' });
    const out = await preprocessImages(s, [png]);
    const pixel = (x: number, y: number): number[] => [
      ...out.data.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3),
    ];
    const black = [0, 1, 2].map((c) => norm(0, c));
    for (let x = 0; x < 4; x++) {
      expect(pixel(x, 0)).toEqual(black);
      expect(pixel(x, 3)).toEqual(black);
    }
    expect(pixel(0, 1)).toEqual([norm(255, 0), norm(0, 1), norm(0, 2)]);
    expect(pixel(3, 2)).toEqual([norm(0, 0), norm(0, 1), norm(255, 2)]);
  });

  it("crops around the centre for fit 'cover'", async () => {
    const png = await encode(redBlue(8, 4), 8, 4, 3).png().toBuffer();
    const out = await preprocessImages(spec({ width: 4, height: 4, fit: 'cover' }), [png]);
    // Scale 1, columns 2..5 kept: two red columns then two blue ones, in every row.
    const red = out.data.subarray(0, 16);
    const blue = out.data.subarray(32, 48);
    for (let y = 0; y < 4; y++) {
      expect([...red.subarray(y * 4, y * 4 + 4)]).toEqual([255, 255, 0, 0].map((v) => norm(v, 0)));
      expect([...blue.subarray(y * 4, y * 4 + 4)]).toEqual([0, 0, 255, 255].map((v) => norm(v, 2)));
    }
  });

  it("downscales for fit 'fill' with the linear kernel: golden values derived by hand", async () => {
    // 8 -> 4 columns is a 2x reduction: each output column averages 4 input columns with
    // triangle weights 1/8, 3/8, 3/8, 1/8 (edges clamped), rounded to the nearest uint8.
    // Column 1 = (255 * 7 + 0) / 8 = 223.1 -> 223. Rows are unchanged (4 -> 4).
    const png = await encode(redBlue(8, 4), 8, 4, 3).png().toBuffer();
    const out = await preprocessImages(
      spec({ width: 4, height: 4, mean: [0, 0, 0], std: [1, 1, 1] }),
      [png],
    );
    const red = [255, 223, 32, 0].map((v) => Math.fround(v / 255));
    const blue = [0, 32, 223, 255].map((v) => Math.fround(v / 255));
    for (let y = 0; y < 4; y++) {
      expect([...out.data.subarray(y * 4, y * 4 + 4)]).toEqual(red);
      expect([...out.data.subarray(32 + y * 4, 32 + y * 4 + 4)]).toEqual(blue);
    }
  });

  it('pins libvips upscaling, which samples half a pixel off-centre on both axes', async () => {
    // A guard, not a wish: enlarging only the height still shifts columns by half a pixel
    // (column 4 becomes the red/blue average). If a sharp/libvips upgrade changes this, the
    // compiler and agents must upgrade together, and this test says so.
    const png = await encode(redBlue(8, 4), 8, 4, 3).png().toBuffer();
    const out = await preprocessImages(
      spec({ width: 8, height: 8, mean: [0, 0, 0], std: [1, 1, 1] }),
      [png],
    );
    const row = [...out.data.subarray(0, 8)].map((v) => Math.round(v * 255));
    expect(row).toEqual([255, 255, 255, 255, 128, 0, 0, 0]);
  });

  it('decodes JPEG (lossy: within a few levels of the source colour)', async () => {
    const raw = Buffer.alloc(16 * 16 * 3);
    for (let p = 0; p < 256; p++) raw.set([180, 90, 30], p * 3);
    const jpeg = await encode(raw, 16, 16, 3).jpeg({ quality: 95 }).toBuffer();
    const out = await preprocessImages(
      spec({ width: 8, height: 8, mean: [0, 0, 0], std: [1, 1, 1] }),
      [jpeg],
    );
    expect(out.dims).toEqual([1, 3, 8, 8]);
    [180, 90, 30].forEach((v, c) => {
      for (const x of out.data.subarray(c * 64, c * 64 + 64))
        expect(Math.abs(x * 255 - v)).toBeLessThan(4);
    });
  });

  it('decodes lossless WebP exactly', async () => {
    const raw = knownPixels(4, 3, 3);
    const webp = await encode(raw, 4, 3, 3).webp({ lossless: true }).toBuffer();
    const png = await encode(raw, 4, 3, 3).png().toBuffer();
    expect(await preprocessImages(spec(), [webp])).toEqual(await preprocessImages(spec(), [png]));
  });

  it('applies the EXIF orientation before resizing', async () => {
    // Orientation 6 = rotate 90 degrees clockwise to display: the red left half ends up on top.
    const jpeg = await encode(redBlue(8, 4), 8, 4, 3)
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const out = await preprocessImages(
      spec({ width: 4, height: 8, layout: 'nhwc', mean: [0, 0, 0], std: [1, 1, 1] }),
      [jpeg],
    );
    const at = (x: number, y: number): number[] =>
      [...out.data.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3)].map((v) => Math.round(v * 255));
    expect(at(1, 0)[0]).toBeGreaterThan(240);
    expect(at(1, 0)[2]).toBeLessThan(15);
    expect(at(1, 7)[2]).toBeGreaterThan(240);
    expect(at(1, 7)[0]).toBeLessThan(15);
  });

  it('states its pinned resize choices', () => {
    expect(IMAGE_PREPROCESS_POLICY).toMatchObject({
      kernel: 'linear',
      position: 'centre',
      containBackground: 0,
      fastShrinkOnLoad: false,
      autoOrient: true,
    });
    expect(IMAGE_PREPROCESS_POLICY.libvipsVersion).toMatch(/^\d+\.\d+/);
  });
});

describe('rejects image input', () => {
  const valid = (): Promise<Buffer> =>
    encode(knownPixels(4, 3, 3), 4, 3, 3)
      .png()
      .toBuffer();

  it('rejects garbage bytes, naming the image index', async () => {
    await expect(
      preprocessImages(spec(), [await valid(), Buffer.from('definitely not an image')]),
    ).rejects.toMatchObject({ code: 'EF_RUNTIME_IMAGE_DECODE', details: { image: 1 } });
  });

  it('rejects a zero-length buffer', async () => {
    await expect(preprocessImages(spec(), [Buffer.alloc(0)])).rejects.toMatchObject({
      code: 'EF_RUNTIME_IMAGE_DECODE',
      details: { image: 0 },
    });
  });

  it('rejects a truncated PNG', async () => {
    const png = await valid();
    await expect(
      preprocessImages(spec(), [png.subarray(0, png.length - 20)]),
    ).rejects.toMatchObject({ code: 'EF_RUNTIME_IMAGE_DECODE' });
  });

  it('rejects formats other than JPEG/PNG/WebP (GIF)', async () => {
    const gif = await encode(knownPixels(4, 3, 3), 4, 3, 3)
      .gif()
      .toBuffer();
    await expect(preprocessImages(spec(), [gif])).rejects.toMatchObject({
      code: 'EF_RUNTIME_IMAGE_DECODE',
    });
  });

  it('rejects an image over the pixel limit before decoding it', async () => {
    const big = await encode(Buffer.alloc(20 * 20 * 3), 20, 20, 3)
      .png()
      .toBuffer();
    await expect(preprocessImages(spec(), [big], { limitInputPixels: 399 })).rejects.toMatchObject({
      code: 'EF_RUNTIME_IMAGE_TOO_LARGE',
      details: { image: 0, width: 20, height: 20, limitInputPixels: 399 },
    });
  });

  it('rejects something that is not a buffer', async () => {
    const inputs = ['/tmp/a.png'] as unknown as Uint8Array[];
    await expect(preprocessImages(spec(), inputs)).rejects.toMatchObject({
      code: 'EF_RUNTIME_INPUT_TYPE',
    });
  });

  it('rejects an empty batch', async () => {
    await expect(preprocessImages(spec(), [])).rejects.toMatchObject({
      code: 'EF_RUNTIME_INPUT_SHAPE',
    });
  });

  it('rejects a spec whose mean/std do not have one value per channel', async () => {
    await expect(preprocessImages(spec({ channels: 1 }), [await valid()])).rejects.toMatchObject({
      code: 'EF_RUNTIME_PREPROCESS_SPEC',
    });
  });
});
