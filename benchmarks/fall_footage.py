"""Every fall clip of the shared footage — four rooms — with when the fall starts, zones per camera, and variants.

The footage lives outside the repository (`../shared/data`, see its README): GMDCSA24's two bedrooms, Le2i's
"Home" living room and the UR Fall office. Labels are read as the datasets ship them; what the labels leave out
was checked by looking at frames, and is said where it is used.

Cameras: a zone is drawn on a camera's view, so zones belong to a camera placement, not to a room. Three rooms
were filmed from one place each (`clip.camera == clip.room`); Le2i's Home_01 from two opposite corners and, of
the corner facing the sofa, in two framings, so its clips carry a `view` and use `ROOM_ZONES[clip.camera]`.

Variants make the dark and odd cameras the footage lacks: a dim room on a cheap sensor, an IR night picture, and a
portrait-mounted camera. `clip_frames` plays a clip at the node's rate in one of them, then holds its last second
a while so a rule that waits for someone to lie still can fire on clips that end just after the fall.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.footage import Pixels, gmdcsa24_dir, read_frames, video_fps
from nattvakt.geometry import Point, polygon_problem
from nattvakt.settings import ZoneSettings

Room = str
"""Where the footage was filmed: "gmdcsa24/Subject_1", "gmdcsa24/Subject_2", "le2i/Home_01", "urfd/cam0"."""
Camera = str
"""A camera placement zones are drawn on: the room, or "room@view" for a room filmed from several places."""
Variant = Literal["as_is", "dark", "ir", "portrait"]
VARIANTS: tuple[Variant, ...] = get_args(Variant)

_REPO = Path(__file__).resolve().parents[1]

LE2I_SOURCE_FPS = 25.0
"""Le2i was filmed at 25 fps. The shared files say 24 fps but hold the source's frames one for one: their frame
counts equal the annotation's frame lines (or up to 8 short at the end), and the annotated boxes line up with
the person in the video frame of the same number: matched against a background-subtracted box around the fall,
the best offset is within ±4 frames in 25 of 27 clips (the other two have the table hiding the person), where a
re-timed 24 fps copy would be 6 frames off by frame 150. So a Le2i clip's clock runs at 25 fps: frame n is at
n / 25 s, and the labels' frame numbers convert with 25 fps too."""

EXTENSION_NOISE = 2.0
"""σ of the sensor noise on the held last second: a still picture from a real camera is never bit-identical."""


@dataclass(frozen=True, slots=True)
class FallClip:
    path: Path
    room: Room
    fall_at: float | None
    """Seconds from clip start when a fall that ends on the floor begins; None: no floor fall in the clip."""
    description: str
    """One line: what the labels say."""
    view: str = ""
    """Which of the room's camera placements filmed the clip; "" for a room filmed from one place."""

    @property
    def name(self) -> str:
        """Short unique id: "Subject_1-Fall-13", "le2i-video(5)", "urfd-fall-07"."""
        if self.room.startswith("le2i/"):
            return "le2i-" + self.path.stem.replace(" ", "")
        if self.room.startswith("urfd/"):
            return "urfd-" + self.path.stem.removesuffix("-cam0-rgb")
        return self.path.stem

    @property
    def camera(self) -> Camera:
        """The key of this clip's zones in `ROOM_ZONES`."""
        return f"{self.room}@{self.view}" if self.view else self.room


def _zone(name: str, kind: Literal["bed", "floor", "door", "chair"], *corners: Point) -> ZoneSettings:
    return ZoneSettings(name=name, kind=kind, polygon=corners)


