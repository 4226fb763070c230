#!/usr/bin/env python3
"""Dev-only oracle: golden outputs of onnxruntime's Python quantizer for the TS quantize tests.

Run (never needed by tests/CI, which read only the committed JSON):
    python3 -m venv /tmp/ortq && /tmp/ortq/bin/pip install onnxruntime onnx numpy
    /tmp/ortq/bin/python packages/compiler/test/quantize/oracle/make-golden.py
    npx prettier --write packages/compiler/test/quantize/golden/ort-quant-golden.json  # `npm run lint` checks it

Writes packages/compiler/test/quantize/golden/ort-quant-golden.json. Float32 arrays are stored as
base64 of little-endian bytes (exact and compact), scalars as JSON numbers (exact for float32).
Everything is computed BY onnxruntime/numpy (quant_utils, calibrate, quantize_dynamic, the
DynamicQuantizeLinear/QuantizeLinear CPU kernels); this script only feeds seeded inputs in.
"""

import base64
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.quantization.calibrate import (
    CalibrationDataReader,
    EntropyCalibrater,
    HistogramCollector,
    MinMaxCalibrater,
    PercentileCalibrater,
)
from onnxruntime.quantization.quant_utils import compute_scale_zp, get_qmin_qmax_for_qType, quantize_data

OUT = Path(__file__).resolve().parent.parent / "golden" / "ort-quant-golden.json"
QTYPES = {"int8": TensorProto.INT8, "uint8": TensorProto.UINT8}
rng = np.random.default_rng(20240607)


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()).decode()


def f32(x) -> float:
    return float(np.float32(x))


# ---------------------------------------------------------------- compute_scale_zp
def scale_zp_cases():
    ranges = [(0.0, 0.0), (-1.0, 1.0), (-3.0, 2.0), (0.5, 4.0), (-4.0, -0.5), (-1e-30, 1e-30),
              (-0.1, 0.3), (-128.0, 127.0), (-1.0, 254.0), (1e-40, 2e-40), (-65504.0, 3.3e5)]
    for _ in range(40):
        a, b = sorted(rng.standard_normal(2) * 10 ** rng.uniform(-3, 3))
        ranges.append((a, b))
    out = []
    for rmin, rmax in ranges:
        for qname, qt in QTYPES.items():
            for symmetric in (False, True):
                for reduce_range in (False, True):
                    qmin, qmax = get_qmin_qmax_for_qType(qt, reduce_range=reduce_range, symmetric=symmetric)
                    zp, scale = compute_scale_zp(np.array(rmin, np.float32), np.array(rmax, np.float32),
                                                 qmin, qmax, symmetric=symmetric)
                    out.append({"rmin": f32(rmin), "rmax": f32(rmax), "qType": qname, "symmetric": symmetric,
                                "reduceRange": reduce_range, "scale": float(scale), "zeroPoint": int(zp)})
    return out


# ---------------------------------------------------------------- quantize_data (per tensor)
def quantize_data_cases():
    datasets = {
        "normal": rng.standard_normal(257).astype(np.float32),
        "positive": rng.uniform(0.25, 3, 64).astype(np.float32),
        "negative": -rng.uniform(0.1, 5, 64).astype(np.float32),
        "ties": (np.arange(-20, 21, dtype=np.float32) * np.float32(0.5)),
        "wide": (rng.standard_normal(128) * 1e3).astype(np.float32),
        "zeros": np.zeros(8, np.float32),
    }
    out = []
    for name, data in datasets.items():
        for qname, qt in QTYPES.items():
            for symmetric in (False, True):
                for reduce_range in (False, True):
                    zp, scale, q = quantize_data(data, qt, symmetric, reduce_range=reduce_range)
                    out.append({"name": name, "data": b64(data), "qType": qname, "symmetric": symmetric,
                                "reduceRange": reduce_range, "scale": float(scale), "zeroPoint": int(zp),
                                "q": b64(q.astype(np.int8 if qname == "int8" else np.uint8))})
    return out


