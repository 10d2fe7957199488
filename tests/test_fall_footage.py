"""The fall footage index (`benchmarks/fall_footage.py`): labels, zones, variants and playback.

Everything but the last tests runs on small strings, temporary folders and synthetic videos written here; the
shared footage (../shared/data) is checked only when this machine has it, and skipped, saying so, otherwise.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import cv2
import numpy as np
import pytest

from benchmarks.fall_footage import (
    ROOM_ZONES,
    VARIANTS,
    FallClip,
    _ping_pong,
    apply_variant,
    clip_frames,
    clip_shape,
    clip_zones,
    fall_clips,
    fall_start,
    gmdcsa24_labels,
    lands_on_bed,
    le2i_boxes,
    le2i_fall_frames,
    portrait_span,
    shared_data_dir,
    urfd_fall_frames,
    variant_zones,
)
from nattvakt.geometry import polygon_problem
from nattvakt.settings import ZoneSettings

FALL_CSV = """File Name,Length (seconds),Time of Recording,Attire,Description, Classes
01.mp4,06, Day (Light On),Shirt, Falling from the chair to the ground, Falling (SW)[3.4 to 6]; Sitting[0 to 3.4]
02.mp4,05, Day,Shirt, Walking to falling. Right side fall, Falling (SW)[1.8 to 5]:; Walking[0 to 1.8]
03.mp4,05, Day,Shirt, Backward fall, Falling (BW) [0.3 to 5]; Standing [0 to 0.2]
04.mp4,06, Day,Shirt, Sitting on the chair to the left side fall, Falling (SW) [ 2.8 to 6]; Sitting [0 to 2.9]
05.mp4,10,Night,Jeans,Falling from bed to ground, Falling (BW[5.9 to 10]; Walking[0 to 1.3]
06.mp4,11,Night,Jeans,Right side fall then backward, Falling (SW)[4 to 11]; Falling (BW)[2 to 4]; Walking[0 to 1.8]
07.mp4,04,Day,Shirt,Forward fall, Fall (FW)[0 to 3]
08.mp4,11,Night,Jeans,Falling backward on the bed,Falling (BW)[3.4 to 11]; Standing[0 to 3.2]
09.mp4,11,Day,Shirt,Writing while sitting on the bed; then falling on the ground, Falling (SW)[7.7 to 11]
10.mp4,07,Day,Shirt,"Eating, then standing", Eating[0.9 4.6]; Standing[0 to 7]
"""


def test_gmdcsa24_fall_spans_in_every_style_start_where_the_span_starts() -> None:
    labels = gmdcsa24_labels(FALL_CSV)
    starts = {number: fall_start(classes) for number, (_, classes) in labels.items()}
    assert starts == {1: 3.4, 2: 1.8, 3: 0.3, 4: 2.8, 5: 5.9, 6: 2.0, 7: 0.0, 8: 3.4, 9: 7.7, 10: None}
    assert labels[10][0] == "Eating, then standing", "a quoted description with a comma stays one field"


def test_a_fall_lands_where_the_description_last_says_after_the_fall() -> None:
    assert lands_on_bed("Falling backward on the bed")
    assert lands_on_bed("Forward fall on the bed")
    assert not lands_on_bed("Writing while sitting on the bed; then falling on the ground")
    assert not lands_on_bed("Falling from bed to ground")
    assert not lands_on_bed("Standing from the bed and then falling sideways on the ground")
    assert not lands_on_bed("Walking to falling. Right side fall")


def test_le2i_annotation_gives_fall_frames_and_boxes() -> None:
    text = "144\r\n164\r\n1,1,205,70,259,170\r\n2,0,0,0,0,0\r\n\r\n3,7,77,129,200,194\r\n"
    assert le2i_fall_frames(text) == (144, 164)
    assert le2i_fall_frames("0\n0\n1,1,0,0,0,0\n") is None
    assert le2i_boxes(text) == {1: (205, 70, 259, 170), 3: (77, 129, 200, 194)}


def test_urfd_first_falling_frame_per_sequence() -> None:
    text = "fall-01,1,-1,3.1\nfall-01,2,0,3.3\nfall-01,3,0,3.1\nfall-01,4,1,3.4\nfall-02,1,-1,1\nfall-02,2,1,1\n"
    assert urfd_fall_frames(text) == {"fall-01": 2}


def _write_video(path: Path, values: list[int], *, fps: float, size: tuple[int, int] = (64, 48)) -> Path:
    """A tiny MJPG video whose frame i is a flat grey of values[i] (so frames can be told apart after decoding)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for value in values:
        writer.write(np.full((size[1], size[0], 3), value, np.uint8))
    writer.release()
    return path


def _footage_tree(root: Path) -> Path:
    gmd = root / "gmdcsa24"
    gmd.mkdir()
    (gmd / "Subject_2-Fall.csv").write_text(FALL_CSV, encoding="utf-8")
    (gmd / "Subject_2-ADL.csv").write_text(FALL_CSV.replace("Fall", "Sit"), encoding="utf-8")
    for name in ("Subject_2-Fall-01.mp4", "Subject_2-Fall-08.mp4", "Subject_2-ADL-01.mp4", "Subject_2-Fall-99.mp4"):
        (gmd / name).write_bytes(b"")
    home = root / "le2i_home" / "Home_01"
    (home / "Videos").mkdir(parents=True)
    (home / "Annotation_files").mkdir()
    for number, lines in ((2, "51\n60\n"), (11, "0\n0\n"), (9, "10\n20\n")):
        (home / "Annotation_files" / f"video ({number}).txt").write_text(lines, encoding="utf-8")
    for number in (2, 11):  # 9 has an annotation but no video, as in the shared copy
        (home / "Videos" / f"video ({number}).mp4").write_bytes(b"")
    urfd = root / "urfd"
    urfd.mkdir()
    (urfd / "urfall-cam0-falls.csv").write_text("fall-01,1,-1\nfall-01,2,-1\nfall-01,3,0\nfall-01,4,1\n")
    _write_video(urfd / "fall-01-cam0-rgb.avi", [100] * 4, fps=30.0).rename(urfd / "fall-01-cam0-rgb.mp4")
    return root


def test_fall_clips_from_a_folder_tree(tmp_path: Path) -> None:
    clips = fall_clips(_footage_tree(tmp_path))
    assert [(c.name, c.room, c.camera) for c in clips] == [
        ("Subject_2-ADL-01", "gmdcsa24/Subject_2", "gmdcsa24/Subject_2"),
        ("Subject_2-Fall-01", "gmdcsa24/Subject_2", "gmdcsa24/Subject_2"),
        ("Subject_2-Fall-08", "gmdcsa24/Subject_2", "gmdcsa24/Subject_2"),
        ("le2i-video(2)", "le2i/Home_01", "le2i/Home_01@sofa-4:3"),
        ("le2i-video(11)", "le2i/Home_01", "le2i/Home_01@stairs"),
        ("urfd-fall-01", "urfd/cam0", "urfd/cam0"),
    ], "sorted by room, then by name in natural order; a clip without a label row or video is left out"
    at = {c.name: c.fall_at for c in clips}
    assert at["Subject_2-ADL-01"] is None, "ADL clips have no fall"
    assert at["Subject_2-Fall-01"] == 3.4
    assert at["Subject_2-Fall-08"] is None, "a fall onto the bed is not a floor fall"
    assert at["le2i-video(2)"] == pytest.approx(50 / 25), "annotation frame 51 is video frame 50, at 25 fps"
    assert at["le2i-video(11)"] is None
    assert at["urfd-fall-01"] == pytest.approx(2 / 30), "frame 3 (1-based) at 30 fps"
    assert all(c.camera in ROOM_ZONES for c in clips)


def test_no_footage_no_clips(tmp_path: Path) -> None:
    assert fall_clips(tmp_path) == []


def _grey(value: int, shape: tuple[int, int] = (480, 640)) -> np.ndarray:
    return np.full((*shape, 3), value, np.uint8)


def _luma(frame: np.ndarray) -> float:
    return float(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).mean())


