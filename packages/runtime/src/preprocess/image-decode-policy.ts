import { sharpVersions } from './sharp-loader.js';

/**
 * Every choice the image pipeline makes that changes pixel values, pinned here so the compiler
 * (validation) and the agent (serving) produce bit-identical tensors, and so the compiler's
 * report can state them. Changing any of these changes model accuracy: treat it like a format
 * change.
 */
export const IMAGE_PREPROCESS_POLICY = {
  /** Sniffed from magic bytes before sharp sees the buffer (no SVG/TIFF/GIF parsers on the device). */
  formats: ['jpeg', 'png', 'webp'] as const,
  /** sharp failOn: truncated or corrupt pixel data is an error, not a silently grey image. */
  failOn: 'warning' as const,
  /** EXIF Orientation is applied first, so a phone photo is upright as a human labelled it. */
  autoOrient: true,
  /** Alpha is dropped (not composited), before resizing, like PIL's convert('RGB'). */
  alpha: 'dropped-before-resize' as const,
  /** Embedded ICC profiles are converted to sRGB; 16-bit inputs become 8-bit per channel. */
  colourSpace: 'srgb-8bit' as const,
  /**
   * 1-channel models get ITU-R BT.601 luma computed from 8-bit sRGB with PIL's integer formula
   * (R*19595 + G*38470 + B*7471 + 32768) >> 16, before resizing. Not libvips' greyscale, which
   * weighs linear light (pure red -> 127 instead of PIL/torchvision's 76).
   */
  greyscale: 'bt601-pil-integer' as const,
  /**
   * Resize kernel. 'linear' (triangle filter, scaled for reduction, i.e. antialiased) is the
   * closest libvips kernel to the bilinear default of torchvision, PIL, Keras and tf.image,
   * where models are trained; sharp's own default, lanczos3, would sharpen relative to training.
   * Reduction is centre-aligned. Enlarging (either axis) goes through libvips' affine path,
   * which samples half an input pixel off-centre on both axes; a test pins that behaviour.
   */
  kernel: 'linear' as const,
  /** Whole-image decode, no JPEG/WebP shrink-on-load (it changes pixels and depends on the format). */
  fastShrinkOnLoad: false,
  /** fit 'cover' crops around the centre; 'contain' letterboxes around the centre. */
  position: 'centre' as const,
  /** Letterbox pixels for fit 'contain' are 0 (black) in every channel, before normalisation. */
  containBackground: 0,
  /** Resized pixels are libvips uchar output (fixed-point, rounded to nearest). */
  pixelRounding: 'libvips-uchar-round-nearest' as const,
  /** (pixel / 255 - mean[c]) / std[c] in float64, rounded once to float32 (round-half-even). */
  normalisation: 'float64-then-float32' as const,
  /** Default pixel cap (width x height) of a decoded input image: 25 MP is ~75 MB of RGB. */
  defaultLimitInputPixels: 25_000_000,
  /**
   * Pixel output can differ across libvips versions: compiler and agent must ship the same.
   * Getters, so that importing the runtime does not load sharp (see sharp-loader.ts).
   */
  get libvipsVersion(): string {
    return sharpVersions().vips;
  },
  get sharpVersion(): string {
    return sharpVersions().sharp ?? 'unknown';
  },
} as const;

export type ImageFormat = (typeof IMAGE_PREPROCESS_POLICY.formats)[number];

/** The image format from its magic bytes, or undefined when it is not one we accept. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length >= 8 && png.every((v, i) => b[i] === v)) return 'png';
  const ascii = (from: number, to: number): string => String.fromCharCode(...b.subarray(from, to));
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return undefined;
}
