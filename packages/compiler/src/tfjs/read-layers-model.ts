import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

import { TfjsError } from './tfjs-errors.js';

/** Caps against hostile inputs: a model.json or manifest cannot make the reader allocate without bound. */
export const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;
export const MAX_WEIGHT_BYTES = 2 * 1024 * 1024 * 1024 - 1;
export const MAX_WEIGHT_COUNT = 100_000;
export const MAX_WEIGHT_RANK = 8;

/** A Keras layer config as serialized by TF.js / Keras: `{ class_name, config, name?, inbound_nodes? }`. */
export interface KerasLayerJson {
  class_name: string;
  name?: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown;
}

/** The `modelTopology` of model.json (Keras `model.to_json()` plus keras_version and backend). */
export interface LayersTopology {
  class_name: string;
  config: unknown;
  keras_version?: string;
  backend?: string;
}

/** One weight, decoded to float32 in row-major order with its Keras shape. */
export interface LayersWeight {
  data: Float32Array;
  shape: number[];
}

/** A TF.js Layers model in memory: the topology and the weights by their manifest name. */
export interface LayersModelArtifacts {
  topology: LayersTopology;
  weights: Map<string, LayersWeight>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatError(message: string, details?: Record<string, unknown>): TfjsError {
  return new TfjsError('EF_COMPILE_TFJS_FORMAT', message, details);
}

/**
 * Checks the parsed model.json and returns its topology; the weights manifest is validated by
 * {@link readLayersModel}.
 *
 * @example
 * const topology = parseLayersTopology(JSON.parse(text));
 */
export function parseLayersTopology(json: unknown): LayersTopology {
  if (!isRecord(json)) throw formatError('model.json must be a JSON object');
  // model.json written by model.save() nests the Keras config under modelTopology; older
  // files nest it once more under model_config.
  let topology: unknown = json.modelTopology;
  if (isRecord(topology) && isRecord(topology.model_config)) topology = topology.model_config;
  if (!isRecord(topology)) throw formatError('model.json has no modelTopology object');
  if (typeof topology.class_name !== 'string' || topology.config === undefined) {
    throw formatError('modelTopology must have class_name (string) and config');
  }
  const result: LayersTopology = { class_name: topology.class_name, config: topology.config };
  if (typeof topology.keras_version === 'string') result.keras_version = topology.keras_version;
  if (typeof topology.backend === 'string') result.backend = topology.backend;
  return result;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  byteLength: number;
}

function parseManifestEntry(entry: unknown, index: number): ManifestEntry {
  if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') {
    throw formatError(`weightsManifest weight #${index} has no name`);
  }
  const name = entry.name;
  if (entry.quantization !== undefined && entry.quantization !== null) {
    throw new TfjsError(
      'EF_COMPILE_TFJS_WEIGHT_DTYPE',
      `weight '${name}' is quantized; only float32 weights are converted`,
      { weight: name, quantization: entry.quantization },
    );
  }
  const dtype = entry.dtype ?? 'float32';
  if (dtype !== 'float32') {
    throw new TfjsError(
      'EF_COMPILE_TFJS_WEIGHT_DTYPE',
      `weight '${name}' has dtype ${JSON.stringify(dtype)}; only float32 weights are converted`,
      { weight: name, dtype },
    );
  }
  const shape = entry.shape;
  if (
    !Array.isArray(shape) ||
    shape.length > MAX_WEIGHT_RANK ||
    !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
  ) {
    throw formatError(`weight '${name}' has an invalid shape ${JSON.stringify(shape)}`, {
      weight: name,
    });
  }
  const dims = shape as number[];
  let count = 1;
  for (const d of dims) {
    count *= d;
    if (count * 4 > MAX_WEIGHT_BYTES) {
      throw new TfjsError('EF_COMPILE_TFJS_TOO_LARGE', `weight '${name}' is too large`, {
        weight: name,
      });
    }
  }
  return { name, shape: [...dims], byteLength: count * 4 };
}

/** Resolves a manifest shard path; it must stay inside the model folder (also through symlinks). */
function resolveShardPath(dir: string, realDir: string, shardPath: unknown): string {
  if (typeof shardPath !== 'string' || shardPath === '' || shardPath.includes('\0')) {
    throw formatError(`weight shard path ${JSON.stringify(shardPath)} is not a file name`);
  }
  const escape = (): TfjsError =>
    new TfjsError(
      'EF_COMPILE_TFJS_WEIGHT_PATH',
      `weight shard path ${JSON.stringify(shardPath)} leaves the model folder`,
      { path: shardPath },
    );
  if (path.isAbsolute(shardPath) || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(shardPath)) throw escape();
  const resolved = path.resolve(dir, shardPath);
  const relative = path.relative(dir, resolved);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) throw escape();
  let real: string;
  try {
    real = realpathSync(resolved);
  } catch (cause) {
    throw new TfjsError(
      'EF_COMPILE_TFJS_READ',
      `weight shard ${JSON.stringify(shardPath)} cannot be read`,
      { path: shardPath },
      { cause },
    );
  }
  const realRelative = path.relative(realDir, real);
  if (realRelative.startsWith('..') || path.isAbsolute(realRelative)) throw escape();
  return real;
}