def test_dark_is_thirty_percent_with_luma_dominant_noise() -> None:
    frame = _grey(110)
    dark = apply_variant(frame, "dark", np.random.default_rng(1))
    assert dark.shape == frame.shape and dark.dtype == np.uint8
    assert 31 <= _luma(dark) <= 35, "110 × 0.3 = 33"
    channels = dark.astype(np.float32) - 33.0
    assert 3.3 <= float(channels[..., 1].std()) <= 5.0, "σ about 4 per channel"
    between = np.corrcoef(channels[..., 0].ravel(), channels[..., 2].ravel())[0, 1]
    assert between > 0.7, "most of the noise is the same on all channels: brightness, not colour"
    again = apply_variant(frame, "dark", np.random.default_rng(1))
    assert np.array_equal(dark, again), "deterministic from the seed"


def test_ir_is_grey_flat_vignetted_and_noisy() -> None:
    rng = np.random.default_rng(0)
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[:, :160] = (20, 200, 40)  # green and dark halves: contrast to squeeze
    frame[:, 160:] = (10, 10, 10)
    ir = apply_variant(frame, "ir", rng)
    assert ir.shape == frame.shape
    assert np.array_equal(ir[..., 0], ir[..., 1]) and np.array_equal(ir[..., 1], ir[..., 2])
    grey = ir[..., 0].astype(np.float32)
    left, right = grey[100:140, 60:100].mean(), grey[100:140, 220:260].mean()
    source = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    assert 0 < left - right < 0.6 * (source[120, 80] - source[120, 240]), "lower contrast than the source"
    flat = apply_variant(_grey(128, (240, 320)), "ir", rng)[..., 0].astype(np.float32)
    assert flat[110:130, 150:170].mean() > flat[:20, :20].mean() + 20, "a vignette: darker corners"
    assert 2.0 <= float(flat[110:130, 150:170].std()) <= 4.5, "noise σ about 3"


