"""Bad model files and settings give a clear `DetectorError`, so the node can fall back to motion-only rules."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from camera_node.detector import (
    DEFAULT_MODEL,
    DetectionGate,
    DetectorError,
    ModelFormatError,
    ModelLoadError,
    NanoDetDetector,
    create_detector,
)
from nattvakt.settings import NodeSettings


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_missing_model_file(tmp_path: Path) -> None:
    missing = tmp_path / "nanodet-g.int8.onnx"
    with pytest.raises(ModelLoadError, match=r"cannot read detector model .*nanodet-g\.int8\.onnx"):
        NanoDetDetector(missing)
    with pytest.raises(DetectorError):
        create_detector(NodeSettings(detector_model=missing))


def test_truncated_copy_of_a_known_model_fails_its_sum(tmp_path: Path) -> None:
    truncated = tmp_path / DEFAULT_MODEL.name
    truncated.write_bytes(DEFAULT_MODEL.read_bytes()[: 1_000_000])
    with pytest.raises(ModelLoadError, match=r"SHA-256 .* expected .*truncated, corrupt or a different model"):
        NanoDetDetector(truncated)


def test_corrupt_file_with_a_matching_sum_is_refused_by_the_runtime(tmp_path: Path) -> None:
    data = DEFAULT_MODEL.read_bytes()[: 500_000]
    corrupt = tmp_path / "custom.onnx"
    corrupt.write_bytes(data)
    with pytest.raises(ModelLoadError, match="onnxruntime refused detector model"):
        NanoDetDetector(corrupt, expected_sha256=_sha(data))


def test_unknown_model_without_a_sum_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.onnx"
    shutil.copyfile(DEFAULT_MODEL, other)
    with pytest.raises(ModelLoadError, match=r"no SHA-256 recorded .*DETECTOR_MODEL_SHA256"):
        NanoDetDetector(other)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b"image", b"imagf", "has inputs .*'imagf'"),  # the same network with its input renamed
        (b"scores_s16", b"scores_x16", "output 'scores_s16' is None"),  # an output the decoder needs is gone
    ],
)
def test_model_with_unexpected_inputs_or_outputs(tmp_path: Path, old: bytes, new: bytes, message: str) -> None:
    data = DEFAULT_MODEL.read_bytes()
    assert old in data
    changed = data.replace(old, new)
    path = tmp_path / "changed.onnx"
    path.write_bytes(changed)
    with pytest.raises(ModelFormatError, match=message):
        NanoDetDetector(path, expected_sha256=_sha(changed))


@pytest.mark.parametrize(
    "kwargs", [{"threads": 0}, {"score_threshold": 0.0}, {"score_threshold": 1.5}, {"classes": (80,)}, {"classes": ()}]
)
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        NanoDetDetector(DEFAULT_MODEL, **kwargs)  # type: ignore[arg-type]


def test_settings_reject_bad_detector_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from nattvakt.settings import SettingsError, load_settings

    for name, value in [("DETECTOR_THREADS", "0"), ("DETECTOR_SCORE_THRESHOLD", "1"), ("DETECTOR_MODEL_SHA256", "xyz")]:
        monkeypatch.setenv(f"NATTVAKT_NODE__{name}", value)
        with pytest.raises(SettingsError, match=f"NATTVAKT_NODE__{name}"):
            load_settings()
        monkeypatch.delenv(f"NATTVAKT_NODE__{name}")


def test_gate_runs_only_on_motion_or_recheck_and_caps_the_rate() -> None:
    gate = DetectionGate(max_rate=5.0)
    assert not gate.due(0.0, motion=False)
    assert gate.due(0.0, motion=True)
    assert not gate.due(0.1, motion=True)  # 0.1 s < 1/5 s
    assert gate.due(0.2, motion=False, recheck=True)
    assert not gate.due(10.0, motion=False)
    with pytest.raises(ValueError, match="max rate"):
        DetectionGate(0)
