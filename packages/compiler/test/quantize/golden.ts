import { readFileSync } from 'node:fs';

/** Shape of golden/ort-quant-golden.json (written by oracle/make-golden.py, onnxruntime as oracle). */
export interface OrtGolden {
  meta: Record<string, string>;
  computeScaleZp: {
    rmin: number;
    rmax: number;
    qType: 'int8' | 'uint8';
    symmetric: boolean;
    reduceRange: boolean;
    scale: number;
    zeroPoint: number;
  }[];
  quantizeData: {
    name: string;
    data: string;
    qType: 'int8' | 'uint8';
    symmetric: boolean;
    reduceRange: boolean;
    scale: number;
    zeroPoint: number;
    q: string;
  }[];
  quantizeDynamicWeights: {
    op: string;
    opsAfter: string[];
    dims: number[];
    perChannel: boolean;
    perChannelApplied: boolean;
    axis: number;
    qType: 'int8' | 'uint8';
    weight: string;
    q: string;
    scales: number[];
    zeroPoints: number[];
  }[];
  dynamicQuantizeLinear: { x: string; y: number[]; scale: number; zeroPoint: number }[];
  quantizeLinear: {
    x: string;
    scale: number;
    zeroPoint: number;
    qType: 'int8' | 'uint8';
    y: number[];
  }[];
  calibrationDatasets: Record<string, string[]>;
  calibration: {
    dataset: string;
    method: 'minmax' | 'entropy' | 'percentile';
    symmetric: boolean;
    movingAverage?: boolean;
    numBins?: number;
    numQuantizedBins?: number | null;
    percentile?: number | null;
    truncate?: number;
    concat?: boolean;
    via?: string;
    rmin: number;
    rmax: number;
    histBins?: number;
    histTotal?: number;
    histChecksum?: number;
    edgeFirst?: number;
    edgeLast?: number;
  }[];
}

export function loadGolden(): OrtGolden {
  const url = new URL('./golden/ort-quant-golden.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as OrtGolden;
}

function bytes(b64: string): ArrayBuffer {
  const buf = Buffer.from(b64, 'base64');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

export const f32FromB64 = (b64: string): Float32Array => new Float32Array(bytes(b64));
export const i8FromB64 = (b64: string): Int8Array => new Int8Array(bytes(b64));
export const u8FromB64 = (b64: string): Uint8Array => new Uint8Array(bytes(b64));

/** Distance in float32 units in the last place (both values must be float32-representable). */
export function ulpDistance(a: number, b: number): number {
  const view = new DataView(new ArrayBuffer(8));
  const ordered = (x: number): number => {
    view.setFloat32(0, x);
    const bits = view.getInt32(0);
    return bits < 0 ? -0x80000000 - bits : bits;
  };
  return Math.abs(ordered(a) - ordered(b));
}
