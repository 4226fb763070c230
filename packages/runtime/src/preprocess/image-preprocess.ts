import type { SharpConstructor } from 'sharp';

import { describeValue } from './describe-value.js';
import { IMAGE_PREPROCESS_POLICY, sniffImageFormat } from './image-decode-policy.js';
import { PreprocessError } from './preprocess-errors.js';
import { loadSharp } from './sharp-loader.js';
import type { ImagePreprocessSpec, PreprocessedTensor } from './preprocess-spec.js';

export interface ImagePreprocessOptions {
  /** Largest accepted width x height of an input image; default 25,000,000. */
  limitInputPixels?: number;
}

interface RawImage {
  pixels: Buffer;
  width: number;
  height: number;
  channels: 1 | 3;
}

// Guards the spec, not the input: a 100k x 100k target would allocate tens of GB.
const MAX_TARGET_SIDE = 16_384;

/**
 * Decodes JPEG/PNG/WebP images and turns them into the model's float32 input, exactly as
 * {@link IMAGE_PREPROCESS_POLICY} states: EXIF orientation -> drop alpha -> 8-bit sRGB
 * (-> BT.601 grey for 1 channel) -> resize (kernel 'linear', fit from the spec, centred,
 * black letterbox) -> uint8 -> (x * scale - mean[c]) / std[c] (scale 1/255 by default) -> float32 NCHW or NHWC.
 *
 * Images are decoded one after another to bound memory on small devices; errors name the
 * index of the first bad image.
 *
 * @throws PreprocessError EF_RUNTIME_IMAGE_DECODE, EF_RUNTIME_IMAGE_TOO_LARGE,
 *   EF_RUNTIME_INPUT_TYPE, EF_RUNTIME_INPUT_SHAPE (empty batch), EF_RUNTIME_PREPROCESS_SPEC.
 * @example
 * const spec: ImagePreprocessSpec = { kind: 'image', input: 'pixel_values', width: 224,
 *   height: 224, fit: 'cover', channels: 3, layout: 'nchw',
 *   mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
 * const { data, dims } = await preprocessImages(spec, [await readFile('part.jpg')]);
 * // dims -> [1, 3, 224, 224]
 */
export async function preprocessImages(
  spec: ImagePreprocessSpec,
  images: readonly Uint8Array[],
  options: ImagePreprocessOptions = {},
): Promise<PreprocessedTensor> {
  assertImageSpec(spec);
  const limit = options.limitInputPixels ?? IMAGE_PREPROCESS_POLICY.defaultLimitInputPixels;
  if (!Number.isSafeInteger(limit) || limit <= 0) {
    throw new RangeError(`limitInputPixels must be a positive integer, got ${limit}`);
  }
  if (!Array.isArray(images)) {
    throw new PreprocessError('EF_RUNTIME_INPUT_TYPE', 'image input must be an array of buffers', {
      input: spec.input,
    });
  }
  if (images.length === 0) {
    throw new PreprocessError('EF_RUNTIME_INPUT_SHAPE', 'image input needs at least one image', {
      input: spec.input,
    });
  }
  const { width, height, channels } = spec;
  const perImage = width * height * channels;
  const data = new Float32Array(images.length * perImage);
  const sharp = await loadSharp();
  for (let index = 0; index < images.length; index++) {
    const bytes = images[index];
    const decoded = await decodeToRaw(sharp, spec, bytes, index, limit);
    const resized = await resizeRaw(sharp, spec, decoded, index);
    writeNormalised(spec, resized, data, index * perImage);
  }
  const dims =
    spec.layout === 'nchw'
      ? [images.length, channels, height, width]
      : [images.length, height, width, channels];
  return { data, dims };
}

/** Stage 1: full-size, upright, alpha-free 8-bit sRGB (or BT.601 grey) pixels. */
async function decodeToRaw(
  sharp: SharpConstructor,
  spec: ImagePreprocessSpec,
  bytes: unknown,
  index: number,
  limitInputPixels: number,
): Promise<RawImage> {
  const details = { input: spec.input, image: index };
  if (!(bytes instanceof Uint8Array)) {
    throw new PreprocessError(
      'EF_RUNTIME_INPUT_TYPE',
      `image ${index} is ${describeValue(bytes)}, expected encoded image bytes (Uint8Array/Buffer)`,
      details,
    );
  }
  if (bytes.length === 0) {
    throw new PreprocessError(
      'EF_RUNTIME_IMAGE_DECODE',
      `image ${index} is empty (0 bytes)`,
      details,
    );
  }
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    throw new PreprocessError(
      'EF_RUNTIME_IMAGE_DECODE',
      `image ${index} is not JPEG, PNG or WebP (unrecognised leading bytes)`,
      details,
    );
  }
  const input = { limitInputPixels, failOn: IMAGE_PREPROCESS_POLICY.failOn } as const;
  try {
    // The header is read first so an oversized image is refused before any pixel is decoded,
    // with its own code (an agent answers 413, not 400).
    const meta = await sharp(bytes, { ...input, limitInputPixels: false }).metadata();
    const pixels = (meta.width ?? 0) * (meta.height ?? 0);
    if (pixels > limitInputPixels) {
      throw new PreprocessError(
        'EF_RUNTIME_IMAGE_TOO_LARGE',
        `image ${index} is ${meta.width}x${meta.height} = ${pixels} pixels, over the limit of ${limitInputPixels}`,
        { ...details, width: meta.width, height: meta.height, limitInputPixels },
      );
    }
    // Alpha removal happens here, before resizing, because sharp's single pipeline would
    // resize premultiplied RGBA and only drop alpha afterwards (colours under transparency change).
    const { data, info } = await sharp(bytes, input)
      .autoOrient()
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new Error(`decoder produced ${info.channels} channels instead of 3`);
    }
    const rgb = { pixels: data, width: info.width, height: info.height, channels: 3 as const };
    return spec.channels === 1 ? toBt601Grey(rgb) : rgb;
  } catch (err) {
    if (err instanceof PreprocessError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const code = /pixel limit/i.test(message)
      ? 'EF_RUNTIME_IMAGE_TOO_LARGE'
      : 'EF_RUNTIME_IMAGE_DECODE';
    throw new PreprocessError(
      code,
      `image ${index} (${format}) could not be decoded: ${message}`,
      details,
      {
        cause: err,
      },
    );
  }
}

