import {
  makeGraph,
  makeModel,
  makeTensorValueInfo,
  type OnnxModel,
  type ShapeDim,
} from '../onnx/index.js';
import { ConversionContext, type LayerInfo, type ShapedTensor } from './conversion-context.js';
import { layerOutputShape } from './output-shapes.js';
import { LAYER_CONVERTERS } from './layer-registry.js';
import {
  readLayersModel,
  type KerasLayerJson,
  type LayersModelArtifacts,
} from './read-layers-model.js';
import { TfjsError } from './tfjs-errors.js';

/** Layer count cap: a hostile model.json cannot make the dependency walk quadratic without bound. */
export const MAX_LAYERS = 10_000;

/** The ONNX opset the converter targets (onnxruntime and the quantizer handle it). */
export const TFJS_ONNX_OPSET = 13;

/** What the conversion did, per layer call, for the compile report. */
export interface LayersConversionReport {
  modelClass: string;
  kerasVersion?: string;
  opset: number;
  inputs: { name: string; shape: ShapeDim[] }[];
  outputs: { name: string; shape: ShapeDim[] }[];
  layers: { name: string; className: string; onnxOps: string[] }[];
  /** Manifest weights no layer used (e.g. optimizer state): listed, not an error. */
  unusedWeights: string[];
}

/** Result of {@link convertLayersModel}. */
export interface LayersConversionResult {
  model: OnnxModel;
  report: LayersConversionReport;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function topologyError(message: string, details?: Record<string, unknown>): TfjsError {
  return new TfjsError('EF_COMPILE_TFJS_TOPOLOGY', message, details);
}

function parseLayer(raw: unknown, index: number): KerasLayerJson & { name: string } {
  if (!isRecord(raw) || typeof raw.class_name !== 'string' || !isRecord(raw.config)) {
    throw new TfjsError('EF_COMPILE_TFJS_FORMAT', `layer #${index} needs class_name and config`);
  }
  const name = typeof raw.name === 'string' ? raw.name : raw.config.name;
  if (typeof name !== 'string' || name === '') {
    throw new TfjsError('EF_COMPILE_TFJS_FORMAT', `layer #${index} has no name`);
  }
  return { class_name: raw.class_name, name, config: raw.config, inbound_nodes: raw.inbound_nodes };
}

/** A reference [layerName, nodeIndex, tensorIndex] from inbound_nodes / input_layers. */
type TensorKey = string;
function keyOf(ref: unknown, what: string): TensorKey {
  if (
    !Array.isArray(ref) ||
    ref.length < 3 ||
    typeof ref[0] !== 'string' ||
    !Number.isSafeInteger(ref[1]) ||
    !Number.isSafeInteger(ref[2])
  ) {
    throw new TfjsError(
      'EF_COMPILE_TFJS_FORMAT',
      `${what} has a malformed tensor reference ${JSON.stringify(ref)}`,
    );
  }
  return `${ref[0]}\u0000${ref[1]}\u0000${ref[2]}`;
}

/** Declared input shape of an InputLayer or of a Sequential model's first layer. */
function inputShape(layer: KerasLayerJson & { name: string }): ShapeDim[] {
  const c = layer.config;
  let shape: unknown = c.batch_input_shape ?? c.batch_shape;
  if (shape === undefined && Array.isArray(c.input_shape))
    shape = [null, ...(c.input_shape as unknown[])];
  if (
    !Array.isArray(shape) ||
    shape.length < 2 ||
    !shape.every((d) => d === null || (Number.isSafeInteger(d) && (d as number) > 0))
  ) {
    throw new TfjsError(
      'EF_COMPILE_TFJS_FORMAT',
      `layer '${layer.name}' has no valid batch_input_shape: ${JSON.stringify(shape)}`,
      { layer: layer.name },
    );
  }
  // Batch stays symbolic so the device can send any batch size.
  return shape.map((d, i) => (i === 0 ? 'batch' : (d as number | null)));
}

function inputDtype(layer: KerasLayerJson & { name: string }): 'float32' | 'int32' {
  const dtype = layer.config.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new TfjsError(
      'EF_COMPILE_TFJS_UNSUPPORTED_ARGUMENT',
      `input '${layer.name}' (InputLayer): argument dtype=${JSON.stringify(dtype)} is not supported`,
      {
        layer: layer.name,
        className: layer.class_name,
        argument: 'dtype',
        value: dtype,
      },
    );
  }
  return dtype;
}

