"""The RTSP test camera itself: plain OpenCV gets frames with the right password and none with a wrong one, and the
camera comes back on the same port after a restart (what the fault tests rely on)."""

from __future__ import annotations

import cv2
import pytest

from benchmarks.rtsp_camera import RtspCamera


def _frames(url: str, count: int) -> list[tuple[int, int]]:
    cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 5000])
    try:
        shapes = []
        for _ in range(count if cap.isOpened() else 0):
            ok, frame = cap.read()
            if ok:
                shapes.append(frame.shape[:2])
        return shapes
    finally:
        cap.release()


def test_serves_frames_only_with_the_right_password_and_survives_a_restart(
    rtsp_camera: RtspCamera, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
    assert _frames(rtsp_camera.url(), 5) == [(240, 320)] * 5
    assert _frames(rtsp_camera.url(password="fel"), 5) == []
    rtsp_camera.stop()
    assert _frames(rtsp_camera.url(), 1) == []
    rtsp_camera.start()
    assert _frames(rtsp_camera.url(), 2) == [(240, 320)] * 2