ROOM_ZONES: dict[Camera, tuple[ZoneSettings, ...]] = {
    # Drawn once per camera placement, on frames of several clips, as staff would when installing the camera.
    # The floor zone is where a lying person's box bottom can be, generously.
    # GMDCSA24: unchanged from the zones benchmarks/events.py drew for these bedrooms (a test pins them).
    # Subject_1's two 1280x720 ADL clips (10, 16) frame the room wider than its 640x480 fall clips, and the
    # view of Fall-15 is about 12 px off and 2 % larger than Fall-13's (the camera was touched); the band from 0.7
    # down is floor in all of them.
    "gmdcsa24/Subject_1": (
        _zone("golv", "floor", (0.0, 0.7), (1.0, 0.7), (1.0, 1.0), (0.0, 1.0)),
        _zone("säng", "bed", (0.93, 0.5), (1.0, 0.5), (1.0, 0.85), (0.93, 0.85)),
    ),
    "gmdcsa24/Subject_2": (
        _zone("golv", "floor", (0.0, 0.6), (1.0, 0.6), (1.0, 1.0), (0.0, 1.0)),
        _zone("säng", "bed", (0.18, 0.35), (0.79, 0.38), (0.79, 0.72), (0.19, 0.72)),
    ),
    # Le2i Home_01, facing the sofa, the door and the TV (clips 5-7 and 16-30; 5-7 are the same picture stretched
    # to 320x240, so the fractions are the same). Floor: everything in front of the back wall's skirting, around
    # the L-shaped sofa, under the table and the mattress (which lies on the floor). The sofa is a bed-kind zone:
    # in clips 5-7 the person sits on it before falling, and someone lying on a sofa must not read as on the
    # floor (bed zones take precedence in the rules; a chair zone does nothing). Its lower edge is where the sofa
    # stands on the floor, so a person lying on the mattress right in front of it (clips 19, 22, 26) is on the
    # floor. Getting up from the sofa may read as a bed exit: in a living room that is a surplus event.
    "le2i/Home_01@sofa": (
        _zone("golv", "floor", (0.0, 0.86), (0.1, 0.86), (0.27, 0.78), (0.27, 0.56), (0.31, 0.5), (0.31, 0.4),
              (0.5, 0.31), (0.62, 0.31), (0.66, 0.42), (0.82, 0.45), (1.0, 0.66), (1.0, 1.0), (0.0, 1.0)),
        _zone("soffa", "bed", (0.0, 0.28), (0.17, 0.3), (0.31, 0.36), (0.31, 0.5), (0.27, 0.56), (0.27, 0.78),
              (0.1, 0.86), (0.0, 0.86)),
    ),
    # The same corner framed taller (clips 1, 2, 4 at 320x240): the room sits higher in the view.
    "le2i/Home_01@sofa-4:3": (
        _zone("golv", "floor", (0.06, 0.78), (0.12, 0.76), (0.27, 0.72), (0.27, 0.5), (0.31, 0.46), (0.31, 0.38),
              (0.42, 0.35), (0.55, 0.3), (0.66, 0.3), (0.68, 0.4), (0.84, 0.42), (1.0, 0.62), (1.0, 1.0),
              (0.06, 1.0)),
        _zone("soffa", "bed", (0.02, 0.28), (0.17, 0.3), (0.31, 0.33), (0.31, 0.46), (0.27, 0.5), (0.27, 0.72),
              (0.12, 0.76), (0.04, 0.74)),
    ),
    # The opposite corner, facing the stairs and the dining table (clips 8 and 11 at 320x240, 12-15 the same
    # picture at 320x180). Floor in front of the skirting, under the table, up to the sofa on the right, which
    # is the same sofa as above and a bed-kind zone for the same reason.
    "le2i/Home_01@stairs": (
        _zone("golv", "floor", (0.0, 0.66), (0.33, 0.6), (0.42, 0.63), (0.55, 0.6), (0.71, 0.66), (0.71, 0.9),
              (0.85, 0.95), (1.0, 0.93), (1.0, 1.0), (0.0, 1.0)),
        _zone("soffa", "bed", (0.71, 0.5), (0.83, 0.49), (1.0, 0.5), (1.0, 0.93), (0.85, 0.95), (0.71, 0.9)),
    ),
    # UR Fall: the camera was moved between sequences 12 and 13 (13-30 see the room from further back, the
    # skirting at 0.78 of the height instead of 0.67). One band from 0.64 down covers the floor in both: in
    # 13-30 its top is wall and desk, where only a standing person's feet can be.
    "urfd/cam0": (
        _zone("golv", "floor", (0.0, 0.64), (1.0, 0.64), (1.0, 1.0), (0.0, 1.0)),
    ),
}