/** Keras shape of a graph input (the symbolic batch becomes null). */
function kerasShape(shape: ShapeDim[]): (number | null)[] {
  return shape.map((d) => (typeof d === 'number' ? d : null));
}

/** Runs one layer's converter, then derives the static output shapes. */
function convertLayer(
  ctx: ConversionContext,
  layer: KerasLayerJson & { name: string },
  inputs: ShapedTensor[],
  report: LayersConversionReport,
): ShapedTensor[] {
  const converter = LAYER_CONVERTERS.get(layer.class_name);
  if (converter === undefined) {
    throw new TfjsError(
      'EF_COMPILE_TFJS_UNSUPPORTED_LAYER',
      `layer '${layer.name}' (${layer.class_name}): argument class_name=${JSON.stringify(layer.class_name)} has no ONNX converter`,
      { layer: layer.name, className: layer.class_name, argument: 'class_name' },
    );
  }
  const info: LayerInfo = {
    name: layer.name,
    className: layer.class_name,
    config: layer.config,
    weightScope: layer.name,
  };
  const outputs = converter(ctx, info, inputs);
  report.layers.push({ name: layer.name, className: layer.class_name, onnxOps: ctx.takeOps() });
  const inputShapes = inputs.map((t) => t.shape);
  return outputs.map((t) => ({ ...t, shape: layerOutputShape(info, inputShapes, t.rank) }));
}

interface GraphIo {
  inputs: { name: string; shape: ShapeDim[]; dtype: 'float32' | 'int32'; key: TensorKey }[];
  outputKeys: { key: TensorKey; name: string }[];
}

/** Converts the layers of a Sequential model in order. */
function convertSequential(
  ctx: ConversionContext,
  layers: (KerasLayerJson & { name: string })[],
  report: LayersConversionReport,
  tensors: Map<TensorKey, ShapedTensor>,
): GraphIo {
  const first = layers[0];
  if (first === undefined) throw topologyError('the Sequential model has no layers');
  const inputLayer = first.class_name === 'InputLayer' ? first : undefined;
  const inputName = inputLayer?.name ?? `${first.name}_input`;
  const shape = inputShape(first);
  const io: GraphIo = {
    inputs: [{ name: inputName, shape, dtype: inputDtype(first), key: 'input' }],
    outputKeys: [],
  };
  let current: ShapedTensor = { name: inputName, rank: shape.length, shape: kerasShape(shape) };
  for (const layer of inputLayer ? layers.slice(1) : layers) {
    const outs = convertLayer(ctx, layer, [current], report);
    if (outs.length !== 1 || outs[0] === undefined)
      throw topologyError(`layer '${layer.name}' must have one output in a Sequential model`);
    current = outs[0];
  }
  tensors.set('output', current);
  io.outputKeys.push({ key: 'output', name: layers[layers.length - 1]?.name ?? 'output' });
  return io;
}

