#!/usr/bin/env bash
# Installs the object-store emulators the artifact tests start on 127.0.0.1 (tests/interop/object_stores.py):
#   - Azurite (Azure Blob), pinned in tests/object_stores/package-lock.json, with `npm ci` into
#     tests/object_stores/node_modules;
#   - fake-gcs-server (GCS), a Go module at a pinned tag, with `go install` into .tools/bin.
# moto (S3) is a Python package: scripts/setup-venv.sh installs it from scripts/requirements-dev.txt.
# Re-running is cheap: each part is redone only when its pin changed since the last successful install.
set -euo pipefail
cd "$(dirname "$0")/.."

FAKE_GCS_SERVER_MODULE=github.com/fsouza/fake-gcs-server
# Its go.mod says `go 1.26`: an older go (1.21+) fetches that toolchain itself (GOTOOLCHAIN=auto).
FAKE_GCS_SERVER_VERSION=v1.56.1

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "error: '$1' not found; $2" >&2
    exit 1
  }
}

# ---- Azurite (npm) ------------------------------------------------------------------------------
npm_dir=tests/object_stores
npm_stamp=$npm_dir/node_modules/.package-lock-installed
if [ ! -f "$npm_stamp" ] || ! cmp -s "$npm_dir/package-lock.json" "$npm_stamp"; then
  need npm "install Node.js 20 or newer with npm (Debian 13: nodejs npm; Debian 12 ships 18: use NodeSource)"
  # Azurite's Azure SDK dependencies (as locked) declare node >=20.
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 20 ]; then
    echo "error: Azurite needs Node.js 20 or newer, found $(node --version)" >&2
    exit 1
  fi
  echo "==> installing Azurite from $npm_dir/package-lock.json"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$npm_dir/package-lock.json" "$npm_stamp"
fi

# ---- fake-gcs-server (Go) -----------------------------------------------------------------------
bin_dir=$PWD/.tools/bin
gcs_stamp=$bin_dir/.fake-gcs-server-version
if [ ! -x "$bin_dir/fake-gcs-server" ] || [ "$(cat "$gcs_stamp" 2>/dev/null)" != "$FAKE_GCS_SERVER_VERSION" ]; then
  need go "install Go 1.21 or newer (https://go.dev/doc/install); it fetches the Go version fake-gcs-server needs"
  echo "==> building fake-gcs-server $FAKE_GCS_SERVER_VERSION into .tools/bin"
  mkdir -p "$bin_dir"
  GOBIN=$bin_dir GOTOOLCHAIN=auto GOFLAGS=-buildvcs=false go install "$FAKE_GCS_SERVER_MODULE@$FAKE_GCS_SERVER_VERSION"
  echo "$FAKE_GCS_SERVER_VERSION" >"$gcs_stamp"
fi
