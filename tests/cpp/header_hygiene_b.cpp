// Header hygiene, second translation unit (see header_hygiene_a.cpp).
#include <mlflow.h>
#include <mlflow/mlflow.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
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
