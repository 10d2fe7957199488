"""The privacy filter against a real face detector on real footage: no face leaves the process.

Faces are counted with CenterFace at 640 px, score ≥ 0.5 (MODELS.md). Footage: Debian opencv-doc's
`messi5.jpg` still and `vtest.avi`, and the GMDCSA24 bedroom clips when `../shared/data` is present.
Frames are subsampled to keep the test in seconds; `python -m benchmarks.face_leaks` runs all of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import cast

import cv2
import numpy as np
import pytest

from benchmarks.face_leaks import LeakCounts, faces_in, measure
from benchmarks.footage import OPENCV_DATA, VTEST, gmdcsa24_clips, read_frames
from nattvakt.types import PRIVACY_LEVELS
from privacy import PrivacyFilter, RawFrame
from privacy.errors import FaceModelError
from privacy.faces import MODEL_PATH, FaceDetector, shared_face_detector
from privacy.filters import FilterConfig
from privacy.frames import Pixels

MESSI = OPENCV_DATA / "messi5.jpg"
needs_opencv_doc = pytest.mark.skipif(not MESSI.is_file(), reason="Debian opencv-doc stills are not installed")


def _still() -> Pixels:
    return cast(Pixels, cv2.imread(str(MESSI)))


@needs_opencv_doc
def test_detector_finds_the_face_on_the_raw_still() -> None:
    faces = shared_face_detector().detect(_still(), 320, 0.5)
    assert len(faces) == 1 and faces[0].score > 0.7
    assert 200 < faces[0].x1 < 260 and 20 < faces[0].width < 60  # the player's face, in frame pixels


@needs_opencv_doc
def test_no_tier_or_level_of_the_still_shows_a_face() -> None:
    counts = measure([_still()], every=1)
    assert counts.raw == 1
    assert counts.exposed == dict.fromkeys(["private", *PRIVACY_LEVELS], 0)
    assert {level: counts.found[level] for level in PRIVACY_LEVELS} == dict.fromkeys(PRIVACY_LEVELS, 0)


@needs_opencv_doc
def test_private_frame_hides_the_face_but_keeps_the_rest() -> None:
    still = _still()
    private = PrivacyFilter().make_private(RawFrame(still, index=0, captured_at=0.0))
    assert len(private.face_boxes) == 1
    x, y, w, h = private.face_boxes[0]
    blurred = cv2.GaussianBlur(still, (0, 0), 2.0).astype(int)
    change = np.abs(private.pixels.astype(int) - blurred)
    assert change[y : y + h, x : x + w].mean() > 8, "the face is a mosaic, not just blurred"
    change[max(0, y - 8) : y + h + 8, max(0, x - 8) : x + w + 8] = 0
    assert change.mean() < 0.5, "away from the face only the light σ2 blur touched the picture"


@pytest.mark.skipif(not VTEST.is_file(), reason="Debian opencv-doc vtest.avi is not installed")
def test_vtest_outgoing_levels_show_no_face() -> None:
    counts = measure(read_frames(VTEST, limit=24, width=640), every=8)
    assert counts.checked == 3
    assert all(counts.found[level] == 0 for level in PRIVACY_LEVELS), counts


def _clip_with_faces() -> Path:
    clips = [clip.path for clip in gmdcsa24_clips() if clip.path.name == "Subject_1-Fall-14.mp4"]
    if not clips:
        pytest.skip("GMDCSA24 bedroom clips are not on this machine (../shared/data/gmdcsa24)")
    return clips[0]


def test_bedroom_clip_outgoing_levels_show_no_face() -> None:
    counts: LeakCounts = measure(read_frames(_clip_with_faces(), limit=40), every=8)
    assert counts.raw >= 3, "the clip shows a face on its raw frames; otherwise this proves nothing"
    assert all(counts.found[level] == 0 for level in PRIVACY_LEVELS), counts.found
    assert counts.exposed["private"] == 0


def test_amortised_detector_hides_as_much_as_running_it_every_frame() -> None:
    """The hold proof: skipping detector runs exposes no face that per-frame detection would have hidden."""
    path = _clip_with_faces()
    detector = shared_face_detector()
    every_frame = PrivacyFilter(FilterConfig(busy_every=1, idle_every=1))
    amortised = PrivacyFilter()
    exposed = {"every_frame": 0, "amortised": 0}
    for index, pixels in enumerate(read_frames(path, limit=45)):
        raw = RawFrame(pixels, index=index, captured_at=0.0)
        frames = {"every_frame": every_frame.make_private(raw), "amortised": amortised.make_private(raw)}
        if index % 3 == 0:
            continue
        for name, private in frames.items():
            hidden = _mask(private.face_boxes, private.shape)
            exposed[name] += any(
                hidden[int(f.y1) : int(f.y2), int(f.x1) : int(f.x2)].mean() < 0.7
                for f in faces_in(detector, private.pixels)
            )
            raw_faces = faces_in(detector, pixels)
            # Every face in the raw frame lies (≥ 70 %) inside a hidden box, amortised or not.
            exposed[name] += any(hidden[int(f.y1) : int(f.y2), int(f.x1) : int(f.x2)].mean() < 0.7 for f in raw_faces)
    assert amortised.stats.detector_runs < every_frame.stats.detector_runs / 2
    assert exposed["amortised"] <= exposed["every_frame"] == 0


def _mask(boxes: tuple[tuple[int, int, int, int], ...], shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.float32)
    for x, y, w, h in boxes:
        mask[y : y + h, x : x + w] = 1
    return mask


def test_a_missing_or_broken_face_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FaceModelError, match="cannot read face model"):
        FaceDetector(tmp_path / "absent.onnx")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(FaceModelError, match="cannot load face model"):
        FaceDetector(broken)
    copy = tmp_path / "centerface.onnx"
    shutil.copyfile(MODEL_PATH, copy)
    assert FaceDetector(copy).detect(np.zeros((48, 64, 3), np.uint8)) == []
