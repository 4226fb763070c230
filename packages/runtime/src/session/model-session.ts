import { readFile } from 'node:fs/promises';

import * as ort from 'onnxruntime-node';

import { toOrtFeeds } from './feed-validation.js';
import { toOrtSessionOptions, type ModelSessionOptions } from './model-session-options.js';
import { SessionError } from './session-errors.js';
import type { FeedTensor, ModelValueInfo, OutputTensor, TensorData } from './tensor-types.js';

/**
 * One loaded ONNX model in onnxruntime (CPU), with feeds checked against the model's declared
 * inputs before each run and plain-data outputs. Shared by the compiler's validation and the
 * agent's inference workers.
 *
 * @example
 * const session = await ModelSession.load('bundles/abc/model.onnx', { intraOpThreads: 1 });
 * const { logits } = await session.run({ features: { data: new Float32Array(8), dims: [2, 4] } });
 * await session.release();
 */
export class ModelSession {
  /** Model inputs in declaration order. */
  readonly inputs: readonly ModelValueInfo[];
  /** Model outputs in declaration order (non-tensor outputs are listed but never fetched). */
  readonly outputs: readonly ModelValueInfo[];

  readonly #session: ort.InferenceSession;
  readonly #fetches: string[];
  readonly #inFlight = new Set<Promise<unknown>>();
  #released = false;

  private constructor(session: ort.InferenceSession) {
    this.#session = session;
    this.inputs = Object.freeze(session.inputMetadata.map(toValueInfo));
    this.outputs = Object.freeze(session.outputMetadata.map(toValueInfo));
    // Only tensors are fetched: onnxruntime-node cannot return sequences/maps (e.g. sklearn's
    // ZipMap probabilities), and asking for them would fail every run.
    this.#fetches = this.outputs.filter((o) => o.type !== 'non-tensor').map((o) => o.name);
  }

  /**
   * Loads a model from its bytes or a file path.
   *
   * @throws SessionError EF_RUNTIME_MODEL_LOAD (with onnxruntime's message),
   *   EF_RUNTIME_SESSION_OPTIONS.
   * @example
   * const session = await ModelSession.load(await readFile('model.onnx'));
   * session.inputs; // [{ name: 'features', type: 'float32', shape: ['batch', 4] }]
   */
  static async load(
    source: Uint8Array | string,
    options: ModelSessionOptions = {},
  ): Promise<ModelSession> {
    const ortOptions = toOrtSessionOptions(options);
    const what = typeof source === 'string' ? `model file ${source}` : 'model bytes';
    let bytes: Uint8Array;
    try {
      // Reading the file here (not in onnxruntime) gives the same error path for files and bytes.
      bytes = typeof source === 'string' ? await readFile(source) : source;
    } catch (err) {
      throw loadError(what, err);
    }
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
      throw new SessionError('EF_RUNTIME_MODEL_LOAD', `cannot load ${what}: no bytes`, {
        source: typeof source === 'string' ? source : undefined,
      });
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, ortOptions);
    } catch (err) {
      throw loadError(what, err);
    }
    const model = new ModelSession(session);
    const opaque = model.inputs.find((i) => i.type === 'non-tensor');
    if (opaque !== undefined) {
      await session.release();
      throw new SessionError(
        'EF_RUNTIME_MODEL_LOAD',
        `cannot serve ${what}: input "${opaque.name}" is not a tensor`,
        { input: opaque.name },
      );
    }
    return model;
  }

  /** True once {@link release} was called. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Runs the model. Every model input needs a feed; feed names, element types, ranks and fixed
   * dims are checked first. Returns every tensor output as plain data.
   *
   * @throws SessionError EF_RUNTIME_FEED_NAME, EF_RUNTIME_FEED_TYPE, EF_RUNTIME_FEED_SHAPE,
   *   EF_RUNTIME_RUN (with onnxruntime's message), EF_RUNTIME_SESSION_RELEASED.
   * @example
   * const out = await session.run({ X: { data: Float32Array.of(1, 2, 3), dims: [1, 3] } });
   * out.Y; // { data: Float32Array [...], dims: [1, 3], type: 'float32' }
   */
  async run(feeds: Readonly<Record<string, FeedTensor>>): Promise<Record<string, OutputTensor>> {
    this.#assertOpen();
    const ortFeeds = toOrtFeeds(this.inputs, feeds);
    const pending = this.#session.run(ortFeeds, this.#fetches);
    this.#inFlight.add(pending);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await pending;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new SessionError(
        'EF_RUNTIME_RUN',
        `onnxruntime failed to run the model: ${message}`,
        {
          ortMessage: message,
        },
        { cause: err },
      );
    } finally {
      this.#inFlight.delete(pending);
    }
    const outputs: Record<string, OutputTensor> = {};
    for (const [name, value] of Object.entries(results)) {
      const tensor = value as ort.Tensor;
      outputs[name] = {
        data: tensor.data as TensorData,
        dims: [...tensor.dims],
        type: tensor.type,
      };
    }
    return outputs;
  }

  /**
   * Frees the native session after runs in flight have settled. Idempotent.
   *
   * @example
   * await session.release();
   */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    // Freeing native memory under a running kernel would crash the process, so wait first.
    await Promise.allSettled([...this.#inFlight]);
    await this.#session.release();
  }

  #assertOpen(): void {
    if (this.#released) {
      throw new SessionError('EF_RUNTIME_SESSION_RELEASED', 'the session was released');
    }
  }
}

function toValueInfo(meta: ort.InferenceSession.ValueMetadata): ModelValueInfo {
  if (!meta.isTensor) return Object.freeze({ name: meta.name, type: 'non-tensor', shape: [] });
  return Object.freeze({ name: meta.name, type: meta.type, shape: Object.freeze([...meta.shape]) });
}

function loadError(what: string, err: unknown): SessionError {
  const message = err instanceof Error ? err.message : String(err);
  return new SessionError(
    'EF_RUNTIME_MODEL_LOAD',
    `cannot load ${what}: ${message}`,
    {
      ortMessage: message,
    },
    { cause: err },
  );
}