# ---------------------------------------------------------------- quantize_dynamic weights (per channel)
def quantize_dynamic_cases(tmp: Path):
    cases = []
    specs = [
        # op, weight dims, activation input shape, weight type, per_channel
        ("MatMul", [6, 5], [2, 6], QuantType.QInt8, True),
        ("MatMul", [6, 5], [2, 6], QuantType.QInt8, False),
        ("MatMul", [6, 5], [2, 6], QuantType.QUInt8, True),
        ("Conv", [4, 3, 3, 3], [1, 3, 8, 8], QuantType.QUInt8, True),
        ("Conv", [4, 3, 3, 3], [1, 3, 8, 8], QuantType.QUInt8, False),
    ]
    for idx, (op, wdims, xdims, wtype, per_channel) in enumerate(specs):
        w = (rng.standard_normal(wdims) * rng.uniform(0.05, 2.0, [wdims[0]] + [1] * (len(wdims) - 1))).astype(np.float32)
        if op == "MatMul":
            w = (rng.standard_normal(wdims) * rng.uniform(0.05, 2.0, [1, wdims[1]])).astype(np.float32)
            node = helper.make_node("MatMul", ["X", "W"], ["Y"])
            yshape = [xdims[0], wdims[1]]
        else:
            node = helper.make_node("Conv", ["X", "W"], ["Y"], pads=[1, 1, 1, 1])
            yshape = [1, wdims[0], xdims[2], xdims[3]]
        graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, xdims)],
                                  [helper.make_tensor_value_info("Y", TensorProto.FLOAT, yshape)],
                                  [numpy_helper.from_array(w, "W")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
        src, dst = tmp / f"m{idx}.onnx", tmp / f"m{idx}.q.onnx"
        onnx.save(model, src)
        quantize_dynamic(src, dst, per_channel=per_channel, weight_type=wtype,
                         extra_options={"MatMulConstBOnly": True})
        qm = onnx.load(dst)
        inits = {i.name: numpy_helper.to_array(i) for i in qm.graph.initializer}
        qname = next(n for n in inits if n.startswith("W") and n.endswith("_quantized"))
        sname = next(n for n in inits if n.startswith("W") and n.endswith("_scale"))
        zname = next(n for n in inits if n.startswith("W") and n.endswith("_zero_point"))
        ops = [n.op_type for n in qm.graph.node]
        # perChannelApplied: onnxruntime's dynamic ConvInteger quantizer (operators/conv.py) always
        # quantizes the weight per tensor, even with per_channel=True; MatMulInteger honours it.
        cases.append({"op": op, "opsAfter": ops, "dims": wdims, "perChannel": per_channel,
                      "perChannelApplied": int(inits[sname].size) > 1,
                      "axis": 1 if op == "MatMul" else 0,
                      "qType": "int8" if wtype == QuantType.QInt8 else "uint8",
                      "weight": b64(w), "q": b64(inits[qname].reshape(-1)),
                      "scales": [float(s) for s in inits[sname].reshape(-1)],
                      "zeroPoints": [int(z) for z in inits[zname].reshape(-1)]})
    return cases


# ---------------------------------------------------------------- runtime kernels
def run_single(node, inputs, outputs, feeds):
    graph = helper.make_graph([node], "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    sess = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def dynamic_quantize_linear_cases():
    inputs = [
        [0, 2, -3, -2.5, 1.34, 0.5],  # ONNX doc examples
        [-1.0, -2.1, -1.3, -2.5, -3.34, -4.0],
        [1, 2.1, 1.3, 2.5, 3.34, 4.0, 1.5, 2.6, 3.9, 4.0, 3.0, 2.345],
        [0, 0, 0, 0],
        rng.standard_normal(50).tolist(),
        (rng.standard_normal(50) * 100 + 30).tolist(),
    ]
    out = []
    for x in inputs:
        xa = np.array(x, np.float32)
        y, s, z = run_single(helper.make_node("DynamicQuantizeLinear", ["X"], ["Y", "S", "Z"]),
                             [helper.make_tensor_value_info("X", TensorProto.FLOAT, [len(x)])],
                             [helper.make_tensor_value_info("Y", TensorProto.UINT8, [len(x)]),
                              helper.make_tensor_value_info("S", TensorProto.FLOAT, []),
                              helper.make_tensor_value_info("Z", TensorProto.UINT8, [])], {"X": xa})
        out.append({"x": b64(xa), "y": [int(v) for v in y], "scale": float(s), "zeroPoint": int(z)})
    return out


def quantize_linear_cases():
    cases = [
        (np.array([0, 2, 3, 1000, -254, -1000], np.float32), 2.0, 128, "uint8"),  # ONNX doc example
        (np.arange(-10, 11, dtype=np.float32) * np.float32(0.5), 1.0, 0, "int8"),  # ties
        (np.array([-300, -128.5, -127.5, 126.5, 127.5, 1e9, -1e9], np.float32), 1.0, 0, "int8"),
        ((rng.standard_normal(40) * 3).astype(np.float32), 0.037, -5, "int8"),
    ]
    out = []
    for x, scale, zp, qname in cases:
        npq = np.int8 if qname == "int8" else np.uint8
        (y,) = run_single(helper.make_node("QuantizeLinear", ["X", "S", "Z"], ["Y"]),
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, [len(x)]),
                           helper.make_tensor_value_info("S", TensorProto.FLOAT, []),
                           helper.make_tensor_value_info("Z", QTYPES[qname], [])], [helper.make_tensor_value_info("Y", QTYPES[qname], [len(x)])],
                          {"X": x, "S": np.array(scale, np.float32), "Z": np.array(zp, npq)})
        out.append({"x": b64(x), "scale": f32(scale), "zeroPoint": zp, "qType": qname, "y": [int(v) for v in y]})
    return out