_LE2I_VIEWS: dict[int, str] = {
    **dict.fromkeys((1, 2, 3, 4), "sofa-4:3"),  # 3 is not in the shared copy; assumed framed as 1, 2 and 4
    **dict.fromkeys((5, 6, 7, *range(16, 31)), "sofa"),
    **dict.fromkeys(range(8, 16), "stairs"),  # 9 and 10 are not in the shared copy; assumed as 8 and 11
}
"""Which camera placement filmed each Le2i Home_01 clip, from looking at their first frames."""

SEEN: dict[str, str] = {
    # What the labels do not say, from looking at the clips; the benchmark may print it next to a result.
    "le2i-video(8)": "falls onto the mattress, stays down about 3 s, then gets up and walks out of view",
    "le2i-video(11)": "falls onto the mattress, stays down about 3 s, then gets up and walks out of view",
    "le2i-video(16)": "the table stands over the mattress: the fallen person is half hidden under it",
    "le2i-video(17)": "the table stands over the mattress: the fallen person is half hidden under it",
    "le2i-video(28)": "falls beside the mattress, onto the bare floor in front of the sofa",
    "le2i-video(30)": "no mattress: falls onto the bare floor",
    "urfd-fall-13": "a second person sits at the desk on the left, half hidden by the chairs, all through",
    "urfd-fall-14": "a second person sits at the desk on the left, half hidden by the chairs, all through",
    "urfd-fall-20": "ends sitting on the floor propped on one arm, not lying (labelled lying)",
}


def shared_data_dir() -> Path | None:
    """The shared footage folder (holding gmdcsa24/, le2i_home/, urfd/), or None on a machine without it."""
    configured = os.environ.get("NATTVAKT_FOOTAGE_DIR")
    candidates = [Path(configured).parent] if configured else []
    candidates += [_REPO.parent / "shared" / "data", Path("/work/shared/data")]
    return next((path for path in candidates if path.is_dir()), None)


def fall_clips(root: Path | None = None) -> list[FallClip]:
    """Every clip present under `root` (default: `shared_data_dir()`), sorted by room then name; [] without data."""
    if root is None:
        root = shared_data_dir()
        bedrooms = gmdcsa24_dir()
    else:
        bedrooms = root / "gmdcsa24"
    clips: list[FallClip] = []
    if bedrooms is not None and bedrooms.is_dir():
        clips += gmdcsa24_clips(bedrooms)
    if root is not None and (root / "le2i_home" / "Home_01").is_dir():
        clips += le2i_clips(root / "le2i_home" / "Home_01")
    if root is not None and (root / "urfd").is_dir():
        clips += urfd_clips(root / "urfd")
    return sorted(clips, key=lambda clip: (clip.room, _natural(clip.name)))


