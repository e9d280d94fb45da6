#!/usr/bin/env bash
# The C and C++ suite of libmlflow:
#   1. builds libmlflow (cargo, release) and, with CMake + Ninja, the examples and the tests;
#   2. compiles the C++ header alone under strict warnings (C++17/20, g++ and clang++ if present);
#   3. runs ctest: GoogleTest tests of the C ABI and the C++ layer (tracking, artifacts, model
#      registry, save_model/log_model, MLflow projects — run_project on examples/projects, read back
#      with MLflow's Python client —, bad input), a plain C11 test of the header, and the C++ layer
#      against a real `mlflow server` on 127.0.0.1 (online, offline + sync, dead server, artifacts
#      through its proxy, the registry and log_model; one server for them all, from .venv, with
#      --serve-artifacts, started and stopped by ctest fixtures); artifact interop with MLflow's Python
#      client; model interop: the C++ model example's ONNX model, loaded by `mlflow.pyfunc.load_model`
#      through its alias, predicts what the C++ code computed;
#   4. runs the C, C++ and Rust examples (each logs a training loop to ./mlflow.db of a temp dir and
#      a summary.txt artifact to ./mlruns) and the C++ model example (an ONNX model logged, registered
#      and given the alias champion in ./mlflow.db);
#   5. installs the package to a temporary prefix and builds a small out-of-tree consumer with
#      find_package(mlflow) (shared and static) and with pkg-config, and runs each;
#   6. runs the tests and the C++ example under valgrind: no leak, no memory error.
# Needs what scripts/install-deps.sh installs. Prints ctest's summary and one final line.
# Environment: MLFLOW_TEST_NO_MOUNT=1 skips the read-only-directory test when running as root
# without permission to mount (it is otherwise a failure); CPP_BUILD_DIR (default build/cpp).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS
build=${CPP_BUILD_DIR:-$root/build/cpp}
work=$(mktemp -d "${TMPDIR:-/tmp}/mlflow-test-cpp.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { echo "==> [cpp $((SECONDS - start)) s] $*"; }
# The examples must use their default store (./mlflow.db); the tests choose theirs explicitly.
unset MLFLOW_TRACKING_URI MLFLOW_EXPERIMENT_NAME MLFLOW_EXPERIMENT_ID MLFLOW_RUN_ID LIBMLFLOW_OFFLINE LIBMLFLOW_SPOOL_DIR

# The tracking-server tests (tests/cpp/cpp_tracking_server_test.cpp) run the reference `mlflow server`
# from .venv, started and stopped by ctest fixtures (scripts/mlflow-test-server.sh).
step "scripts/setup-venv.sh (mlflow server for the tracking-server tests)"
scripts/setup-venv.sh

step "cargo build --release --locked -p mlflow-ffi"
cargo build --release --locked -p mlflow-ffi

step "cmake configure + build ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLFLOW_CARGO_BUILD=ON >"$work/configure.log" ||
  { cat "$work/configure.log"; exit 1; }
cmake --build "$build"

step "the C++ header alone: strict warnings, C++17 and C++20, g++ and (when installed) clang++"
strict=(-Wall -Wextra -Werror -pedantic -Wconversion -Wsign-conversion -Wshadow -Wold-style-cast -Wnon-virtual-dtor)
compilers=(g++)
if command -v clang++ >/dev/null 2>&1; then compilers+=(clang++); else echo "(clang++ not installed: skipped)"; fi
for cxx in "${compilers[@]}"; do
  for std in c++17 c++20; do
    echo '#include <mlflow/mlflow.hpp>' |
      "$cxx" -std="$std" "${strict[@]}" -Iinclude -Ibindings/cpp -x c++ -fsyntax-only -
  done
done

step "ctest"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" --timeout 300

# Each example must run cleanly, write ./mlflow.db where it runs, and say how to open it.
run_example() {
  local name=$1 binary=$2 dir="$work/example-$1"
  mkdir -p "$dir"
  (cd "$dir" && "$binary") | tee "$dir/out.txt"
  grep -q "open it with: mlflow ui --backend-store-uri sqlite:///mlflow.db" "$dir/out.txt"
  grep -q "(0 dropped, 0 unwritten, 0 failed)" "$dir/out.txt"
  [ -s "$dir/mlflow.db" ] || { echo "$name wrote no ./mlflow.db" >&2; exit 1; }
  # ... and its text summary as an artifact where MLflow keeps them (./mlruns/<exp>/<run>/artifacts).
  grep -q "^y = .* after 300 epochs$" "$dir"/mlruns/*/*/artifacts/summary.txt ||
    { echo "$name logged no artifact summary.txt under ./mlruns" >&2; exit 1; }
}
step "examples (C, C++, Rust)"
run_example c "$build/examples/train_c"
run_example cpp "$build/examples/train_cpp"
cargo build --release --locked -q -p mlflow-core --example train
run_example rust "${CARGO_TARGET_DIR:-$root/target}/release/examples/train"
# The model example: registered in ./mlflow.db, its files under ./mlruns, and the URI to use printed.
mkdir -p "$work/example-log-model"
(cd "$work/example-log-model" && "$build/examples/log_model_cpp") | tee "$work/example-log-model/out.txt"
grep -q "^use it with: models:/libmlflow-linear-regression@champion$" "$work/example-log-model/out.txt"
ls "$work"/example-log-model/mlruns/*/models/m-*/artifacts/model.onnx >/dev/null

step "install to a temporary prefix; out-of-tree consumer with find_package(mlflow)"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in include/mlflow.h include/mlflow/mlflow.hpp lib/libmlflow.so lib/libmlflow.a \
  lib/cmake/mlflow/mlflowConfig.cmake lib/cmake/mlflow/mlflowConfigVersion.cmake lib/pkgconfig/mlflow.pc; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f" >&2; exit 1; }
done
consumer_build="$work/consumer-build"
cmake -S tests/cpp/consumer -B "$consumer_build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >"$work/consumer.log" ||
  { cat "$work/consumer.log"; exit 1; }
cmake --build "$consumer_build"
# The shared consumer names libmlflow.so by its SONAME, not by a build path.
readelf -d "$consumer_build/consumer_cpp" | grep -q 'NEEDED.*\[libmlflow.so\]'
if readelf -d "$consumer_build/consumer_cpp_static" | grep -q 'libmlflow'; then
  echo "consumer_cpp_static depends on libmlflow.so" >&2
  exit 1
fi
for program in consumer_cpp consumer_c consumer_cpp_static; do
  "$consumer_build/$program" "sqlite:///$work/consumer-$program.db"
done
# A version this package does not satisfy is refused by find_package (0.x: same minor only).
mkdir -p "$work/consumer-wrong-version"
cp tests/cpp/consumer/consumer.c tests/cpp/consumer/consumer.cpp "$work/consumer-wrong-version/"
sed 's/find_package(mlflow 0.1 REQUIRED)/find_package(mlflow 0.2 REQUIRED)/' tests/cpp/consumer/CMakeLists.txt \
  >"$work/consumer-wrong-version/CMakeLists.txt"
if cmake -S "$work/consumer-wrong-version" -B "$work/consumer-wrong-version/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/wrong-version.log" 2>&1; then
  echo "find_package(mlflow 0.2) accepted version $(pkg-config --modversion mlflow 2>/dev/null || echo 0.1)" >&2
  exit 1
fi
grep -q "not accepted" "$work/wrong-version.log"

step "pkg-config consumer"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion mlflow)" = "$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" ]
libdir=$(pkg-config --variable=libdir mlflow)
# shellcheck disable=SC2046 # word splitting of the flags is intended
cc -std=c11 -Wall -Wextra -Werror -pedantic tests/cpp/consumer/consumer.c -o "$work/pc_consumer_c" \
  $(pkg-config --cflags --libs mlflow) -Wl,-rpath,"$libdir"
