import { makeAttrInt, makeAttrInts, makeAttrString, makeAttrStrings } from '../../onnx/index.js';
import {
  arg,
  boolArg,
  numberArg,
  type ConversionContext,
  type LayerConverter,
  type LayerInfo,
  type TensorRef,
} from '../conversion-context.js';
import { unsupportedArgument } from '../tfjs-errors.js';
import { singleInput } from './core.js';

type CellKind = 'SimpleRNN' | 'LSTM' | 'GRU';

const GATES: Record<CellKind, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };
const ONNX_OP: Record<CellKind, string> = { SimpleRNN: 'RNN', LSTM: 'LSTM', GRU: 'GRU' };
/**
 * For each ONNX gate block, the Keras block it comes from. Keras LSTM is i,f,c,o and ONNX is
 * i,o,f,c; Keras GRU z,r,h is already ONNX's z,r,h.
 */
const GATE_ORDER: Record<CellKind, number[]> = {
  SimpleRNN: [0],
  LSTM: [0, 3, 1, 2],
  GRU: [0, 1, 2],
};
const INT64_MAX = Number.MAX_SAFE_INTEGER;

/** Keras activation names -> ONNX RNN activation names. ORT's HardSigmoid defaults are alpha 0.2, beta 0.5 = Keras. */
function onnxActivation(layer: LayerInfo, key: string, fallback: string): string {
  const value = arg(layer, key, fallback);
  const name =
    typeof value === 'string' ? value.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase() : value;
  const map: Record<string, string> = {
    sigmoid: 'Sigmoid',
    tanh: 'Tanh',
    relu: 'Relu',
    hard_sigmoid: 'HardSigmoid',
    softsign: 'Softsign',
    softplus: 'Softplus',
  };
  const mapped = typeof name === 'string' ? map[name] : undefined;
  if (mapped === undefined) throw unsupportedArgument(layer, key, value);
  return mapped;
}

/** [rows, G*units] Keras matrix -> ONNX [G*units, rows] with the gate blocks reordered. */
function gateMatrix(
  data: Float32Array,
  rows: number,
  units: number,
  order: number[],
): Float32Array {
  const cols = order.length * units;
  const out = new Float32Array(cols * rows);
  order.forEach((kerasBlock, onnxBlock) => {
    for (let j = 0; j < units; j++)
      for (let r = 0; r < rows; r++)
        out[(onnxBlock * units + j) * rows + r] = data[r * cols + kerasBlock * units + j] as number;
  });
  return out;
}

function gateVector(data: Float32Array, units: number, order: number[]): Float32Array {
  const out = new Float32Array(order.length * units);
  order.forEach((kerasBlock, onnxBlock) =>
    out.set(data.subarray(kerasBlock * units, (kerasBlock + 1) * units), onnxBlock * units),
  );
  return out;
}

interface CellWeights {
  w: Float32Array;
  r: Float32Array;
  b: Float32Array;
}

/** The ONNX W, R, B of one direction from the Keras kernel, recurrent_kernel and bias. */
function cellWeights(
  ctx: ConversionContext,
  layer: LayerInfo,
  cell: LayerInfo,
  kind: CellKind,
  filter?: (name: string) => boolean,
): { weights: CellWeights; units: number; inputSize: number } {
  const units = numberArg(cell, 'units');
  const gates = GATES[kind];
  const order = GATE_ORDER[kind];
  const kernel = ctx.weight(layer, 'kernel', 2, filter);
  const recurrent = ctx.weight(layer, 'recurrent_kernel', 2, filter);
  const inputSize = kernel.shape[0] as number;
  if (
    kernel.shape[1] !== gates * units ||
    recurrent.shape[0] !== units ||
    recurrent.shape[1] !== gates * units
  ) {
    throw unsupportedArgument(cell, 'units', units);
  }
  const b = new Float32Array(2 * gates * units);
  if (boolArg(cell, 'use_bias', true)) {
    const resetAfter = kind === 'GRU' && boolArg(cell, 'reset_after', false);
    // reset_after=true (Keras 2 default) stores [input bias; recurrent bias] = ONNX [Wb; Rb].
    const bias = ctx.weight(layer, 'bias', resetAfter ? 2 : 1, filter);
    if (bias.data.length !== (resetAfter ? 2 : 1) * gates * units)
      throw unsupportedArgument(cell, 'use_bias', true);
    b.set(gateVector(bias.data.subarray(0, gates * units), units, order), 0);
    if (resetAfter)
      b.set(gateVector(bias.data.subarray(gates * units), units, order), gates * units);
  }
  return {
    weights: {
      w: gateMatrix(kernel.data, inputSize, units, order),
      r: gateMatrix(recurrent.data, units, units, order),
      b,
    },
    units,
    inputSize,
  };
}