/** Converts a functional model: layer calls in dependency order, shared layers once per call. */
function convertFunctional(
  ctx: ConversionContext,
  config: Record<string, unknown>,
  layers: (KerasLayerJson & { name: string })[],
  report: LayersConversionReport,
  tensors: Map<TensorKey, ShapedTensor>,
): GraphIo {
  const byName = new Map(layers.map((l) => [l.name, l]));
  if (byName.size !== layers.length) throw topologyError('two layers share a name');
  const io: GraphIo = { inputs: [], outputKeys: [] };
  const inputRefs = config.input_layers;
  const outputRefs = config.output_layers;
  if (
    !Array.isArray(inputRefs) ||
    !Array.isArray(outputRefs) ||
    inputRefs.length === 0 ||
    outputRefs.length === 0
  ) {
    throw new TfjsError(
      'EF_COMPILE_TFJS_FORMAT',
      'the functional model needs input_layers and output_layers',
    );
  }
  for (const ref of inputRefs) {
    const key = keyOf(ref, 'input_layers');
    const layer = byName.get((ref as unknown[])[0] as string);
    if (layer === undefined || layer.class_name !== 'InputLayer') {
      throw topologyError(
        `input_layers names ${JSON.stringify((ref as unknown[])[0])}, which is not an InputLayer`,
      );
    }
    const shape = inputShape(layer);
    io.inputs.push({ name: layer.name, shape, dtype: inputDtype(layer), key });
    tensors.set(key, { name: layer.name, rank: shape.length, shape: kerasShape(shape) });
  }
  // Pending calls: (layer, node index, input keys). A call runs once all its inputs exist.
  interface Call {
    layer: KerasLayerJson & { name: string };
    nodeIndex: number;
    inputs: TensorKey[];
  }
  let pending: Call[] = [];
  for (const layer of layers) {
    if (layer.class_name === 'InputLayer') continue;
    const nodes = layer.inbound_nodes;
    if (!Array.isArray(nodes))
      throw new TfjsError('EF_COMPILE_TFJS_FORMAT', `layer '${layer.name}' has no inbound_nodes`);
    nodes.forEach((node, nodeIndex) => {
      if (!Array.isArray(node) || node.length === 0) {
        throw new TfjsError(
          'EF_COMPILE_TFJS_FORMAT',
          `layer '${layer.name}' has a malformed inbound node`,
        );
      }
      for (const ref of node as unknown[]) {
        const kwargs = Array.isArray(ref) ? ref[3] : undefined;
        if (isRecord(kwargs) && Object.keys(kwargs).some((k) => k !== 'training')) {
          throw new TfjsError(
            'EF_COMPILE_TFJS_UNSUPPORTED_ARGUMENT',
            `layer '${layer.name}' (${layer.class_name}): argument call kwargs ${JSON.stringify(kwargs)} is not supported`,
            {
              layer: layer.name,
              className: layer.class_name,
              argument: 'kwargs',
            },
          );
        }
      }
      pending.push({
        layer,
        nodeIndex,
        inputs: (node as unknown[]).map((r) => keyOf(r, `layer '${layer.name}'`)),
      });
    });
  }
  while (pending.length > 0) {
    const ready = pending.filter((call) => call.inputs.every((k) => tensors.has(k)));
    if (ready.length === 0) {
      const names = pending.map((c) => c.layer.name).join(', ');
      throw topologyError(
        `layers ${names} wait for inputs that are never produced (unknown layer or cycle)`,
      );
    }
    for (const call of ready) {
      const inputs = call.inputs.map((k) => tensors.get(k) as ShapedTensor);
      const outs = convertLayer(ctx, call.layer, inputs, report);
      outs.forEach((t, i) => tensors.set(keyOf([call.layer.name, call.nodeIndex, i], 'output'), t));
    }
    pending = pending.filter((call) => !ready.includes(call));
  }
  for (const ref of outputRefs) {
    const key = keyOf(ref, 'output_layers');
    if (!tensors.has(key))
      throw topologyError(`output_layers names an unknown tensor ${JSON.stringify(ref)}`);
    io.outputKeys.push({ key, name: (ref as unknown[])[0] as string });
  }
  return io;
}