@pytest.mark.parametrize(("shape", "width"), [((480, 640), 270), ((180, 320), 101), ((720, 1280), 405)])
def test_portrait_is_a_centred_nine_by_sixteen_crop(shape: tuple[int, int], width: int) -> None:
    frame = np.zeros((*shape, 3), np.uint8)
    frame[:, :, 0] = np.arange(shape[1], dtype=np.uint16)[None, :] % 256
    out = apply_variant(frame, "portrait", np.random.default_rng(0))
    x0, x1 = portrait_span(*shape)
    assert out.shape == (shape[0], width, 3) and x1 - x0 == width
    assert abs((shape[1] - x1) - x0) <= 1, "centred"
    assert np.array_equal(out, frame[:, x0:x1]) and out.flags.c_contiguous


def test_as_is_leaves_the_frame_alone_and_every_variant_keeps_uint8() -> None:
    frame = _grey(90, (48, 64))
    assert apply_variant(frame, "as_is", np.random.default_rng(0)) is frame
    for variant in VARIANTS:
        assert apply_variant(frame, variant, np.random.default_rng(0)).dtype == np.uint8


def test_portrait_zones_are_mapped_and_clipped_to_the_crop() -> None:
    floor = ZoneSettings(name="golv", kind="floor", polygon=((0.0, 0.7), (1.0, 0.7), (1.0, 1.0), (0.0, 1.0)))
    middle = ZoneSettings(name="säng", kind="bed", polygon=((0.45, 0.3), (0.55, 0.3), (0.55, 0.5), (0.45, 0.5)))
    left = ZoneSettings(name="dörr", kind="door", polygon=((0.0, 0.1), (0.2, 0.1), (0.2, 0.6), (0.0, 0.6)))
    zones = (floor, middle, left)
    assert variant_zones(zones, "dark", (480, 640)) == zones
    out = variant_zones(zones, "portrait", (480, 640))
    assert [z.name for z in out] == ["golv", "säng"], "a zone outside the crop is dropped"
    assert sorted(out[0].polygon) == [(0.0, 0.7), (0.0, 1.0), (1.0, 0.7), (1.0, 1.0)]
    x0, x1 = portrait_span(480, 640)
    xs = sorted({x for x, _ in out[1].polygon})
    assert xs == pytest.approx([(0.45 * 640 - x0) / (x1 - x0), (0.55 * 640 - x0) / (x1 - x0)], abs=1e-3)
    cut = ZoneSettings(name="golv", kind="floor",
                       polygon=((0.1, 0.6), (0.5, 0.55), (0.9, 0.6), (0.9, 1.0), (0.1, 1.0)))
    (clipped,) = variant_zones((cut,), "portrait", (480, 640))
    assert polygon_problem(clipped.polygon) is None
    assert min(x for x, _ in clipped.polygon) == 0.0 and max(x for x, _ in clipped.polygon) == 1.0
    with pytest.raises(ValueError, match="own frame shape"):
        variant_zones(zones, "portrait", (480, 270))  # the cropped frame's shape: the crop can't be known


