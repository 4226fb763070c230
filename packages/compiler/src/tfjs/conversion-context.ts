import {
  UniqueNameGenerator,
  makeInitializer,
  makeNode,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxTensor,
} from '../onnx/index.js';
import type { LayersWeight } from './read-layers-model.js';
import { TfjsError, unsupportedArgument } from './tfjs-errors.js';

/** A Keras tensor while converting: its ONNX value name and rank (batch axis included). */
export interface TensorRef {
  name: string;
  rank: number;
}

/** A TensorRef with the static Keras shape the converter derived for it (batch first). */
export interface ShapedTensor extends TensorRef {
  shape: (number | null)[];
}

/** One layer as the converters see it. `weightScope` is the prefix its weights are stored under. */
export interface LayerInfo {
  name: string;
  className: string;
  config: Record<string, unknown>;
  weightScope: string;
}

/** A converter for one Keras layer class: ONNX nodes from the input tensors, output tensors out. */
export type LayerConverter = (
  ctx: ConversionContext,
  layer: LayerInfo,
  inputs: TensorRef[],
) => TensorRef[];

/**
 * Collects the ONNX nodes and initializers of a conversion and gives converters small helpers
 * (unique names, constants, weight lookup), so each layer file stays about the math only.
 */
export class ConversionContext {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly names = new UniqueNameGenerator();
  readonly usedWeights = new Set<string>();
  /** ONNX op types emitted since the last {@link takeOps}, for the report. */
  #ops: string[] = [];

  constructor(readonly weights: ReadonlyMap<string, LayersWeight>) {}

  /** Adds a node with one output and returns the output name. */
  node(opType: string, inputs: readonly string[], attributes: OnnxAttribute[] = []): string {
    const [output] = this.nodeN(opType, inputs, 1, attributes);
    return output as string;
  }

  /** Adds a node with `outputs` outputs and returns their names. */
  nodeN(
    opType: string,
    inputs: readonly string[],
    outputs: number,
    attributes: OnnxAttribute[] = [],
  ): string[] {
    const base = opType.toLowerCase();
    const out = Array.from({ length: outputs }, () => this.names.next(base));
    this.nodes.push(
      makeNode(opType, inputs, out, { name: this.names.next(`${base}_node`), attributes }),
    );
    this.#ops.push(opType);
    return out;
  }

  /** A float32 initializer. */
  constF32(base: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const name = this.names.next(base);
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    this.initializers.push(makeInitializer(name, values, dims));
    return name;
  }

  /** An int64 initializer (shapes, axes, pads); 1-D unless `dims` is given. */
  constI64(base: string, values: readonly number[], dims?: readonly number[]): string {
    const name = this.names.next(base);
    this.initializers.push(
      makeInitializer(
        name,
        BigInt64Array.from(values.map((v) => BigInt(v))),
        dims ?? [values.length],
      ),
    );
    return name;
  }

  /** Op types added since the previous call. */
  takeOps(): string[] {
    const ops = this.#ops;
    this.#ops = [];
    return ops;
  }

  /**
   * The weight `suffix` (`kernel`, `bias`, `gamma`, ...) of a layer: `<scope>/<suffix>`, or a
   * nested name under the scope ending in `/<suffix>` (Keras 2 RNN cells: `lstm/lstm_cell/kernel`).
   * `filter` narrows nested names (Bidirectional: forward/backward).
   */
  findWeight(
    scope: string,
    suffix: string,
    filter: (name: string) => boolean = () => true,
  ): LayersWeight | undefined {
    const exact = `${scope}/${suffix}`;
    let found = filter(exact) ? this.weights.get(exact) : undefined;
    let foundName = exact;
    if (found === undefined) {
      const candidates = [...this.weights.keys()].filter(
        (n) => n.startsWith(`${scope}/`) && n.endsWith(`/${suffix}`) && filter(n),
      );
      if (candidates.length > 1) {
        throw new TfjsError(
          'EF_COMPILE_TFJS_WEIGHTS',
          `weight '${suffix}' of '${scope}' is ambiguous: ${candidates.join(', ')}`,
          { layer: scope, weight: suffix },
        );
      }
      if (candidates[0] !== undefined) {
        foundName = candidates[0];
        found = this.weights.get(foundName);
      }
    }
    if (found !== undefined) this.usedWeights.add(foundName);
    return found;
  }

