"""Writes quantize-graph-golden.json: weights quantized by onnxruntime's Python quantizer.

Development cross-check only (tests read the JSON, never Python). Run once with a venv that has
onnxruntime (1.30), onnx and numpy:
    python3 -m venv /tmp/ortq && /tmp/ortq/bin/pip install onnxruntime onnx numpy
    /tmp/ortq/bin/python make-golden.py
"""

import json
import os
import tempfile

import numpy as np
import onnx
import onnxruntime
from onnx import numpy_helper
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..", "..", "..", "..", "fixtures", "models")


def initializers(path, names):
    model = onnx.load(path)
    found = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    out = {}
    for name in names:
        q, s, z = (found[f"{name}_quantized"], found[f"{name}_scale"], found[f"{name}_zero_point"])
        out[name] = {
            "dims": list(q.shape),
            "quantized": q.flatten().tolist(),
            "scales": [float(v) for v in np.atleast_1d(s)],
            "zeroPoints": np.atleast_1d(z).tolist(),
        }
    return out


def pm_calibration_batches(batch_size=100):
    """pm calibration rows standardized as preprocess.json says (impute, clip, (x - mean) / std).

    The rows are golden/pm-calibration.csv, a frozen copy of the pm calibration split the golden
    was made from (fixtures/data/pm/calibration.csv has been regenerated since).
    """
    data = os.path.join(MODELS, "..", "data", "pm")
    with open(os.path.join(data, "preprocess.json")) as f:
        spec = json.load(f)
    rows = np.loadtxt(os.path.join(HERE, "pm-calibration.csv"), delimiter=",", skiprows=1)[:, :-1]
    cols = []
    for i, feat in enumerate(spec["features"]):
        x = np.clip(rows[:, i], feat["clip"][0], feat["clip"][1])
        cols.append((x - feat["mean"]) / (feat["std"] or 1.0))
    x = np.stack(cols, axis=1).astype(np.float32)
    return [{"input": x[i : i + batch_size]} for i in range(0, len(x), batch_size)]


class ListReader(CalibrationDataReader):
    def __init__(self, batches):
        self.batches = iter(batches)

    def get_next(self):
        return next(self.batches, None)


def static_params(path):
    """Activation scales/zero points and int32 biases of a QDQ model."""
    model = onnx.load(path)
    found = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    activations = {}
    biases = {}
    for name, value in found.items():
        if name.endswith("_zero_point") and value.dtype == np.uint8:
            base = name[: -len("_zero_point")]
            activations[base] = {"scale": float(found[base + "_scale"]), "zeroPoint": int(value)}
        if value.dtype == np.int32 and name.endswith("_quantized"):
            biases[name] = {"quantized": value.tolist(), "scales": found[name + "_scale"].tolist()}
    return {"activations": activations, "biases": biases}


class RandomReader(CalibrationDataReader):
    def __init__(self):
        rng = np.random.default_rng(0)
        self.batches = iter([{"input": rng.standard_normal((4, 8)).astype(np.float32)}])

    def get_next(self):
        return next(self.batches, None)


def main():
    pm = os.path.join(MODELS, "pm-mlp.onnx")
    retail = os.path.join(MODELS, "retail-cnn.onnx")
    weights = ["0.weight", "2.weight", "4.weight"]
    golden = {"onnxruntime": onnxruntime.__version__}
    with tempfile.TemporaryDirectory() as tmp:
        for per_channel in (True, False):
            out = os.path.join(tmp, f"pm-{per_channel}.onnx")
            quantize_dynamic(pm, out, per_channel=per_channel, weight_type=QuantType.QInt8)
            key = "pmDynamicPerChannel" if per_channel else "pmDynamicPerTensor"
            golden[key] = initializers(out, weights)
        out = os.path.join(tmp, "retail-u8.onnx")
        quantize_dynamic(retail, out, weight_type=QuantType.QUInt8, op_types_to_quantize=["Conv"])
        golden["retailConvUint8"] = initializers(out, ["onnx::Conv_39"])
        out = os.path.join(tmp, "pm-qdq.onnx")
        quantize_static(
            pm, out, RandomReader(), quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
        )
        golden["pmStaticPerChannel"] = initializers(out, weights)
        out = os.path.join(tmp, "pm-qdq-calibrated.onnx")
        quantize_static(
            pm, out, ListReader(pm_calibration_batches()), quant_format=QuantFormat.QDQ,
            per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
        )
        golden["pmStaticMinMax"] = static_params(out)
    with open(os.path.join(HERE, "quantize-graph-golden.json"), "w") as f:
        json.dump(golden, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
