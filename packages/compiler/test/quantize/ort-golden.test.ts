import { describe, expect, it } from 'vitest';
import { computeQuantParams } from '../../src/quantize/quant-params.js';
import { quantizeTensor } from '../../src/quantize/quantize-tensor.js';
import { dynamicQuantizeLinear } from '../../src/quantize/dynamic-quantize.js';
import { MinMaxCalibrator } from '../../src/quantize/calibration-minmax.js';
import { PercentileCalibrator } from '../../src/quantize/calibration-percentile.js';
import { EntropyCalibrator } from '../../src/quantize/calibration-entropy.js';
import type { Calibrator } from '../../src/quantize/calibration-data.js';
import type { HistogramState } from '../../src/quantize/signed-histogram.js';
import { f32FromB64, i8FromB64, loadGolden, u8FromB64 } from './golden.js';

/**
 * Cross-check against onnxruntime's Python quantizer (golden/ort-quant-golden.json, made by
 * oracle/make-golden.py; no Python needed here). Tolerances: integers (zero points, quantized
 * data, histogram counts) exact; float32 scales and calibrated ranges exact too (0 ulp) — the TS
 * code reproduces numpy's float32/float64 operation order, so any drift is a bug to look at.
 */
const golden = loadGolden();
const asQ = (qType: 'int8' | 'uint8', b64: string): number[] =>
  Array.from(qType === 'int8' ? i8FromB64(b64) : u8FromB64(b64));

describe(`onnxruntime ${golden.meta.onnxruntime} quant_utils golden`, () => {
  it('compute_scale_zp: scale and zero point for every range/type/symmetric/reduce_range', () => {
    expect(golden.computeScaleZp.length).toBeGreaterThan(100);
    for (const c of golden.computeScaleZp) {
      const got = computeQuantParams(c);
      expect({ ...c, ...got }).toEqual(c);
    }
  });

  it('quantize_data: per-tensor params and quantized values', () => {
    for (const c of golden.quantizeData) {
      const got = quantizeTensor(f32FromB64(c.data), c, c.qType);
      expect([got.scales[0], got.zeroPoints[0]], `${c.name} ${c.qType}`).toEqual([
        c.scale,
        c.zeroPoint,
      ]);
      expect(
        Array.from(got.data),
        `${c.name} ${c.qType} sym=${c.symmetric} rr=${c.reduceRange}`,
      ).toEqual(asQ(c.qType, c.q));
    }
  });

  it('quantize_dynamic weights (MatMulInteger int8 per-channel axis 1, ConvInteger uint8 axis 0)', () => {
    for (const c of golden.quantizeDynamicWeights) {
      // onnxruntime makes signed weights symmetric (is_weight_symmetric) and uint8 ones asymmetric.
      const spec = c.perChannelApplied
        ? { axis: c.axis, dims: c.dims, symmetric: c.qType === 'int8' }
        : { symmetric: c.qType === 'int8' };
      // Dynamic ConvInteger weights are per-tensor in onnxruntime even when per_channel is asked.
      if (c.op === 'Conv') expect(c.perChannelApplied).toBe(false);
      if (c.op === 'MatMul') expect(c.perChannelApplied).toBe(c.perChannel);
      const got = quantizeTensor(f32FromB64(c.weight), spec, c.qType);
      const label = `${c.op} ${c.qType} perChannel=${c.perChannel}`;
      expect(Array.from(got.scales), label).toEqual(c.scales);
      expect(Array.from(got.zeroPoints), label).toEqual(c.zeroPoints);
      expect(Array.from(got.data), label).toEqual(asQ(c.qType, c.q));
      expect(c.opsAfter).toContain(c.op === 'Conv' ? 'ConvInteger' : 'MatMulInteger');
    }
  });

  it('DynamicQuantizeLinear kernel (incl. all-zero input: scale 1)', () => {
    for (const c of golden.dynamicQuantizeLinear) {
      const got = dynamicQuantizeLinear(f32FromB64(c.x));
      expect({ scale: got.scale, zeroPoint: got.zeroPoint, y: Array.from(got.data) }).toEqual({
        scale: c.scale,
        zeroPoint: c.zeroPoint,
        y: c.y,
      });
    }
  });

  it('QuantizeLinear kernel', () => {
    for (const c of golden.quantizeLinear) {
      const got = quantizeTensor(
        f32FromB64(c.x),
        { scale: c.scale, zeroPoint: c.zeroPoint },
        c.qType,
      );
      expect(Array.from(got.data)).toEqual(c.y);
    }
  });
});

describe(`onnxruntime ${golden.meta.onnxruntime} calibrate golden`, () => {
  for (const c of golden.calibration) {
    const name = [
      c.dataset,
      c.via ?? c.method,
      c.symmetric ? 'symmetric' : '',
      c.movingAverage ? 'moving-average' : '',
      c.numBins ? `bins=${c.numBins}` : '',
      c.numQuantizedBins ? `qbins=${c.numQuantizedBins}` : '',
      c.percentile ? `p=${c.percentile}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    it(name, () => {
      let batches = (golden.calibrationDatasets[c.dataset] ?? []).map(f32FromB64);
      if (c.truncate !== undefined) batches = batches.map((b) => b.subarray(0, c.truncate));
      if (c.concat === true) {
        const all = new Float32Array(batches.reduce((n, b) => n + b.length, 0));
        let at = 0;
        for (const b of batches) {
          all.set(b, at);
          at += b.length;
        }
        batches = [all];
      }
      let calibrator: Calibrator & { snapshot?: () => HistogramState | undefined };
      if (c.method === 'minmax') {
        calibrator = new MinMaxCalibrator({
          symmetric: c.symmetric,
          movingAverage: c.movingAverage ?? false,
        });
      } else if (c.method === 'percentile') {
        calibrator = new PercentileCalibrator({
          symmetric: c.symmetric,
          numBins: c.numBins ?? 2048,
          percentile: c.percentile ?? 99.999,
        });
      } else {
        calibrator = new EntropyCalibrator({
          numBins: c.numBins ?? 128,
          numQuantizedBins: c.numQuantizedBins ?? 128,
        });
      }
      for (const b of batches) calibrator.collect(b);
      if (c.histBins !== undefined && calibrator.snapshot) {
        const h = calibrator.snapshot();
        expect(h).toBeDefined();
        const counts = h?.counts ?? new Float64Array();
        let total = 0;
        let checksum = 0;
        counts.forEach((n, k) => {
          total += n;
          checksum += n * k;
        });
        expect({
          bins: counts.length,
          total,
          checksum,
          first: h?.edges[0],
          last: h?.edges[h.edges.length - 1],
        }).toEqual({
          bins: c.histBins,
          total: c.histTotal,
          checksum: c.histChecksum,
          first: c.edgeFirst,
          last: c.edgeLast,
        });
      }
      expect(calibrator.computeRange()).toEqual({ rmin: c.rmin, rmax: c.rmax });
    });
  }
});
