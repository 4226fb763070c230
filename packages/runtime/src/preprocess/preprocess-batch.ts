import { preprocessImages, type ImagePreprocessOptions } from './image-preprocess.js';
import { PreprocessError } from './preprocess-errors.js';
import type { ModelInputShape, PreprocessSpec, PreprocessedTensor } from './preprocess-spec.js';
import { preprocessTabular, type TabularRow } from './tabular-preprocess.js';
import { preprocessTensors } from './tensor-preprocess.js';

export interface PreprocessBatchOptions extends ImagePreprocessOptions {
  /**
   * The model input's shape (batch dim first) for 'tensor' specs, from the manifest or the
   * session's metadata. Without it, tensor samples are only checked against each other.
   */
  modelInputShape?: ModelInputShape;
}

/**
 * Preprocesses one batch with whichever pipeline the spec names: the single entry point the
 * compiler's validation and the agent's inference both call, so they cannot drift apart.
 * Inputs are `unknown` because they usually come from JSON or files: every pipeline checks
 * them and answers with coded errors.
 *
 * @example
 * const tensor = await preprocessBatch(manifest.preprocess, request.rows);
 * const outputs = await session.run({ [manifest.preprocess.input]: tensor });
 */
export async function preprocessBatch(
  spec: PreprocessSpec,
  inputs: readonly unknown[],
  options: PreprocessBatchOptions = {},
): Promise<PreprocessedTensor> {
  switch (spec.kind) {
    case 'tabular':
      return preprocessTabular(spec, inputs as readonly TabularRow[]);
    case 'image':
      return preprocessImages(spec, inputs as readonly Uint8Array[], options);
    case 'tensor':
      return preprocessTensors(spec, options.modelInputShape ?? [], inputs);
    default: {
      const kind: unknown = (spec as { kind?: unknown }).kind;
      throw new PreprocessError(
        'EF_RUNTIME_PREPROCESS_SPEC',
        `unknown preprocessing kind ${JSON.stringify(kind)}`,
        { kind },
      );
    }
  }
}