/** PIL's integer BT.601 luma; the weights sum to 65536, so grey inputs stay exactly unchanged. */
function toBt601Grey(rgb: RawImage): RawImage {
  const n = rgb.width * rgb.height;
  const src = rgb.pixels;
  const grey = Buffer.allocUnsafe(n);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    grey[i] = (src[j]! * 19595 + src[j + 1]! * 38470 + src[j + 2]! * 7471 + 0x8000) >>> 16;
  }
  return { pixels: grey, width: rgb.width, height: rgb.height, channels: 1 };
}

/** Stage 2: resize the raw pixels to the model's size with the pinned kernel, fit and padding. */
async function resizeRaw(
  sharp: SharpConstructor,
  spec: ImagePreprocessSpec,
  image: RawImage,
  index: number,
): Promise<RawImage> {
  const { data, info } = await sharp(image.pixels, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  })
    .resize(spec.width, spec.height, {
      fit: spec.fit,
      kernel: IMAGE_PREPROCESS_POLICY.kernel,
      position: IMAGE_PREPROCESS_POLICY.position,
      background: { r: 0, g: 0, b: 0, alpha: 1 },
      fastShrinkOnLoad: IMAGE_PREPROCESS_POLICY.fastShrinkOnLoad,
    })
    // sharp writes 1-band raw input out as sRGB unless told to stay grey.
    .toColourspace(spec.channels === 1 ? 'b-w' : 'srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== spec.width || info.height !== spec.height || info.channels !== spec.channels) {
    throw new PreprocessError(
      'EF_RUNTIME_IMAGE_DECODE',
      `image ${index}: resizing produced ${info.width}x${info.height}x${info.channels}, expected ${spec.width}x${spec.height}x${spec.channels}`,
      { input: spec.input, image: index },
    );
  }
  return { pixels: data, width: info.width, height: info.height, channels: spec.channels };
}

/** uint8 HWC pixels -> normalised floats at `offset` in the requested layout. */
function writeNormalised(
  spec: ImagePreprocessSpec,
  image: RawImage,
  out: Float32Array,
  offset: number,
): void {
  const { width, height, channels } = spec;
  const plane = width * height;
  const src = image.pixels;
  // The manifest's scale (1/255 unless the model was trained on raw 0..255 pixels). 1/255 is
  // applied as a division, so the usual case stays bit-identical to x / 255.
  const divide = spec.scale === undefined || spec.scale === 1 / 255;
  const scale = spec.scale ?? 1 / 255;
  for (let c = 0; c < channels; c++) {
    const mean = spec.mean[c]!;
    const std = spec.std[c]!;
    for (let p = 0; p < plane; p++) {
      const px = src[p * channels + c]!;
      const value = ((divide ? px / 255 : px * scale) - mean) / std;
      const at = spec.layout === 'nchw' ? c * plane + p : p * channels + c;
      out[offset + at] = value;
    }
  }
}

function assertImageSpec(spec: ImagePreprocessSpec): void {
  const bad = (why: string): never => {
    throw new PreprocessError(
      'EF_RUNTIME_PREPROCESS_SPEC',
      `image spec for "${spec.input}": ${why}`,
      {
        input: spec.input,
      },
    );
  };
  for (const [name, side] of [
    ['width', spec.width],
    ['height', spec.height],
  ] as const) {
    if (!Number.isInteger(side) || side < 1 || side > MAX_TARGET_SIDE) {
      bad(`${name} must be an integer in 1..${MAX_TARGET_SIDE}, got ${side}`);
    }
  }
  if (spec.channels !== 1 && spec.channels !== 3) bad(`channels must be 1 or 3`);
  if (!['fill', 'cover', 'contain'].includes(spec.fit)) bad(`unknown fit "${spec.fit}"`);
  if (spec.layout !== 'nchw' && spec.layout !== 'nhwc') bad(`unknown layout "${spec.layout}"`);
  if (spec.mean.length !== spec.channels || spec.std.length !== spec.channels) {
    bad(`mean and std need ${spec.channels} values (one per channel)`);
  }
  if (!spec.mean.every(Number.isFinite) || !spec.std.every((s) => Number.isFinite(s) && s > 0)) {
    bad('mean must be finite and std finite and > 0');
  }
}
