#!/usr/bin/env bash
# Builds the JNI library (crate mlflow-jni) and stages it where the Maven build bundles it into
# the jar (linux-x86_64). Used by test-java.sh and bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
echo "==> cargo build --release --locked -p mlflow-jni"
cargo build --release --locked -q -p mlflow-jni

# The jar carries the library without debug info (26 MB -> a few MB); symbols stay for backtraces.
native_dir=target/java-native/org/libmlflow/native/linux-x86_64
mkdir -p "$native_dir"
strip --strip-debug -o "$native_dir/libmlflow_jni.so.tmp" "$target/release/libmlflow_jni.so"
mv "$native_dir/libmlflow_jni.so.tmp" "$native_dir/libmlflow_jni.so"
