// Header hygiene, second translation unit (see header_hygiene_a.cpp).
#include <mlflow.h>
#include <mlflow/mlflow.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

std::string_view hygiene_version_b();
void hygiene_artifact_calls(const mlflow::Client& client);

std::string_view hygiene_version_b() {
  (void)mlflow::detail::python_float_string(1.0);
  return mlflow::version();
}

// Never called: compiles every artifact call and template instantiation under the strict warnings.
void hygiene_artifact_calls(const mlflow::Client& client) {
  const std::vector<std::uint8_t> u8{1, 2};
  const std::vector<std::byte> bytes{std::byte{3}};
  const std::array<char, 2> chars{{'a', 'b'}};
  client.log_bytes("run", u8, "u8.bin");
  client.log_bytes("run", bytes, "bytes.bin");
  client.log_bytes("run", chars, "chars.bin");
  client.log_bytes("run", std::string("text"), "string.bin");
  client.log_bytes("run", "literal", "literal.bin");
  client.log_text("run", "text", "t.txt");
  client.log_artifact("run", std::filesystem::path("f"), "dir", [](std::uint64_t, std::uint64_t) {});
  client.log_artifact("run", std::string("f"));
  client.log_artifacts("run", "d", {}, mlflow::Progress());
  for (const mlflow::FileInfo& f : client.list_artifacts("run")) (void)f.file_size.value_or(0);
  (void)client.download_artifacts({"run", "", "", "dst"}, [](std::uint64_t, std::uint64_t) {});
}

void hygiene_project_calls(const mlflow::Client& client);

// Never called: compiles the MLflow Projects calls and the parameter templates under the strict warnings.
void hygiene_project_calls(const mlflow::Client& client) {
  mlflow::ProjectRunOptions options;
  options.parameter("f", 0.25).parameter("i", 3).parameter("u", 7u).parameter("b", true).parameter("s", "x");
  try {
    mlflow::SubmittedRun run = client.run_project("project", options);
    const mlflow::SubmittedRun moved = std::move(run);
    (void)moved.wait_for(std::chrono::seconds(1));
    if (moved.get_status() == mlflow::RunStatus::Running) (void)moved.cancel();
    (void)moved.wait();
  } catch (const mlflow::ProjectRunFailed& e) {
    (void)e.run_id();
    (void)e.run_status();
  }
}
