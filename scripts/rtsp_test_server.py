#!/usr/bin/python3
"""A real RTSP camera stand-in for tests and benchmarks: GStreamer's RTSP server (Debian's python3-gi).

Runs under the system Python (python3-gi is not in the virtualenv). It checks a user and password when given one
(a wrong-password test needs a server that refuses), serves several clients from one shared pipeline (the node and
`nattvakt node --check-source` at once), and changes resolution mid-stream on SIGUSR1, as a camera does when its
stream profile is edited. A stalled camera is SIGSTOP from the outside; a reboot is a kill and a new process.

    rtsp_test_server.py --port 8554 [--path /cam] [--user U --password P] [--size 320x240] [--alt-size 640x360]
                        [--digest] [--fps 15] [--codec h264|h265] [--clip FILE.mp4]

`--clip` serves an already H.264-encoded MP4 without re-encoding (benchmarks: the server must not eat the CPU the
node's decoder is measured on). Prints `ready rtsp://127.0.0.1:PORT/PATH` once it listens.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

ENCODERS = {
    "h264": "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate=800 ! h264parse"
            " ! rtph264pay name=pay0 pt=96 config-interval=-1",
    "h265": "x265enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate=800 ! h265parse"
            " ! rtph265pay name=pay0 pt=96 config-interval=-1",
}


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def _launch(args: argparse.Namespace) -> str:
    if args.clip:
        return f"( filesrc location={args.clip} ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    width, height = args.size
    # A scrolling test card: every frame differs (never "frozen") and is neither dark nor flat.
    return (
        f"( videotestsrc is-live=true pattern=smpte horizontal-speed=3 ! video/x-raw,framerate={args.fps}/1"
        f" ! videoscale ! capsfilter name=size caps=video/x-raw,width={width},height={height}"
        f" ! videoconvert ! video/x-raw,format=I420 ! {ENCODERS[args.codec].format(gop=args.fps)} )"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--digest", action="store_true", help="Digest authentication (most cameras) instead of Basic")
    parser.add_argument("--size", type=_size, default=(320, 240))
    parser.add_argument("--alt-size", type=_size, default=(480, 360))
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--codec", choices=sorted(ENCODERS), default="h264")
    parser.add_argument("--clip")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(_launch(args))
    factory.set_shared(True)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP)
    sizes = [args.size, args.alt_size]
    filters: list[Gst.Element] = []

    def configured(_factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
        found = media.get_element().get_by_name("size")
        if found is not None:  # shared: one media at a time, a new one once the last client left
            filters[:] = [found]

    factory.connect("media-configure", configured)

    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "camera-user")
        if args.digest:
            auth.add_digest(args.user, args.password or "", token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ""), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role("camera-user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        permissions.add_permission_for_role("camera-user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(permissions)

    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"rtsp_test_server: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1

    def resize() -> bool:
        sizes.reverse()
        width, height = sizes[0]
        for capsfilter in filters:
            capsfilter.set_property("caps", Gst.Caps.from_string(f"video/x-raw,width={width},height={height}"))
        print(f"resized to {width}x{height} ({len(filters)} pipeline(s))", flush=True)
        return True

    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGUSR1, resize)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: loop.quit() or False)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, lambda: loop.quit() or False)
    print(f"ready rtsp://127.0.0.1:{args.port}{args.path}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
