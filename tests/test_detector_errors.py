"""Bad model files and settings give a clear error, so the node can fall back to motion-only rules."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from camera_node.perception_gate import GateInput, PerceptionGate
from camera_node.rules.stage import build_privacy_filter
from nattvakt.settings import NodeSettings
from privacy.detector import DEFAULT_MODEL, ModelFormatError, ModelLoadError, NanoDetDetector
from privacy.errors import PoseModelError, PrivacyError
from privacy.pose import MODEL_PATH, PoseModel


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_missing_model_file(tmp_path: Path) -> None:
    missing = tmp_path / "nanodet-g.int8.onnx"
    with pytest.raises(ModelLoadError, match=r"cannot read detector model .*nanodet-g\.int8\.onnx"):
        NanoDetDetector(missing)
    with pytest.raises(PoseModelError, match="cannot read pose model"):
        PoseModel(tmp_path / "movenet.onnx")


def test_corrupt_pose_model_is_refused_and_the_node_filter_degrades(tmp_path: Path) -> None:
    corrupt = tmp_path / "movenet.onnx"
    corrupt.write_bytes(MODEL_PATH.read_bytes()[:200_000])
    with pytest.raises(PrivacyError, match="cannot load or run pose model"):
        PoseModel(corrupt)
    # With perception off the filter still hides faces, and says perception did not run.
    privacy, error = build_privacy_filter(NodeSettings(perception_enabled=False))
    assert error is None and not privacy.perceives


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

    for name, value in [("PERCEPTION_THREADS", "0"), ("PERCEPTION_MAX_RATE", "0"), ("PERCEPTION_BOX_EVERY", "-1"),
                        ("RULES__START_SCORE", "1")]:
        monkeypatch.setenv(f"NATTVAKT_NODE__{name}", value)
        with pytest.raises(SettingsError, match=f"NATTVAKT_NODE__{name}"):
            load_settings()
        monkeypatch.delenv(f"NATTVAKT_NODE__{name}")


def test_gate_runs_on_motion_recheck_or_idle_scan_and_caps_the_rate() -> None:
    gate = PerceptionGate(max_rate=5.0, idle_scan_s=3.0)
    still = GateInput(motion=False, recheck=False, tracking=True, changed=True)
    assert not gate.due(0.0, still)
    assert gate.due(0.0, GateInput(motion=True, recheck=False, tracking=True, changed=True))
    assert not gate.due(0.1, GateInput(motion=True, recheck=False, tracking=True, changed=True))  # < 1/5 s
    assert gate.due(0.2, GateInput(motion=False, recheck=True, tracking=True, changed=False))
    assert not gate.due(10.0, still)  # someone tracked and not due: no idle scans
    # Nobody tracked: a look every idle_scan_s, only when the picture changed since the last look.
    assert not gate.due(20.0, GateInput(motion=False, recheck=False, tracking=False, changed=False))
    assert gate.due(20.0, GateInput(motion=False, recheck=False, tracking=False, changed=True))
    assert not gate.due(22.0, GateInput(motion=False, recheck=False, tracking=False, changed=True))
    assert gate.due(23.0, GateInput(motion=False, recheck=False, tracking=False, changed=True))
    with pytest.raises(ValueError, match="max rate"):
        PerceptionGate(0, 3.0)