def test_clip_zones_use_the_clips_own_shape(tmp_path: Path) -> None:
    path = _write_video(tmp_path / "clip.avi", [100] * 3, fps=10.0, size=(320, 240))
    clip = FallClip(path, "urfd/cam0", 0.1, "synthetic")
    assert clip_shape(clip) == (240, 320)
    assert clip_zones(clip) == ROOM_ZONES["urfd/cam0"]
    assert clip_zones(clip, "portrait") == variant_zones(ROOM_ZONES["urfd/cam0"], "portrait", (240, 320))


def test_every_drawn_zone_survives_or_is_dropped_cleanly_in_portrait() -> None:
    for zones in ROOM_ZONES.values():
        for shape in ((480, 640), (180, 320), (240, 320), (720, 1280)):
            out = variant_zones(zones, "portrait", shape)
            assert any(z.kind == "floor" for z in out), "the middle of every floor stays in a portrait view"
            assert all(polygon_problem(z.polygon) is None for z in out)


def test_ping_pong_plays_the_last_frames_backwards_then_forwards() -> None:
    assert [_ping_pong(4, k) for k in range(1, 9)] == [2, 1, 0, 1, 2, 3, 2, 1]
    assert [_ping_pong(1, k) for k in range(1, 4)] == [0, 0, 0]


def _nearest(values: list[int], mean: float) -> int:
    return min(range(len(values)), key=lambda i: abs(values[i] - mean))


def test_clip_frames_skip_like_capture_then_hold_the_last_second(tmp_path: Path) -> None:
    values = [5 * i for i in range(45)]  # 1.5 s at 30 fps, each frame its own grey
    path = _write_video(tmp_path / "clip.avi", values, fps=30.0)
    clip = FallClip(path, "test/room", 0.5, "synthetic")
    frames = list(clip_frames(clip, fps=10.0, extend_s=2.0))
    times = [t for t, _ in frames]
    shown = [_nearest(values, float(f.mean())) for _, f in frames]
    assert shown[:15] == list(range(0, 45, 3)), "every 3rd frame of 30 fps for 10 fps"
    assert times[:15] == pytest.approx([i / 30 for i in range(0, 45, 3)])
    held = list(range(15, 45, 3))  # the last second at the processed rate: 10 frames
    assert shown[15:] == [held[_ping_pong(len(held), k)] for k in range(1, len(shown) - 14)]
    assert shown[15:20] == [39, 36, 33, 30, 27]
    assert len(frames) - 15 == 20, "2 s more at 10 fps: from the clip's end at 1.5 s to 3.5 s"
    assert times[15] == pytest.approx(1.5) and times[-1] == pytest.approx(3.4)
    assert all(b > a for a, b in itertools.pairwise(times)), "time keeps increasing"
    decoded = next(f for i, (_, f) in enumerate(frames) if shown[i] == 39)
    extended = frames[15][1]
    difference = extended.astype(np.float32) - decoded.astype(np.float32)
    assert 1.5 <= float(difference.std()) <= 2.6, "σ=2 sensor noise on the held frames"
    assert not np.array_equal(frames[15][1], frames[16][1])
    again = list(clip_frames(clip, fps=10.0, extend_s=2.0))
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(frames, again, strict=True)), "same seed, same noise"