/** Arguments an inference graph cannot honour, or that would change the outputs. */
function checkCellArguments(cell: LayerInfo, kind: CellKind): void {
  if (boolArg(cell, 'return_state', false)) throw unsupportedArgument(cell, 'return_state', true);
  if (boolArg(cell, 'stateful', false)) throw unsupportedArgument(cell, 'stateful', true);
  if (boolArg(cell, 'time_major', false)) throw unsupportedArgument(cell, 'time_major', true);
  if (arg(cell, 'cell') !== undefined && kind !== 'SimpleRNN')
    throw unsupportedArgument(cell, 'cell', arg(cell, 'cell'));
}

function activationsOf(cell: LayerInfo, kind: CellKind): string[] {
  const act = onnxActivation(cell, 'activation', 'tanh');
  if (kind === 'SimpleRNN') return [act];
  // tfjs-layers defaults recurrent_activation to hard_sigmoid; Keras 2 saves it explicitly.
  const rec = onnxActivation(cell, 'recurrent_activation', 'hard_sigmoid');
  return kind === 'LSTM' ? [rec, act, act] : [rec, act];
}

/** Reverses the time axis (axis 0 of [T, B, F]) with a negative-step Slice. */
function reverseTime(ctx: ConversionContext, name: string): string {
  return ctx.node('Slice', [
    name,
    ctx.constI64('starts', [-1]),
    ctx.constI64('ends', [-INT64_MAX]),
    ctx.constI64('axes', [0]),
    ctx.constI64('steps', [-1]),
  ]);
}

