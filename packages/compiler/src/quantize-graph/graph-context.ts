import {
  TensorDataType,
  UniqueNameGenerator,
  decodeTensor,
  getGraphInputs,
  initializerMap,
  opsetVersion,
  tensorDims,
  topologicalSort,
  OnnxError,
} from '../onnx/index.js';
import type { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor } from '../onnx/index.js';
import { QuantizeGraphError } from './quantize-graph-errors.js';
import type { KeptFp32Report } from './quantize-report.js';

/** A float32 initializer decoded for quantization. */
export interface FloatWeight {
  name: string;
  data: Float32Array;
  dims: number[];
  /** Marks a derived copy (e.g. 'transposed'), so the quantized-weight cache keeps them apart. */
  variant?: string;
}

/**
 * Shared state of one rewrite of a cloned model: fresh names, the initializers by name, and the
 * nodes of the default domain (`''`/`ai.onnx`) the quantizer may touch; nodes of other domains
 * (`com.microsoft`, `ai.onnx.ml`, custom) are never rewritten.
 *
 * @example
 * const ctx = new GraphContext(structuredClone(model));
 * ctx.floatWeight('fc.weight')?.dims; // [64, 8]
 */
export class GraphContext {
  readonly model: OnnxModel;
  readonly graph: OnnxGraph;
  readonly names: UniqueNameGenerator;
  readonly initializers: Map<string, OnnxTensor>;
  /** Initializers that are also graph inputs can be overridden at run time: not constants. */
  readonly overridable: Set<string>;
  readonly keptFp32: KeptFp32Report[] = [];

  constructor(model: OnnxModel) {
    this.model = model;
    this.graph = model.graph;
    this.names = UniqueNameGenerator.forModel(model);
    this.initializers = initializerMap(model.graph);
    const realInputs = new Set(getGraphInputs(model.graph).map((v) => v.name ?? ''));
    this.overridable = new Set(
      model.graph.input.map((v) => v.name ?? '').filter((name) => !realInputs.has(name)),
    );
  }

  /** Gives every unnamed node a unique name, since quantized node names derive from it. */
  nameNodes(): void {
    for (const node of this.graph.node) {
      if (node.name === undefined || node.name === '')
        node.name = this.names.next(node.opType ?? 'node');
    }
  }

  /** The float32 constant initializer `name`, decoded, or undefined. */
  floatWeight(name: string | undefined): FloatWeight | undefined {
    if (name === undefined || name === '' || this.overridable.has(name)) return undefined;
    const tensor = this.initializers.get(name);
    if (tensor === undefined || tensor.dataType !== TensorDataType.FLOAT) return undefined;
    return { name, data: decodeTensor(tensor).data as Float32Array, dims: tensorDims(tensor) };
  }

  /** True if `name` is an initializer (a constant, not an activation). */
  isInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  /** Adds an initializer (its name must come from {@link names}). */
  addInitializer(tensor: OnnxTensor): void {
    this.graph.initializer.push(tensor);
    this.initializers.set(tensor.name ?? '', tensor);
  }

  keep(node: OnnxNode, reason: string): void {
    this.keptFp32.push({ name: node.name ?? '', opType: node.opType ?? '', reason });
  }

  /** Drops initializers in `candidates` that no node reads any more and that are not graph outputs. */
  removeUnusedInitializers(candidates: Iterable<string>): void {
    const used = new Set<string>();
    for (const node of this.graph.node) for (const input of node.input) used.add(input);
    for (const output of this.graph.output) used.add(output.name ?? '');
    const drop = new Set([...candidates].filter((name) => !used.has(name)));
    if (drop.size === 0) return;
    this.graph.initializer = this.graph.initializer.filter((t) => !drop.has(t.name ?? ''));
    this.graph.input = this.graph.input.filter((v) => !drop.has(v.name ?? ''));
    for (const name of drop) this.initializers.delete(name);
  }

  /** Re-sorts the nodes after a rewrite (new nodes may sit before their inputs' producers). */
  sortNodes(): void {
    try {
      this.graph.node = topologicalSort(this.graph);
    } catch (err) {
      if (!(err instanceof OnnxError)) throw err;
      throw new QuantizeGraphError(
        'EF_COMPILE_QUANT_GRAPH',
        `Cannot quantize: ${err.message}`,
        { ...err.details },
        { cause: err },
      );
    }
  }
}

/**
 * True for the default ONNX domain.
 *
 * @example
 * isDefaultDomain(makeNode('Gelu', ['x'], ['y'], { domain: 'com.microsoft' })); // false
 */
export function isDefaultDomain(node: OnnxNode): boolean {
  return node.domain === undefined || node.domain === '' || node.domain === 'ai.onnx';
}

/**
 * Throws `EF_COMPILE_QUANT_OPSET` unless the model imports the default domain at `minimum` or later.
 *
 * @example
 * requireOpset(model, 11, 'DynamicQuantizeLinear');
 */
export function requireOpset(model: OnnxModel, minimum: number, why: string): void {
  const version = opsetVersion(model) ?? 0;
  if (version < minimum) {
    throw new QuantizeGraphError(
      'EF_COMPILE_QUANT_OPSET',
      `The model imports ONNX opset ${version}, but ${why} needs opset ${minimum} or later; re-export it at opset ${minimum}+ (e.g. torch.onnx.export(..., opset_version=17)).`,
      { opset: version, required: minimum },
    );
  }
}
