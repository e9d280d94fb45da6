#!/usr/bin/env bash
# Installs what building and testing libmlflow needs on a fresh Debian machine, skipping what is
# already there: the Debian packages listed in scripts/apt-packages.txt. The Rust toolchain comes
# from rustup (Debian's rustc is too old); the Python tools live in ./.venv (setup-venv.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/apt-packages.txt")
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo not found. Install Rust (1.80 or newer) with rustup: https://rustup.rs" >&2
  exit 1
fi
