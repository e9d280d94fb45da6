// The model registry's semantics through the C++ layer, as one scenario run against any store:
// the embedded sqlite store (cpp_registry_test.cpp) and a real `mlflow server`
// (cpp_registry_server_test.cpp) must answer it alike.
#ifndef MLFLOW_TESTS_REGISTRY_ROUND_TRIP_HPP
#define MLFLOW_TESTS_REGISTRY_ROUND_TRIP_HPP

#include <mlflow/mlflow.hpp>

#include <string>

namespace support {

/// Registered models named `<prefix>-a` and `<prefix>-b` (which must not exist yet) go through
/// create/get/update/tags/versions/stages/aliases/search/rename/delete with GoogleTest
/// expectations; versions get the source `runs:/<run_id>/model`.
void registry_round_trip(const mlflow::Client& client, const std::string& prefix, const std::string& run_id);

/// Writes a tiny valid ONNX model (y = x·W + b, 2 features) at `path`.
void write_tiny_onnx(const std::string& path);

}  // namespace support

#endif  // MLFLOW_TESTS_REGISTRY_ROUND_TRIP_HPP
