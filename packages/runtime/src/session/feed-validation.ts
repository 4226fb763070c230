import * as ort from 'onnxruntime-node';

import { SessionError } from './session-errors.js';
import {
  DATA_CLASS_BY_TYPE,
  dataClassName,
  type FeedTensor,
  type ModelValueInfo,
} from './tensor-types.js';

/**
 * Checks feeds against the model's inputs and builds onnxruntime tensors. Done before calling
 * onnxruntime so a mismatch gets a coded error naming the input instead of a native message
 * (or, for a wrong typed-array class, a silent reinterpretation of bytes).
 */
export function toOrtFeeds(
  inputs: readonly ModelValueInfo[],
  feeds: Readonly<Record<string, FeedTensor>>,
): Record<string, ort.Tensor> {
  if (feeds === null || typeof feeds !== 'object') {
    throw new SessionError('EF_RUNTIME_FEED_NAME', 'feeds must be an object keyed by input name');
  }
  const expected = inputs.map((i) => i.name);
  for (const name of Object.keys(feeds)) {
    if (!expected.includes(name)) {
      throw new SessionError(
        'EF_RUNTIME_FEED_NAME',
        `feed "${name}" is not a model input (inputs: ${expected.join(', ')})`,
        { input: name, expected },
      );
    }
  }
  const out: Record<string, ort.Tensor> = {};
  for (const info of inputs) {
    const feed = feeds[info.name];
    if (feed === undefined) {
      throw new SessionError('EF_RUNTIME_FEED_NAME', `model input "${info.name}" has no feed`, {
        input: info.name,
        expected,
      });
    }
    out[info.name] = toOrtTensor(info, feed);
  }
  return out;
}

function toOrtTensor(info: ModelValueInfo, feed: FeedTensor): ort.Tensor {
  const name = info.name;
  if (info.type === 'non-tensor') {
    throw new SessionError('EF_RUNTIME_FEED_TYPE', `model input "${name}" is not a tensor`, {
      input: name,
    });
  }
  if (feed === null || typeof feed !== 'object') {
    throw new SessionError('EF_RUNTIME_FEED_TYPE', `feed "${name}" must be { data, dims }`, {
      input: name,
    });
  }
  const received = dataClassName(feed.data);
  const wantedClass = DATA_CLASS_BY_TYPE[info.type];
  if ((feed.type !== undefined && feed.type !== info.type) || received !== wantedClass) {
    throw new SessionError(
      'EF_RUNTIME_FEED_TYPE',
      `input "${name}" expects ${info.type} (${wantedClass}), got ${feed.type ?? received}`,
      { input: name, expected: info.type, received: feed.type ?? received },
    );
  }
  const dims = feed.dims;
  if (!Array.isArray(dims) || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SessionError(
      'EF_RUNTIME_FEED_SHAPE',
      `input "${name}": dims must be non-negative integers`,
      { input: name, received: dims },
    );
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== feed.data.length) {
    throw new SessionError(
      'EF_RUNTIME_FEED_SHAPE',
      `input "${name}": dims [${dims.join(', ')}] hold ${count} values but data has ${feed.data.length}`,
      { input: name, dims: [...dims], length: feed.data.length },
    );
  }
  // An empty declared shape means "unknown" in onnxruntime's metadata: nothing to check.
  const shape = info.shape;
  const fits =
    shape.length === 0 ||
    (shape.length === dims.length &&
      shape.every((d, i) => typeof d !== 'number' || d < 0 || d === dims[i]));
  if (!fits) {
    throw new SessionError(
      'EF_RUNTIME_FEED_SHAPE',
      `input "${name}" expects shape [${shape.join(', ')}], got [${dims.join(', ')}]`,
      { input: name, expected: [...shape], received: [...dims] },
    );
  }
  // The constructor overloads are per element type; the checks above make this pairing valid.
  return new ort.Tensor(info.type as 'float32', feed.data as Float32Array, dims);
}
