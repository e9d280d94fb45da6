#!/usr/bin/env bash
# Runs every test of libmlflow on a fresh machine: installs what the tests need, then
#   rust     cargo tests of the core and the C ABI (incl. the committed-header check), clippy, fmt
#   cpp      C and C++ tests through ctest (GoogleTest), the C/C++/Rust examples, the installed package,
#            valgrind
#   interop  pytest against the real MLflow 3.17.2 (its Python API and `mlflow server`) over the C ABI
#   python   the uniffi/maturin wheel (bindings/python): pytest incl. interop with MLflow 3.17.2
#   java     the Maven library (bindings/java): JUnit 5 incl. interop, examples/java
#   spark    a local-mode Spark 3.5 job (examples/java/spark) whose tasks log through libmlflow
#   r        R CMD check of bindings/r (testthat incl. interop, Rd examples), examples/r/train.R
# and ends with one summary line. .ci/run calls exactly this script.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh || exit 1

passed=0
failed=0
failed_names=()
run_suite() {
  local name=$1
  shift
  local start=$SECONDS
  echo "==> [$name] $*"
  if "$@"; then
    passed=$((passed + 1))
    echo "==> [$name] passed in $((SECONDS - start)) s"
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    echo "==> [$name] FAILED after $((SECONDS - start)) s"
  fi
}

rust_checks() {
  # Some Rust tests check what the core writes with MLflow's own Python (PyYAML, pyfunc loading):
  # the venv comes first, so they run instead of skipping.
  scripts/setup-venv.sh &&
    cargo fmt --all -- --check &&
    cargo clippy --workspace --all-targets --locked -q -- -D warnings &&
    CI=1 cargo test --workspace --locked
}

run_suite rust rust_checks
run_suite build cargo build --release --locked -p mlflow-ffi
run_suite cpp scripts/test-cpp.sh
run_suite interop scripts/test-interop.sh
run_suite python scripts/test-python.sh
run_suite java scripts/test-java.sh
run_suite spark scripts/test-spark.sh
run_suite r scripts/test-r.sh

if ((failed)); then
  echo "failed suites: ${failed_names[*]}"
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