  /** Like {@link findWeight} but the weight must exist and have `rank` dimensions. */
  weight(
    layer: LayerInfo,
    suffix: string,
    rank: number,
    filter?: (name: string) => boolean,
  ): LayersWeight {
    const found = this.findWeight(layer.weightScope, suffix, filter);
    if (found === undefined || found.shape.length !== rank) {
      throw new TfjsError(
        'EF_COMPILE_TFJS_WEIGHTS',
        `layer '${layer.name}' (${layer.className}): weight '${suffix}' is ${found === undefined ? 'missing' : `of shape [${found.shape.join(', ')}], expected rank ${rank}`}`,
        { layer: layer.name, className: layer.className, weight: suffix },
      );
    }
    return found;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Config readers: every argument is checked, and a value we do not translate is an error.     */

/** The argument value, or `fallback` when absent/null. */
export function arg(layer: LayerInfo, key: string, fallback?: unknown): unknown {
  const value = layer.config[key];
  return value === undefined || value === null ? fallback : value;
}

export function numberArg(layer: LayerInfo, key: string, fallback?: number): number {
  const value = arg(layer, key, fallback);
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw unsupportedArgument(layer, key, value);
  return value;
}

export function boolArg(layer: LayerInfo, key: string, fallback: boolean): boolean {
  const value = arg(layer, key, fallback);
  if (typeof value !== 'boolean') throw unsupportedArgument(layer, key, value);
  return value;
}

export function stringArg(layer: LayerInfo, key: string, fallback?: string): string {
  const value = arg(layer, key, fallback);
  if (typeof value !== 'string') throw unsupportedArgument(layer, key, value);
  return value;
}

/** An integer list argument; a single integer is repeated `length` times (Keras `n` == `(n, n)`). */
export function intsArg(
  layer: LayerInfo,
  key: string,
  length: number,
  fallback?: number[],
): number[] {
  let value = arg(layer, key, fallback);
  if (typeof value === 'number') value = Array.from({ length }, () => value);
  if (
    !Array.isArray(value) ||
    value.length !== length ||
    !value.every((v) => Number.isSafeInteger(v))
  ) {
    throw unsupportedArgument(layer, key, value);
  }
  return value as number[];
}

/** Fails unless the argument is absent or one of `allowed`. */
export function requireArg(layer: LayerInfo, key: string, allowed: readonly unknown[]): void {
  const value = arg(layer, key);
  if (value !== undefined && !allowed.includes(value)) throw unsupportedArgument(layer, key, value);
}

/** Keras default data format is channels_last; channels_first would change every layout rule. */
export function requireChannelsLast(layer: LayerInfo): void {
  requireArg(layer, 'data_format', ['channels_last']);
}

/** Resolves a possibly negative axis against `rank`. */
export function normalizeAxis(layer: LayerInfo, key: string, axis: number, rank: number): number {
  const resolved = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(resolved) || resolved < 0 || resolved >= rank) {
    throw unsupportedArgument(layer, key, axis);
  }
  return resolved;
}

/** Row-major transpose of a weight, e.g. Keras [kh, kw, in, out] -> ONNX [out, in, kh, kw]. */
export function transposeData(
  data: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p] as number);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--)
    inStrides[i] = (inStrides[i + 1] as number) * (shape[i + 1] as number);
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++)
      src += (index[d] as number) * (inStrides[perm[d] as number] as number);
    out[o] = data[src] as number;
    for (let d = rank - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      if ((index[d] as number) < (outShape[d] as number)) break;
      index[d] = 0;
    }
  }
  return out;
}