/** Runs the ONNX RNN op; returns Y [T, dirs, B, U] and Y_h [dirs, B, U]. */
function emitRnn(
  ctx: ConversionContext,
  cell: LayerInfo,
  kind: CellKind,
  xTimeMajor: string,
  dirs: CellWeights[],
  units: number,
  inputSize: number,
): { y: string; yh: string } {
  const n = dirs.length;
  const gates = GATES[kind];
  const cat = (pick: (w: CellWeights) => Float32Array): Float32Array => {
    const parts = dirs.map(pick);
    const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  const w = ctx.constF32(
    `${cell.name}_W`,
    cat((d) => d.w),
    [n, gates * units, inputSize],
  );
  const r = ctx.constF32(
    `${cell.name}_R`,
    cat((d) => d.r),
    [n, gates * units, units],
  );
  const b = ctx.constF32(
    `${cell.name}_B`,
    cat((d) => d.b),
    [n, 2 * gates * units],
  );
  const acts = activationsOf(cell, kind);
  const attrs = [
    makeAttrInt('hidden_size', units),
    makeAttrString('direction', n === 2 ? 'bidirectional' : 'forward'),
    makeAttrStrings('activations', n === 2 ? [...acts, ...acts] : acts),
  ];
  if (kind === 'GRU')
    attrs.push(makeAttrInt('linear_before_reset', boolArg(cell, 'reset_after', false) ? 1 : 0));
  const outs = ctx.nodeN(ONNX_OP[kind], [xTimeMajor, w, r, b], kind === 'LSTM' ? 3 : 2, attrs);
  return { y: outs[0] as string, yh: outs[1] as string };
}

function toTimeMajor(ctx: ConversionContext, cell: LayerInfo, x: TensorRef): string {
  if (x.rank !== 3) throw unsupportedArgument(cell, 'input rank', x.rank);
  return ctx.node('Transpose', [x.name], [makeAttrInts('perm', [1, 0, 2])]);
}

function recurrent(kind: CellKind): LayerConverter {
  return (ctx, layer, inputs) => {
    const x = singleInput(layer, inputs);
    checkCellArguments(layer, kind);
    const { weights, units, inputSize } = cellWeights(ctx, layer, layer, kind);
    let xt = toTimeMajor(ctx, layer, x);
    // Keras go_backwards runs over the reversed sequence and returns outputs in that order.
    if (boolArg(layer, 'go_backwards', false)) xt = reverseTime(ctx, xt);
    const { y, yh } = emitRnn(ctx, layer, kind, xt, [weights], units, inputSize);
    if (boolArg(layer, 'return_sequences', false)) {
      const seq = ctx.node('Squeeze', [y, ctx.constI64('axes', [1])]);
      return [{ name: ctx.node('Transpose', [seq], [makeAttrInts('perm', [1, 0, 2])]), rank: 3 }];
    }
    return [{ name: ctx.node('Squeeze', [yh, ctx.constI64('axes', [0])]), rank: 2 }];
  };
}

export const convertSimpleRNN = recurrent('SimpleRNN');
export const convertLSTM = recurrent('LSTM');
export const convertGRU = recurrent('GRU');

/** The wrapped layer of Bidirectional / TimeDistributed as a LayerInfo. */
function innerLayer(layer: LayerInfo): LayerInfo {
  const inner = arg(layer, 'layer');
  if (
    typeof inner !== 'object' ||
    inner === null ||
    typeof (inner as { class_name?: unknown }).class_name !== 'string' ||
    typeof (inner as { config?: unknown }).config !== 'object'
  ) {
    throw unsupportedArgument(layer, 'layer', inner);
  }
  const { class_name: className, config } = inner as {
    class_name: string;
    config: Record<string, unknown>;
  };
  const name = typeof config.name === 'string' ? config.name : `${layer.name}_inner`;
  return { name, className, config, weightScope: layer.weightScope };
}

/**
 * Bidirectional(LSTM/GRU/SimpleRNN) as one ONNX op with direction=bidirectional: its backward
 * outputs are aligned to input time, as Keras re-reverses them before merging.
 */
export const convertBidirectional: LayerConverter = (ctx, layer, inputs) => {
  const x = singleInput(layer, inputs);
  const cell = innerLayer(layer);
  const kind = cell.className as CellKind;
  if (!(kind in GATES)) throw unsupportedArgument(layer, 'layer.class_name', cell.className);
  checkCellArguments(cell, kind);
  if (boolArg(cell, 'go_backwards', false)) throw unsupportedArgument(cell, 'go_backwards', true);
  if (arg(layer, 'backward_layer') !== undefined)
    throw unsupportedArgument(layer, 'backward_layer', arg(layer, 'backward_layer'));
  const mode = arg(layer, 'merge_mode', 'concat');
  if (!['concat', 'sum', 'ave', 'mul'].includes(mode as string))
    throw unsupportedArgument(layer, 'merge_mode', mode);
  const fwd = cellWeights(ctx, layer, cell, kind, (n) =>
    /(^|\/)forward_/.test(n.slice(layer.weightScope.length)),
  );
  const bwd = cellWeights(ctx, layer, cell, kind, (n) =>
    /(^|\/)backward_/.test(n.slice(layer.weightScope.length)),
  );
  const xt = toTimeMajor(ctx, cell, x);
  const { y, yh } = emitRnn(
    ctx,
    cell,
    kind,
    xt,
    [fwd.weights, bwd.weights],
    fwd.units,
    fwd.inputSize,
  );
  const sequences = boolArg(cell, 'return_sequences', false);
  // Move the direction axis next to the features: [B, T, 2, U] or [B, 2, U].
  const moved = sequences
    ? ctx.node('Transpose', [y], [makeAttrInts('perm', [2, 0, 1, 3])])
    : ctx.node('Transpose', [yh], [makeAttrInts('perm', [1, 0, 2])]);
  const rank = sequences ? 3 : 2;
  const dirAxis = rank - 1;
  let out: string;
  if (mode === 'concat') {
    out = ctx.node('Reshape', [moved, ctx.constI64('shape', sequences ? [0, 0, -1] : [0, -1])]);
  } else if (mode === 'sum') {
    out = ctx.node(
      'ReduceSum',
      [moved, ctx.constI64('axes', [dirAxis])],
      [makeAttrInt('keepdims', 0)],
    );
  } else {
    out = ctx.node(
      mode === 'ave' ? 'ReduceMean' : 'ReduceProd',
      [moved],
      [makeAttrInts('axes', [dirAxis]), makeAttrInt('keepdims', 0)],
    );
  }
  return [{ name: out, rank }];
};

/**
 * TimeDistributed(layer): fold time into batch ([B, T, ...] -> [B*T, ...]) with runtime shapes,
 * run the inner converter, unfold. `lookup` resolves the inner class (the registry, injected to
 * avoid an import cycle).
 */
export function makeTimeDistributed(
  lookup: (className: string) => LayerConverter | undefined,
): LayerConverter {
  return (ctx, layer, inputs) => {
    const x = singleInput(layer, inputs);
    if (x.rank < 3) throw unsupportedArgument(layer, 'input rank', x.rank);
    const inner = innerLayer(layer);
    const converter = lookup(inner.className);
    if (converter === undefined)
      throw unsupportedArgument(layer, 'layer.class_name', inner.className);
    const shape = ctx.node('Shape', [x.name]);
    const rest = ctx.node('Slice', [
      shape,
      ctx.constI64('starts', [2]),
      ctx.constI64('ends', [INT64_MAX]),
    ]);
    const folded = ctx.node('Reshape', [
      x.name,
      ctx.node('Concat', [ctx.constI64('minus_one', [-1]), rest], [makeAttrInt('axis', 0)]),
    ]);
    const outs = converter(ctx, inner, [{ name: folded, rank: x.rank - 1 }]);
    const [y] = outs;
    if (y === undefined || outs.length !== 1)
      throw unsupportedArgument(layer, 'layer', inner.className);
    const head = ctx.node('Slice', [shape, ctx.constI64('starts', [0]), ctx.constI64('ends', [2])]);
    const tail = ctx.node('Slice', [
      ctx.node('Shape', [y.name]),
      ctx.constI64('starts', [1]),
      ctx.constI64('ends', [INT64_MAX]),
    ]);
    const unfolded = ctx.node('Reshape', [
      y.name,
      ctx.node('Concat', [head, tail], [makeAttrInt('axis', 0)]),
    ]);
    return [{ name: unfolded, rank: y.rank + 1 }];
  };
}
