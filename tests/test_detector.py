"""The NanoDet box detector (perception's second opinion) on real frames (Debian opencv-doc), raw and private."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from camera_node.synthetic import SyntheticScene
from privacy import PrivacyFilter, PrivateFrame, RawFrame
from privacy.detector import DEFAULT_MODEL, PERSON, Detection, DetectionResult, NanoDetDetector
from privacy.detector.nanodet import KNOWN_SHA256, MODELS_DIR, file_sha256

DATA = Path("/usr/share/doc/opencv-doc/examples/data")
VTEST = DATA / "vtest.avi"
needs_opencv_doc = pytest.mark.skipif(not VTEST.exists(), reason="Debian opencv-doc (vtest.avi) is not installed")


@pytest.fixture(scope="module")
def detector() -> NanoDetDetector:
    return NanoDetDetector(DEFAULT_MODEL, threads=2, score_threshold=0.5)


def _private(frames: list[np.ndarray]) -> list[PrivateFrame]:
    privacy = PrivacyFilter()
    return [privacy.make_private(RawFrame(f, index=i, captured_at=float(i))) for i, f in enumerate(frames)]


def _vtest_frames(indices: tuple[int, ...]) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(VTEST))
    frames = []
    for index in indices:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
        assert ok, f"cannot read frame {index} of {VTEST}"
        frames.append(frame)
    capture.release()
    return frames


@pytest.mark.parametrize("name", sorted(KNOWN_SHA256))
def test_committed_models_match_their_recorded_sums_and_load(name: str) -> None:
    path = MODELS_DIR / name
    assert file_sha256(path) == KNOWN_SHA256[name]
    loaded = NanoDetDetector(path, threads=1)
    # fp32 is the conversion as trained (416x416); the edge int8 build is 4:3 at 416x320, like most room cameras
    assert (loaded.input_width, loaded.input_height) == ((416, 416) if name == "nanodet-g.onnx" else (416, 320))
    assert loaded.name == name.removesuffix(".onnx")


def test_build_script_and_model_card_record_the_same_sums() -> None:
    script = (MODELS_DIR / "build_nanodet.sh").read_text()
    card = (MODELS_DIR / "MODEL_CARD.md").read_text()
    assert re.search(rf'FP32_SHA256="{KNOWN_SHA256["nanodet-g.onnx"]}"', script)
    assert re.search(rf'INT8_SHA256="{KNOWN_SHA256["nanodet-g.int8.onnx"]}"', script)
    for digest in KNOWN_SHA256.values():
        assert digest in card


@needs_opencv_doc
def test_finds_pedestrians_in_private_vtest_frames_with_sane_boxes(detector: NanoDetDetector) -> None:
    frames = _private(_vtest_frames((100, 400, 700)))
    for frame in frames:
        result = detector.detect(frame)
        assert isinstance(result, DetectionResult)
        assert result.frame_index == frame.index
        people = result.of_class(PERSON)
        assert len(people) >= 3, f"frame {frame.index}: only {len(people)} people found"
        height, width = frame.shape
        scores = [p.score for p in people]
        assert scores == sorted(scores, reverse=True)
        for person in people:
            assert 0 <= person.x1 < person.x2 <= width and 0 <= person.y1 < person.y2 <= height
            assert 0.5 <= person.score <= 1.0
            # pedestrians in this view are 40-200 px tall and upright
            assert 25 <= person.height <= 250, person
            assert person.height > person.width, person


@needs_opencv_doc
def test_fp32_and_int8_agree_on_a_private_frame() -> None:
    (frame,) = _private(_vtest_frames((250,)))
    boxes = {}
    for name in ("nanodet-g.onnx", "nanodet-g.int8.onnx"):
        found = NanoDetDetector(MODELS_DIR / name, threads=1).detect(frame).detections
        boxes[name] = np.array([d.xywh for d in found])
    fp32, int8 = boxes["nanodet-g.onnx"], boxes["nanodet-g.int8.onnx"]
    assert abs(len(fp32) - len(int8)) <= 1
    # every fp32 person has an int8 box whose centre is within 8 px
    fp32_centres, int8_centres = (b[:, :2] + b[:, 2:] / 2 for b in (fp32, int8))
    distances = np.linalg.norm(fp32_centres[:, None] - int8_centres[None], axis=2).min(axis=1)
    assert np.mean(distances < 8) >= 0.8, distances


def test_empty_rooms_have_no_people(detector: NanoDetDetector) -> None:
    scene = SyntheticScene(640, 480)
    empty = [scene.render(i) for i in (10, 25)]  # the walker enters only after 4 s
    home = cv2.imread(str(DATA / "home.jpg"))  # a real furnished room without people (Debian opencv-doc)
    if home is not None:
        empty.append(np.asarray(home, dtype=np.uint8))
    for frame in _private(empty):
        assert detector.detect(frame).detections == ()


def test_refuses_bare_arrays_and_raw_frames(detector: NanoDetDetector) -> None:
    pixels = np.zeros((480, 640, 3), np.uint8)
    with pytest.raises(TypeError, match="PrivateFrame"):
        detector.detect(pixels)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="PrivateFrame"):
        detector.detect(RawFrame(pixels, index=0, captured_at=0.0))  # type: ignore[arg-type]


def test_portrait_frames_are_letterboxed_not_squashed(detector: NanoDetDetector) -> None:
    """A 9:16 crop of a pedestrian scene: boxes keep their upright shape and land on the crop's people."""
    if not VTEST.exists():
        pytest.skip("Debian opencv-doc (vtest.avi) is not installed")
    (frame,) = _vtest_frames((400,))
    h, w = frame.shape[:2]
    crop_w = round(h * 9 / 16)
    portrait = np.ascontiguousarray(frame[:, (w - crop_w) // 2 : (w + crop_w) // 2])
    found = detector.detect_pixels(portrait, 0, 0.0).of_class(PERSON)
    assert found, "people in the portrait crop are found"
    for person in found:
        assert person.x2 <= crop_w + 1 and person.height > person.width, person


def test_detection_record_helpers() -> None:
    box = Detection(10.0, 20.0, 40.0, 100.0, 0.9, PERSON)
    assert (box.width, box.height, box.xywh) == (30.0, 80.0, (10.0, 20.0, 30.0, 80.0))


def test_detector_package_exports_what_all_names() -> None:
    import privacy.detector as package

    # the order (constants, then classes, then functions) is ruff's RUF022
    assert len(set(package.__all__)) == len(package.__all__)
    assert all(hasattr(package, name) for name in package.__all__)


def test_decode_reads_the_distribution_boxes_around_cell_centres() -> None:
    from privacy.detector import _nanodet_decode as nd

    grids = nd.make_grids(384, 288)
    scores = [np.zeros((1, (384 // s) * (288 // s), 80), np.float32) for s in nd.STRIDES]
    boxes = [np.zeros((1, (384 // s) * (288 // s), 44), np.float32) for s in nd.STRIDES]
    cell = 10 * 48 + 20  # stride 8, 48 cells a row: row 10, column 20 → centre (164, 84)
    scores[0][0, cell, 0] = 0.9
    scores[0][0, cell + 1, 15] = 0.95  # a cat next to it: not asked for
    for side, bin_index in enumerate((2, 3, 4, 5)):  # left, top, right, bottom, in strides
        boxes[0][0, cell, side * 11 + bin_index] = 60.0  # a sharp peak: the expectation is the bin
    found, found_scores, found_classes = nd.decode(scores, boxes, grids, (0,), 0.5)
    np.testing.assert_allclose(found, [[164 - 16, 84 - 24, 164 + 32, 84 + 40]], atol=1e-3)
    assert found_scores.tolist() == [pytest.approx(0.9)] and found_classes.tolist() == [0]
    assert nd.suppress(found, found_scores, found_classes, 0.5, 0.45).tolist() == [0]
    empty = nd.decode(scores, boxes, grids, (0,), 0.95)
    assert empty[0].shape == (0, 4) and nd.suppress(*empty, 0.95, 0.45).size == 0