def _natural(text: str) -> tuple[str | int, ...]:
    """Sort key that puts "video(2)" before "video(11)"."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


# GMDCSA24 ---------------------------------------------------------------------------------------------------

_FALL_SPAN = re.compile(r"\bfall(?:ing)?\b[^\[\];]*\[\s*(\d+(?:\.\d+)?)", re.IGNORECASE)
"""A fall span in any of the styles the CSVs use: `Falling (SW)[3.4 to 6]`, `Falling (BW) [0.3 to 5]`,
`Falling (SW) [ 2.8 to 6]`, `Falling (BW[5.9 to 10]` (bracket missing), `Fall (FW)[0 to 3]`."""
_ON_BED = re.compile(r"\b(?:on|onto|into)\s+(?:the\s+)?bed\b", re.IGNORECASE)
_ON_FLOOR = re.compile(r"\b(?:ground|floor)\b", re.IGNORECASE)
_FALL_WORD = re.compile(r"\bfall(?:ing|s)?\b", re.IGNORECASE)


def gmdcsa24_labels(text: str) -> dict[int, tuple[str, str]]:
    """Clip number → (description, classes) from a `Subject_N-{ADL,Fall}.csv` text."""
    labels = {}
    for row in csv.reader(io.StringIO(text)):
        number = re.match(r"\s*(\d+)\.mp4", row[0]) if row else None
        if number is not None and len(row) >= 6:
            labels[int(number.group(1))] = (row[4].strip(), ",".join(row[5:]).strip())
    return labels


def fall_start(classes: str) -> float | None:
    """Start of the earliest fall span in a classes cell (a clip may list two, e.g. backward then sideways)."""
    starts = [float(match.group(1)) for match in _FALL_SPAN.finditer(classes)]
    return min(starts) if starts else None


def lands_on_bed(description: str) -> bool:
    """Whether the fall described ends on the bed: the last place named after the word "fall".

    "Falling backward on the bed" does; "Writing while sitting on the bed; then falling on the ground" and
    "Falling from bed to ground" do not (the first is why "on the bed" anywhere in the text is not enough).
    """
    parts = _FALL_WORD.split(description, maxsplit=1)
    after = parts[-1]
    places = [(m.start(), True) for m in _ON_BED.finditer(after)]
    places += [(m.start(), False) for m in _ON_FLOOR.finditer(after)]
    return max(places)[1] if places else False


def gmdcsa24_clips(root: Path) -> list[FallClip]:
    """The GMDCSA24 clips in `root` that have a label row."""
    clips = []
    for video in sorted(root.glob("Subject_*-*-*.mp4")):
        match = re.fullmatch(r"(Subject_\d+)-(ADL|Fall)-(\d+)\.mp4", video.name)
        labels_path = root / f"{match.group(1)}-{match.group(2)}.csv" if match else None
        if match is None or labels_path is None or not labels_path.is_file():
            continue
        row = gmdcsa24_labels(labels_path.read_text(encoding="utf-8-sig", errors="replace")).get(int(match.group(3)))
        if row is None:
            continue
        description, classes = row
        start = fall_start(classes) if match.group(2) == "Fall" else None
        at = start if start is not None and not lands_on_bed(description) else None
        clips.append(FallClip(video, f"gmdcsa24/{match.group(1)}", at, f"{description} | {classes}"))
    return clips


# Le2i -------------------------------------------------------------------------------------------------------

def le2i_fall_frames(text: str) -> tuple[int, int] | None:
    """(first, last) frame of the fall from an annotation file's first two lines; None for 0, 0 (no fall)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first, last = int(lines[0]), int(lines[1])
    return None if first == last == 0 else (first, last)


def le2i_boxes(text: str) -> dict[int, tuple[int, int, int, int]]:
    """Frame (1-based) → the person's box x1, y1, x2, y2 in video pixels; frames out of view are left out."""
    boxes = {}
    for line in text.splitlines()[2:]:
        fields = line.strip().split(",")
        if len(fields) == 6 and all(f.strip().lstrip("-").isdigit() for f in fields):
            frame, _code, x1, y1, x2, y2 = (int(f) for f in fields)
            if (x1, y1, x2, y2) != (0, 0, 0, 0):
                boxes[frame] = (x1, y1, x2, y2)
    return boxes


def le2i_clips(home: Path) -> list[FallClip]:
    """Le2i clips with a video and an annotation (in the shared copy videos 3, 9 and 10 are missing).

    Every fall here ends at floor level: onto the bare floor, or onto a mattress lying flat on the floor (a
    folded duvet on a thin mat, a few cm high); looked at in every clip's last frames. Clips 8 and 11 have the
    person get up after about 3 s down, which still is a fall to the floor.
    """
    clips = []
    for video in sorted((home / "Videos").glob("video (*).mp4")):
        match = re.fullmatch(r"video \((\d+)\)\.mp4", video.name)
        annotation = home / "Annotation_files" / f"{video.stem}.txt"
        if match is None or not annotation.is_file():
            continue
        number = int(match.group(1))
        frames = le2i_fall_frames(annotation.read_text(encoding="utf-8", errors="replace"))
        # Annotation frame n (1-based) is video frame n - 1, at 25 fps (see LE2I_SOURCE_FPS).
        at = (frames[0] - 1) / LE2I_SOURCE_FPS if frames else None
        said = f"fall from frame {frames[0]} to {frames[1]} (25 fps)" if frames else "no fall (0, 0)"
        clips.append(FallClip(video, "le2i/Home_01", at, said, _LE2I_VIEWS.get(number, "")))
    return clips