def test_clip_frames_apply_the_variant_to_the_extension_too(tmp_path: Path) -> None:
    path = _write_video(tmp_path / "clip.avi", [120] * 20, fps=20.0, size=(160, 90))
    clip = FallClip(path, "test/room", None, "synthetic")
    frames = list(clip_frames(clip, "portrait", fps=10.0, extend_s=1.0))
    assert len(frames) == 10 + 10
    assert {f.shape for _, f in frames} == {(90, 51, 3)}
    dark = [_luma(f) for _, f in clip_frames(clip, "dark", fps=10.0, extend_s=1.0)]
    assert all(30 <= value <= 42 for value in dark)


def test_bedroom_zones_are_the_ones_drawn_for_the_events_benchmark() -> None:
    """GMDCSA24's zones predate this index (benchmarks/events.py drew them); results stay comparable."""
    polygons = {camera: [(z.name, z.kind, z.polygon) for z in zones] for camera, zones in ROOM_ZONES.items()}
    assert polygons["gmdcsa24/Subject_1"] == [
        ("golv", "floor", ((0.0, 0.7), (1.0, 0.7), (1.0, 1.0), (0.0, 1.0))),
        ("säng", "bed", ((0.93, 0.5), (1.0, 0.5), (1.0, 0.85), (0.93, 0.85))),
    ]
    assert polygons["gmdcsa24/Subject_2"] == [
        ("golv", "floor", ((0.0, 0.6), (1.0, 0.6), (1.0, 1.0), (0.0, 1.0))),
        ("säng", "bed", ((0.18, 0.35), (0.79, 0.38), (0.79, 0.72), (0.19, 0.72))),
    ]


def test_the_shared_footage_holds_62_floor_falls_in_four_rooms() -> None:
    clips = fall_clips()
    if shared_data_dir() is None or not clips:
        pytest.skip("the shared footage (../shared/data: gmdcsa24, le2i_home, urfd) is not on this machine")
    falls = [c for c in clips if c.fall_at is not None]
    assert len(falls) == 62, "the shared data README counts 62 falls"
    assert {c.room for c in falls} == {"gmdcsa24/Subject_1", "gmdcsa24/Subject_2", "le2i/Home_01", "urfd/cam0"}
    assert len({c.name for c in clips}) == len(clips)
    assert all(c.camera in ROOM_ZONES for c in clips)
    assert all(0 <= (c.fall_at or 0) < 16 for c in clips)


HEAD_POSES = {"upright", "sitting", "mid_fall", "lying_face_up", "lying_face_down", "lying_side", "back_to_camera"}


def test_head_labels_are_well_formed_and_spread_over_the_four_rooms() -> None:
    """benchmarks/head_labels.csv: hand-drawn head boxes (clip name, 0-based frame, pixels of the video)."""
    lines = (Path(__file__).resolve().parents[1] / "benchmarks" / "head_labels.csv").read_text().splitlines()
    assert lines[0] == "clip,frame,x1,y1,x2,y2,pose"
    rows = [line.split(",") for line in lines[1:]]
    assert 60 <= len(rows) <= 90
    for clip, frame, x1, y1, x2, y2, pose in rows:
        assert int(frame) >= 0 and 0 <= int(x1) < int(x2) and 0 <= int(y1) < int(y2), clip
        assert pose in HEAD_POSES, pose
    assert len({(clip, frame) for clip, frame, *_ in rows}) == len(rows), "one person per frame"
    prefixes = {clip.split("-")[0] for clip, *_ in rows}
    assert prefixes == {"Subject_1", "Subject_2", "le2i", "urfd"}
    hard = [pose for *_, pose in rows if pose not in ("upright", "sitting")]
    assert len(hard) > len(rows) / 2, "weighted to the hard poses"
