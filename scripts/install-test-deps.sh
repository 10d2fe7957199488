#!/usr/bin/env bash
# What the tests need beyond the virtualenv: Debian's chromium (browser tests) and a
# redis-server binary (tests start private servers they can stop and restart).
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -f /usr/share/doc/opencv-doc/examples/data/vtest.avi ] || need+=(opencv-doc)

if [ ${#need[@]} -gt 0 ]; then
  echo "installing test dependencies: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