function readShard(file: string, shardPath: string, budget: number): Buffer {
  try {
    const size = statSync(file).size;
    if (size > budget) {
      throw new TfjsError(
        'EF_COMPILE_TFJS_WEIGHTS',
        `weight shard ${JSON.stringify(shardPath)} is larger than the manifest says`,
        { path: shardPath, bytes: size },
      );
    }
    return readFileSync(file);
  } catch (cause) {
    if (cause instanceof TfjsError) throw cause;
    throw new TfjsError(
      'EF_COMPILE_TFJS_READ',
      `weight shard ${JSON.stringify(shardPath)} cannot be read`,
      { path: shardPath },
      { cause },
    );
  }
}

/**
 * Reads a TF.js Layers model: `model.json` and the weight shards its manifest names (from the same
 * folder). Shard paths must stay inside the folder, every group's shards must hold exactly the
 * bytes its weights need, and only float32 (unquantized) weights are accepted.
 *
 * @throws TfjsError EF_COMPILE_TFJS_READ, _FORMAT, _TOO_LARGE, _WEIGHT_PATH, _WEIGHT_DTYPE, _WEIGHTS
 * @example
 * const { topology, weights } = readLayersModel('fixtures/models/pm-tfjs/model.json');
 * weights.get('dense_1/kernel'); // { data: Float32Array(256), shape: [8, 32] }
 */
export function readLayersModel(modelJsonPath: string): LayersModelArtifacts {
  let text: string;
  try {
    const size = statSync(modelJsonPath).size;
    if (size > MAX_MODEL_JSON_BYTES) {
      throw new TfjsError('EF_COMPILE_TFJS_TOO_LARGE', `model.json is ${size} bytes`, { size });
    }
    text = readFileSync(modelJsonPath, 'utf8');
  } catch (cause) {
    if (cause instanceof TfjsError) throw cause;
    throw new TfjsError(
      'EF_COMPILE_TFJS_READ',
      `cannot read ${modelJsonPath}`,
      { path: modelJsonPath },
      { cause },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TfjsError('EF_COMPILE_TFJS_FORMAT', 'model.json is not valid JSON', {}, { cause });
  }
  const topology = parseLayersTopology(json);
  const manifest = (json as Record<string, unknown>).weightsManifest;
  if (!Array.isArray(manifest)) throw formatError('model.json has no weightsManifest array');

  const dir = path.resolve(path.dirname(modelJsonPath));
  let realDir: string;
  try {
    realDir = realpathSync(dir);
  } catch (cause) {
    throw new TfjsError('EF_COMPILE_TFJS_READ', `cannot read ${dir}`, {}, { cause });
  }
  const weights = new Map<string, LayersWeight>();
  let totalBytes = 0;
  let weightIndex = 0;
  for (const [groupIndex, group] of manifest.entries()) {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw formatError(`weightsManifest group #${groupIndex} needs paths and weights arrays`);
    }
    const entries = group.weights.map((w) => parseManifestEntry(w, weightIndex++));
    if (weightIndex > MAX_WEIGHT_COUNT) {
      throw new TfjsError('EF_COMPILE_TFJS_TOO_LARGE', 'the manifest lists too many weights');
    }
    const expected = entries.reduce((sum, e) => sum + e.byteLength, 0);
    totalBytes += expected;
    if (totalBytes > MAX_WEIGHT_BYTES) {
      throw new TfjsError('EF_COMPILE_TFJS_TOO_LARGE', 'the weights are larger than the cap', {
        bytes: totalBytes,
      });
    }
    // Shards of one group are one byte stream cut into files; weights follow in manifest order.
    const buffers: Buffer[] = [];
    let read = 0;
    for (const shardPath of group.paths) {
      const file = resolveShardPath(dir, realDir, shardPath);
      const buffer = readShard(file, String(shardPath), expected - read);
      read += buffer.byteLength;
      buffers.push(buffer);
    }
    if (read !== expected) {
      throw new TfjsError(
        'EF_COMPILE_TFJS_WEIGHTS',
        `weight group #${groupIndex} has ${read} bytes in its shards but its weights need ${expected}`,
        { group: groupIndex, bytes: read, expected },
      );
    }
    const bytes = Buffer.concat(buffers, read);
    let offset = 0;
    for (const entry of entries) {
      if (weights.has(entry.name)) {
        throw new TfjsError('EF_COMPILE_TFJS_WEIGHTS', `weight '${entry.name}' is listed twice`, {
          weight: entry.name,
        });
      }
      // Copy into a fresh (aligned) buffer; TF.js weight files are little-endian float32.
      const data = new Float32Array(entry.byteLength / 4);
      new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + entry.byteLength));
      offset += entry.byteLength;
      weights.set(entry.name, { data, shape: entry.shape });
    }
  }
  return { topology, weights };
}
