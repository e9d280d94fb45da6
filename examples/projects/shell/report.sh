#!/usr/bin/env bash
# Writes a small report of its arguments to the file OUT and echoes it; fails if INPUT is unreadable.
set -euo pipefail
greeting=$1 scale=$2 repeat=$3 input=$4 source=$5 out=$6

lines=$(wc -l < "$input")  # fails (and so the run) if INPUT is not a readable file
mkdir -p "$(dirname "$out")"
{
  for _ in $(seq "$repeat"); do echo "$greeting"; done
  echo "scale: $scale"
  echo "input: $input ($lines lines)"
  echo "source: $source"
  echo "run: ${MLFLOW_RUN_ID:?MLFLOW_RUN_ID is not set}"
} > "$out"
cat "$out"
