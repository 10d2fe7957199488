#!/usr/bin/env bash
# What the tests need beyond the virtualenv: Debian's chromium (browser tests), a
# redis-server binary (tests start private servers they can stop and restart), and
# GStreamer's RTSP server with H.264/H.265 encoders (a real IP camera on loopback:
# benchmarks/rtsp_camera.py; the frame benchmark encodes its clips with gst-launch-1.0).
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -f /usr/share/doc/opencv-doc/examples/data/vtest.avi ] || need+=(opencv-doc)
rtsp=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-tools gstreamer1.0-plugins-base
      gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad)
have_rtsp=yes
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer", "1.0")' >/dev/null 2>&1 || have_rtsp=no
for element in x264enc x265enc h264parse h265parse rtph264pay rtph265pay qtdemux mp4mux rawvideoparse videotestsrc; do
  gst-inspect-1.0 "$element" >/dev/null 2>&1 || have_rtsp=no
done
[ "$have_rtsp" = yes ] || need+=("${rtsp[@]}")

if [ ${#need[@]} -gt 0 ]; then
  echo "installing test dependencies: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