# shellcheck disable=SC2046
c++ -std=c++17 -Wall -Wextra -Werror -pedantic tests/cpp/consumer/consumer.cpp -o "$work/pc_consumer_cpp" \
  $(pkg-config --cflags --libs mlflow) -Wl,-rpath,"$libdir"
"$work/pc_consumer_c" "sqlite:///$work/pc-c.db"
"$work/pc_consumer_cpp" "sqlite:///$work/pc-cpp.db"

step "valgrind: the C/C++ tests and the C++ example, no leaks and no memory errors"
valgrind_check() {
  valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --suppressions="$root/tests/cpp/valgrind.supp" \
    --error-exitcode=99 "$@"
}
# The project tests (CppProjects.*) run under it too: their entry points are children valgrind does not trace.
# The artifact and model interop tests spend their time in MLflow's Python (not traced by valgrind);
# their C++ side is the same code the other artifact tests and the model example (below) run.
valgrind_check "$build/tests/cpp/mlflow_cpp_tests" --gtest_brief=1 \
  --gtest_filter='-CppArtifactsInterop.*:CppModelInterop.*'
valgrind_check "$build/tests/cpp/mlflow_c_header_test"
mkdir -p "$work/valgrind-example" "$work/valgrind-log-model"
(cd "$work/valgrind-example" && valgrind_check "$build/examples/train_cpp" >/dev/null)
(cd "$work/valgrind-log-model" && valgrind_check "$build/examples/log_model_cpp" >/dev/null)

echo "cpp: all passed in $((SECONDS - start)) s" \
  "(ctest, examples C/C++/Rust + C++ model example, find_package + pkg-config consumers, valgrind)"
