#!/usr/bin/env bash
# Tests the Java binding (bindings/java): builds the JNI library (crate mlflow-jni), bundles it
# into the jar's resources for linux-x86_64, runs the JUnit 5 suite through Maven (API, MLflow
# 3.17.2 interop through .venv, many threads, native loading, the model registry and log_model
# loaded by mlflow.pyfunc, the examples), then runs the examples and a short benchmark smoke from
# the packaged jar, as a user would.
#
# Maven output goes to target/java (next to cargo's), the bundled library to target/java-native.
# Extra Maven arguments: MAVEN_ARGS (e.g. MAVEN_ARGS=-o to stay offline with a warm ~/.m2).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in java mvn cargo; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "error: $tool not found; run scripts/install-deps.sh (Debian packages: scripts/apt-packages.txt)" >&2
    exit 1
  }
done
scripts/setup-venv.sh

scripts/build-java-native.sh

echo "==> mvn package (JUnit 5)"
mkdir -p target/java
log=target/java/mvn-test.log
# shellcheck disable=SC2086 # MAVEN_ARGS is a list of words
if (cd bindings/java && mvn -B -ntp -Dstyle.color=never ${MAVEN_ARGS:-} package) >"$log" 2>&1; then
  grep -E '^\[(INFO|WARNING|ERROR)\] (Tests run|BUILD)' "$log" || true
else
  tail -n 150 "$log"
  echo "java: the Maven build or its tests failed (full log: $log, reports: target/java/surefire-reports)" >&2
  exit 1
fi
jar=target/java/libmlflow-0.1.0.jar

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "==> example from the packaged jar: examples/java/TrainingLoop.java"
(cd "$work" && java -cp "$OLDPWD/$jar" "$OLDPWD/examples/java/TrainingLoop.java" "sqlite:///$work/example.db")
echo "==> example from the packaged jar: examples/java/LogModel.java (ONNX model, registered, alias champion)"
(cd "$work" && java -cp "$OLDPWD/$jar" "$OLDPWD/examples/java/LogModel.java" "sqlite:///$work/models.db" java-linear)
echo "==> benchmark smoke: bindings/java/bench/LogMetricBench.java (20000 calls)"
java -cp "$jar" bindings/java/bench/LogMetricBench.java "$work/bench.db" 20000 100000 2
echo "java: all passed"