# UR Fall ----------------------------------------------------------------------------------------------------

def urfd_fall_frames(text: str) -> dict[str, int]:
    """Sequence → first frame (1-based) labelled 0 (falling) in `urfall-cam0-falls.csv`."""
    first: dict[str, int] = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 3 and row[2].strip() == "0" and row[1].strip().isdigit():
            first[row[0].strip()] = min(first.get(row[0].strip(), 1 << 30), int(row[1]))
    return first


def urfd_clips(root: Path) -> list[FallClip]:
    """UR Fall's cam0 sequences: each a fall to the floor (the labels give 30 frames, 1 s, of falling each)."""
    labels = root / "urfall-cam0-falls.csv"
    starts = urfd_fall_frames(labels.read_text(encoding="utf-8", errors="replace")) if labels.is_file() else {}
    clips = []
    for video in sorted(root.glob("fall-*-cam0-rgb.mp4")):
        sequence = video.name.removesuffix("-cam0-rgb.mp4")
        if sequence not in starts:
            continue
        frame = starts[sequence]
        at = (frame - 1) / video_fps(video)
        clips.append(FallClip(video, "urfd/cam0", at, f"falling from frame {frame}, then lying"))
    return clips


# Playback and variants --------------------------------------------------------------------------------------

def clip_fps(clip: FallClip) -> float:
    """Frames per second of the clip's own clock (Le2i: the 25 fps source; the others: as the file says)."""
    return LE2I_SOURCE_FPS if clip.room.startswith("le2i/") else video_fps(clip.path)


def clip_frames(
    clip: FallClip, variant: Variant = "as_is", *, fps: float = 10.0, extend_s: float = 10.0, seed: int = 0
) -> Iterator[tuple[float, Pixels]]:
    """(clip time in s, BGR frame) at about `fps`, in the variant, then `extend_s` s of the clip's last second.

    Frames are skipped as latest-frame-wins capture would: every round(clip fps / fps)-th. The extension plays
    the last second's frames back and forth (ping-pong) with fresh σ=2 sensor noise each frame, so a rule that
    needs a few seconds of someone lying still can fire on clips that end 2 s after the fall; time keeps
    increasing through it. Noise (of the extension and of the variant) is deterministic from `seed`.
    """
    rate = clip_fps(clip)
    step = max(1, round(rate / fps))
    rng = np.random.default_rng(seed)
    last: deque[Pixels] = deque(maxlen=max(1, round(rate / step)))
    index = -1
    shown = -1
    for index, frame in enumerate(read_frames(clip.path)):
        if index % step:
            continue
        last.append(frame)
        shown = index
        yield index / rate, apply_variant(frame, variant, rng)
    if shown < 0:
        return
    end = (index + 1) / rate + extend_s
    held = list(last)
    for k in itertools.count(1):
        at = (shown + k * step) / rate
        if at >= end - 1e-9:  # [clip end, clip end + extend_s)
            return
        noisy = _add_noise(held[_ping_pong(len(held), k)], EXTENSION_NOISE, rng)
        yield at, apply_variant(noisy, variant, rng)


def _ping_pong(n: int, k: int) -> int:
    """Index of the k-th frame after the last of n, playing them backwards, then forwards, and so on."""
    if n == 1:
        return 0
    period = 2 * (n - 1)
    q = (n - 1 + k) % period
    return q if q < n else period - q


def _add_noise(frame: Pixels, sigma: float, rng: np.random.Generator) -> Pixels:
    noise = rng.standard_normal(frame.shape, dtype=np.float32)
    noise *= sigma
    return _saturate(cv2.add(frame, noise, dtype=cv2.CV_8U))


def _saturate(array: npt.NDArray[np.generic]) -> Pixels:
    return np.asarray(array, dtype=np.uint8)


def apply_variant(frame: Pixels, variant: Variant, rng: np.random.Generator) -> Pixels:
    """The frame as the variant's camera would see it."""
    if variant == "as_is":
        return frame
    if variant == "dark":
        return darken(frame, rng)
    if variant == "ir":
        return infrared(frame, rng)
    if variant == "portrait":
        return portrait(frame)
    raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")