# ---------------------------------------------------------------- calibration
def calibration_datasets():
    g = rng.standard_normal(3000).astype(np.float32)
    g_outlier = g.copy()
    g_outlier[17] = 60.0
    relu = np.maximum(rng.standard_normal(2000) * 2, 0).astype(np.float32)
    return {
        "gaussian-outlier": [g_outlier[:1000], g_outlier[1000:2000], g_outlier[2000:]],
        "growing": [(rng.standard_normal(700) * (1 + 0.7 * k) + 0.3).astype(np.float32) for k in range(4)],
        "relu": [relu[:1000], relu[1000:]],
        "laplace": [rng.laplace(0, 1, 1500).astype(np.float32), rng.laplace(0.5, 2, 900).astype(np.float32)],
        "zeros-then-data": [np.zeros(16, np.float32), rng.uniform(-2, 5, 800).astype(np.float32)],
        "shrinking": [(rng.standard_normal(600) * 5).astype(np.float32), rng.standard_normal(600).astype(np.float32) * 0.2],
    }


def collector_range(batches, method, symmetric, num_bins, num_quantized_bins=128, percentile=99.999):
    c = HistogramCollector(method=method, symmetric=symmetric, num_bins=num_bins,
                           num_quantized_bins=num_quantized_bins, percentile=percentile, scenario="same")
    for b in batches:
        c.collect({"t": b})
    hist, edges = c.get_histogram_dict()["t"][:2]
    res = c.compute_collection_result()["t"]
    return float(res[0]), float(res[1]), hist, edges


class Reader(CalibrationDataReader):
    def __init__(self, batches):
        self.it = iter([{"X": b} for b in batches])

    def get_next(self):
        return next(self.it, None)