/**
 * Converts a TF.js Layers model (Sequential or functional) to an ONNX model, opset 13. Inputs
 * and outputs keep the Keras layout (NHWC / NWC); Transposes appear only around Conv/Pool ops.
 * Pass the path of `model.json` (weight shards are read from its folder) or already read
 * artifacts.
 *
 * @throws TfjsError EF_COMPILE_TFJS_* (see TFJS_ERROR_CODES); unsupported layers/arguments name
 *   the layer, its class and the argument.
 * @example
 * const { model, report } = convertLayersModel('fixtures/models/pm-tfjs/model.json');
 * writeFileSync('pm.onnx', writeOnnxModel(model));
 */
export function convertLayersModel(source: string | LayersModelArtifacts): LayersConversionResult {
  const artifacts = typeof source === 'string' ? readLayersModel(source) : source;
  const { topology, weights } = artifacts;
  const ctx = new ConversionContext(weights);
  const report: LayersConversionReport = {
    modelClass: topology.class_name,
    opset: TFJS_ONNX_OPSET,
    inputs: [],
    outputs: [],
    layers: [],
    unusedWeights: [],
  };
  if (topology.keras_version !== undefined) report.kerasVersion = topology.keras_version;
  const config = topology.config;
  const rawLayers = Array.isArray(config) ? config : isRecord(config) ? config.layers : undefined;
  if (!Array.isArray(rawLayers))
    throw new TfjsError('EF_COMPILE_TFJS_FORMAT', 'modelTopology.config has no layers list');
  if (rawLayers.length > MAX_LAYERS) {
    throw new TfjsError(
      'EF_COMPILE_TFJS_TOO_LARGE',
      `the model has ${rawLayers.length} layers (cap ${MAX_LAYERS})`,
    );
  }
  const layers = rawLayers.map(parseLayer);
  for (const layer of layers) ctx.names.reserve(layer.name);
  const tensors = new Map<TensorKey, ShapedTensor>();
  let io: GraphIo;
  if (topology.class_name === 'Sequential') {
    io = convertSequential(ctx, layers, report, tensors);
  } else if (topology.class_name === 'Model' || topology.class_name === 'Functional') {
    io = convertFunctional(ctx, config as Record<string, unknown>, layers, report, tensors);
  } else {
    throw new TfjsError(
      'EF_COMPILE_TFJS_FORMAT',
      `model class ${JSON.stringify(topology.class_name)} is not Sequential or Model`,
    );
  }
  // Graph outputs get the output layer's name via Identity, so callers see Keras names and an
  // input that is also an output still works.
  const outputNames = new Set<string>(io.inputs.map((i) => i.name));
  const outputs = io.outputKeys.map(({ key, name }) => {
    const tensor = tensors.get(key) as ShapedTensor;
    let outName = name;
    for (let n = 1; outputNames.has(outName); n++) outName = `${name}_${n}`;
    outputNames.add(outName);
    ctx.nodes.push({
      input: [tensor.name],
      output: [outName],
      opType: 'Identity',
      attribute: [],
      metadataProps: [],
      name: ctx.names.next(`${outName}_identity`),
    });
    const shape: ShapeDim[] = ['batch', ...tensor.shape.slice(1)];
    report.outputs.push({ name: outName, shape });
    return makeTensorValueInfo(outName, 'float32', shape);
  });
  const inputs = io.inputs.map((i) => {
    report.inputs.push({ name: i.name, shape: i.shape });
    return makeTensorValueInfo(i.name, i.dtype, i.shape);
  });
  report.unusedWeights = [...weights.keys()].filter((n) => !ctx.usedWeights.has(n));
  const graph = makeGraph({
    name: isRecord(config) && typeof config.name === 'string' ? config.name : 'tfjs_model',
    nodes: ctx.nodes,
    inputs,
    outputs,
    initializers: ctx.initializers,
  });
  return {
    model: makeModel(graph, { opsetImports: [{ version: TFJS_ONNX_OPSET }], irVersion: 7 }),
    report,
  };
}