def darken(frame: Pixels, rng: np.random.Generator) -> Pixels:
    """A dim room on a cheap small sensor: 30 % of the light, a soft lens, and sensor noise.

    Values are multiplied by 0.3 (the files are gamma-encoded; "linear-ish" is close enough for a detector),
    blurred a little (3x3 Gaussian, σ 0.8: a small lens at full aperture), then noise is added: luma noise σ 3.8
    per pixel, the same on all three channels, plus weaker chroma noise (σ 1.5 drawn at half resolution: sensor
    chroma noise is blotchy after demosaicing) — about σ 4 per channel, mostly in brightness. Measured mean
    luma of a daylit clip: le2i-video(22) 85 → 26, urfd-fall-01 133 → 40, Subject_1-Fall-14 125 → 38.
    """
    h, w = frame.shape[:2]
    dim = cv2.convertScaleAbs(cv2.GaussianBlur(frame, (3, 3), 0.8), alpha=0.3)
    luma = rng.standard_normal((h, w), dtype=np.float32)
    luma *= 3.8
    chroma = rng.standard_normal(((h + 1) // 2, (w + 1) // 2, 3), dtype=np.float32)
    chroma *= 1.5
    noise = np.asarray(cv2.resize(chroma, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.float32)
    noise += luma[:, :, None]
    return _saturate(cv2.add(dim, noise, dtype=cv2.CV_8U))


@lru_cache(maxsize=16)
def _ir_gain(h: int, w: int) -> npt.NDArray[np.float32]:
    """Vignette of an IR night camera: its illuminator lights the middle; the corners get about half."""
    y = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    x = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    return np.asarray(1.0 - 0.45 * (x * x + y * y) / 2.0, dtype=np.float32)


def infrared(frame: Pixels, rng: np.random.Generator) -> Pixels:
    """An IR-lit night picture: grey, low contrast, a vignette, soft and noisy.

    The frame is converted to one grey channel (IR has no colour; clothes and skin come out in similar greys),
    its contrast is squeezed to 45 % around a lifted black (grey 45 + 0.45 × grey: IR light fills shadows but
    the picture is flat), multiplied by a radial vignette (1 in the middle, 0.55 in the corners), softened
    (3x3 Gaussian) and given σ 3 noise, then copied back to three identical channels, as the node would get
    from an IR camera delivering BGR. Measured mean luma: le2i-video(22) 70, urfd-fall-01 89.
    """
    h, w = frame.shape[:2]
    grey = cv2.GaussianBlur(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), (3, 3), 0.8).astype(np.float32)
    grey *= 0.45
    grey += 45.0
    grey *= _ir_gain(h, w)
    noise = rng.standard_normal((h, w), dtype=np.float32)
    noise *= 3.0
    grey += noise
    out = _saturate(np.clip(grey, 0, 255))
    return _saturate(cv2.cvtColor(out, cv2.COLOR_GRAY2BGR))


def portrait_span(height: int, width: int) -> tuple[int, int]:
    """Columns [x0, x1) of the centred 9:16 portrait crop (width round(height × 9/16)); all of a narrower view."""
    crop = min(width, round(height * 9 / 16))
    x0 = (width - crop) // 2
    return x0, x0 + crop


def portrait(frame: Pixels) -> Pixels:
    """A camera mounted upright: the centred 9:16 crop of the view at full height (so no resize, no stretch).

    It is cropped centred even where that cuts the floor zone: a real portrait camera is simply placed there.
    How much of the 62 floor falls it keeps, judged from Le2i's per-frame boxes (the second after the fall) and by
    eye on the last frames of the others: the fallen person ends with under half of the lying box in the crop in
    1 clip (le2i-video(30), 38 %) and with about half in 4 (le2i-video(29), 51 %; Subject_1-Fall-15,
    Subject_2-Fall-12 and Subject_2-Fall-13, each with the head outside). The other Le2i clips keep 55-100 % (the
    sofa-view falls lie across the crop's edge), and UR Fall keeps most of every body, with the head outside in
    6 (02, 04, 08, 09, 22, 24).
    """
    x0, x1 = portrait_span(*frame.shape[:2])
    return np.ascontiguousarray(frame[:, x0:x1])


def variant_zones(
    zones: tuple[ZoneSettings, ...], variant: Variant, shape: tuple[int, ...]
) -> tuple[ZoneSettings, ...]:
    """The zones in the variant's view of a clip whose own frames have `shape` (h, w, ...): only portrait
    changes the view. `shape` is the clip's frame before the variant (`clip_shape`): a portrait frame has lost
    the width the crop came from, so a portrait `shape` is refused rather than silently left uncropped.

    Portrait: polygons are mapped to the crop and clipped to it; zones left (nearly) empty are dropped.
    """
    if variant != "portrait":
        return zones
    height, width = shape[0], shape[1]
    if width < height:
        raise ValueError(f"variant_zones needs the clip's own frame shape, not the portrait one: got {shape}")
    x0, x1 = portrait_span(height, width)
    if (x0, x1) == (0, width):
        return zones
    scale, offset = width / (x1 - x0), x0 / (x1 - x0)
    out = []
    for zone in zones:
        moved = [(x * scale - offset, y) for x, y in zone.polygon]
        clipped = _tidy(_clip_x(_clip_x(moved, 0.0, keep_above=True), 1.0, keep_above=False))
        if len(clipped) >= 3 and polygon_problem(clipped) is None:
            out.append(zone.model_copy(update={"polygon": tuple(clipped)}))
    return tuple(out)


def clip_shape(clip: FallClip) -> tuple[int, int]:
    """(height, width) of the clip's own frames."""
    capture = cv2.VideoCapture(str(clip.path))
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    finally:
        capture.release()


def clip_zones(clip: FallClip, variant: Variant = "as_is") -> tuple[ZoneSettings, ...]:
    """The zones drawn for the clip's camera, in the variant's view."""
    return variant_zones(ROOM_ZONES[clip.camera], variant, clip_shape(clip))


def _clip_x(points: list[Point], edge: float, *, keep_above: bool) -> list[Point]:
    """Sutherland-Hodgman against one vertical edge: keep x ≥ edge (or ≤ edge)."""
    def inside(p: Point) -> bool:
        return p[0] >= edge if keep_above else p[0] <= edge

    out: list[Point] = []
    for i, current in enumerate(points):
        previous = points[i - 1]
        if inside(current) != inside(previous):
            t = (edge - previous[0]) / (current[0] - previous[0])
            out.append((edge, previous[1] + t * (current[1] - previous[1])))
        if inside(current):
            out.append(current)
    return out


def _tidy(points: list[Point]) -> list[Point]:
    """Rounded corners without repeats or corners on a straight line (clipping leaves both along the edge)."""
    tidy = [(min(1.0, max(0.0, round(x, 4))), min(1.0, max(0.0, round(y, 4)))) for x, y in points]
    changed = True
    while changed and len(tidy) >= 3:
        changed = False
        for i in range(len(tidy)):
            a, b, c = tidy[i - 1], tidy[i], tidy[(i + 1) % len(tidy)]
            if b == a or abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])) < 1e-9:
                del tidy[i]
                changed = True
                break
    return tidy


def main() -> int:
    """Print what is on this machine: clips per room, floor falls, and the README's count to check against."""
    clips = fall_clips()
    if not clips:
        print("no shared footage on this machine (../shared/data)")
        return 0
    for room in sorted({clip.room for clip in clips}):
        mine = [clip for clip in clips if clip.room == room]
        falls = sum(clip.fall_at is not None for clip in mine)
        cameras = ", ".join(sorted({clip.camera for clip in mine}))
        print(f"{room:20s} {len(mine):3d} clips, {falls:3d} floor falls, {len(mine) - falls:3d} without ({cameras})")
    falls = sum(clip.fall_at is not None for clip in clips)
    rooms = len({clip.room for clip in clips if clip.fall_at is not None})
    print(f"{falls} floor falls in {rooms} rooms (the shared data README says 62 in four)")
    return 0 if (falls, rooms) == (62, 4) else 1


if __name__ == "__main__":
    raise SystemExit(main())
