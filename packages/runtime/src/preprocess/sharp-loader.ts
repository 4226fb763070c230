/**
 * sharp (libvips) is loaded on the first image, not when the runtime is imported: loading it
 * costs about 17 MB of resident memory per process (libvips and its libraries mapped, glib
 * initialised), which an agent serving only tabular models should not pay, nor each of its
 * inference worker threads, which import the runtime only for onnxruntime sessions.
 */
import { createRequire } from 'node:module';

import type { SharpConstructor } from 'sharp';

let loading: Promise<SharpConstructor> | undefined;
let loaded: SharpConstructor | undefined;

/**
 * sharp, imported once on first use.
 *
 * @example
 * const sharp = await loadSharp();
 * const meta = await sharp(bytes).metadata();
 */
export function loadSharp(): Promise<SharpConstructor> {
  if (loading === undefined) {
    loading = import('sharp').then((m) => (loaded = m.default));
    // A failed import (a broken install) is retried on the next image rather than cached.
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

/**
 * The versions sharp reports, read synchronously for {@link IMAGE_PREPROCESS_POLICY}'s
 * version fields (read by reports, not on the serving path). Before the first image this
 * loads sharp's CommonJS build, which shares the native binding with the ES module build.
 *
 * @example
 * sharpVersions().vips; // '8.17.3'
 */
export function sharpVersions(): SharpConstructor['versions'] {
  const sharp = loaded ?? (createRequire(import.meta.url)('sharp') as SharpConstructor);
  return sharp.versions;
}
