#!/usr/bin/env bash
# Tests libmlflow from Spark executors (issue 4): builds the Java binding's jar and installs it into
# the local Maven repository, builds examples/java/spark (Spark 3.5 from Maven Central), runs its
# local-mode job -- tasks log a hyper-parameter sweep as runs nested under the driver's parent run,
# through one lazily opened libmlflow client per JVM, into a sqlite:/// store -- and checks with
# MLflow 3.17.2 (.venv) that every task's runs, params and metric points are there as logged.
#
# The first run downloads Spark (~180 MB into ~/.m2). Maven output goes to target/java (the
# binding) and target/java-spark (the example). Extra Maven arguments: MAVEN_ARGS (e.g. -o to stay
# offline with a warm ~/.m2, or -Dmaven.repo.local=DIR).
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

mkdir -p target/java-spark
# Maven logs go to files; the tail of the log is shown when a step fails.
run_mvn() { # <log> <dir> <maven arguments...>
  local log=$1 dir=$2
  shift 2
  # shellcheck disable=SC2086 # MAVEN_ARGS is a list of words
  if ! (cd "$dir" && mvn -B -ntp -Dstyle.color=never ${MAVEN_ARGS:-} "$@") >"$log" 2>&1; then
    tail -n 100 "$log"
    echo "spark: mvn $* in $dir failed (full log: $log)" >&2
    exit 1
  fi
}

echo "==> mvn install (bindings/java, tests skipped: scripts/test-java.sh runs them)"
run_mvn target/java-spark/mvn-install-libmlflow.log bindings/java -Dmaven.test.skip=true install

echo "==> mvn package (examples/java/spark)"
run_mvn target/java-spark/mvn-package.log examples/java/spark package
classpath="target/java-spark/libmlflow-spark-sweep-0.1.0.jar:$(cat target/java-spark/classpath.txt)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "==> spark job (local[2]): examples/java/spark SparkSweep"
# Spark's addresses stay on the loopback interface (and it stops asking which interface to use).
export SPARK_LOCAL_IP=127.0.0.1
# Bounded: the job takes seconds; a hang (e.g. a lost flush) fails the test instead of CI.
timeout 300 java @examples/java/spark/spark-jvm.args -cp "$classpath" \
  org.libmlflow.examples.spark.SparkSweep "sqlite:///$work/mlflow.db" "$work/manifest.json"

echo "==> MLflow 3.17.2 reads the sweep back"
# 8 trials (4 learning rates x 2 L2 penalties) in 4 partitions, 60 epochs: SparkSweep's constants.
.venv/bin/python examples/java/spark/check_sweep.py "$work/mlflow.db" "$work/manifest.json" 8 4 60
echo "spark: all passed"
