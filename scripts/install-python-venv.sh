#!/usr/bin/env bash
# Debian's system Python ships without ensurepip; install python3-venv, then retry.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}
echo "'$python -m venv' failed; installing Debian's python3-venv"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
$sudo apt-get install -y -qq "python${version}-venv" >/dev/null || $sudo apt-get install -y -qq python3-venv >/dev/null
rm -rf "$venv"
"$python" -m venv "$venv"