def identity_model(path: Path, n: int):
    node = helper.make_node("Identity", ["X"], ["Y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [n])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [n])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), path)


def calibrater_range(cls, batches, tmp: Path, **kw):
    """Real calibrater on an Identity model; batches padded to one shape by truncation."""
    n = min(len(b) for b in batches)
    same = [b[:n] for b in batches]
    path = tmp / f"id{n}.onnx"
    identity_model(path, n)
    cal = cls(path, augmented_model_path=str(tmp / "aug.onnx"), **kw)
    cal.augment_graph()
    cal.create_inference_session()
    cal.collect_data(Reader(same))
    rng_ = cal.compute_data()["X"].range_value
    return same, float(np.asarray(rng_[0]).reshape(-1)[0]), float(np.asarray(rng_[1]).reshape(-1)[0])


def calibration_cases(tmp: Path, datasets):
    """Cases refer to datasets by name. `truncate`: the real calibrater classes need equal-length
    batches, so every batch is cut to the shortest; `concat`: they stack all batches of one
    collect_data pass into ONE histogram update, so the TS side collects the concatenation once."""
    out = []
    for name, batches in datasets.items():
        for method, symmetric, bins, nq, pct in [
            ("entropy", False, 128, 128, None),
            ("entropy", False, 2048, 128, None),
            ("entropy", False, 512, 64, None),
            ("percentile", True, 2048, None, 99.999),
            ("percentile", True, 256, None, 99.0),
            ("percentile", False, 2048, None, 99.999),
            ("percentile", False, 512, None, 95.0),
        ]:
            rmin, rmax, hist, edges = collector_range(batches, method, symmetric, bins, nq or 128, pct or 99.999)
            case = {"dataset": name, "method": method, "symmetric": symmetric, "numBins": bins,
                    "numQuantizedBins": nq, "percentile": pct, "rmin": rmin, "rmax": rmax,
                    "histBins": int(hist.size), "histTotal": int(hist.sum()),
                    "histChecksum": float(np.dot(hist.astype(np.float64), np.arange(hist.size, dtype=np.float64))),
                    "edgeFirst": float(edges[0]), "edgeLast": float(edges[-1])}
            out.append(case)
        # minmax and the real calibrater classes (one collect_data pass over equal-length batches)
        for symmetric in (False, True):
            for moving_average in (False, True):
                same, rmin, rmax = calibrater_range(MinMaxCalibrater, batches, tmp, symmetric=symmetric,
                                                    moving_average=moving_average)
                out.append({"dataset": name, "truncate": len(same[0]), "method": "minmax",
                            "symmetric": symmetric, "movingAverage": moving_average, "rmin": rmin, "rmax": rmax})
        same, rmin, rmax = calibrater_range(EntropyCalibrater, batches, tmp, num_bins=1024, num_quantized_bins=128)
        out.append({"dataset": name, "truncate": len(same[0]), "concat": True, "method": "entropy", "symmetric": False,
                    "numBins": 1024, "numQuantizedBins": 128, "rmin": rmin, "rmax": rmax, "via": "EntropyCalibrater"})
        same, rmin, rmax = calibrater_range(PercentileCalibrater, batches, tmp, symmetric=True, num_bins=2048,
                                            percentile=99.99)
        out.append({"dataset": name, "truncate": len(same[0]), "concat": True, "method": "percentile",
                    "symmetric": True, "numBins": 2048, "percentile": 99.99, "rmin": rmin, "rmax": rmax,
                    "via": "PercentileCalibrater"})
    return out


def main():
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        datasets = calibration_datasets()
        os.environ.setdefault("QUANTIZATION_DEBUG", "0")
        golden = {
            "meta": {"onnxruntime": onnxruntime.__version__, "numpy": np.__version__, "onnx": onnx.__version__,
                     "generator": "packages/compiler/test/quantize/oracle/make-golden.py"},
            "computeScaleZp": scale_zp_cases(),
            "quantizeData": quantize_data_cases(),
            "quantizeDynamicWeights": quantize_dynamic_cases(tmp),
            "dynamicQuantizeLinear": dynamic_quantize_linear_cases(),
            "quantizeLinear": quantize_linear_cases(),
            "calibrationDatasets": {k: [b64(b) for b in v] for k, v in datasets.items()},
            "calibration": calibration_cases(tmp, datasets),
        }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(golden, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes); now run: npx prettier --write {OUT}")


if __name__ == "__main__":
    main()
