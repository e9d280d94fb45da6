// Artifacts between the C++ layer and MLflow 3.17.2's Python client (.venv) on one sqlite store,
// both ways: what C++ logs, `mlflow.artifacts.download_artifacts` fetches byte for byte; what
// `MlflowClient().log_artifact` / `log_text` / `log_dict` store, C++ lists and downloads byte for byte.
#include <mlflow/mlflow.hpp>

#include "support.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace support;

namespace {

std::string binary_content(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 251) & 0xFF);
  return s;
}

class CppArtifactsInterop : public testing::Test {
 protected:
  TempDir dir;
  mlflow::Client client{mlflow::Options().tracking_uri(dir.uri()).artifact_root((dir.path() / "mlruns").string())};
  mlflow::Run run = client.start_run();
  std::string run_id{run.id()};
};

TEST_F(CppArtifactsInterop, MlflowDownloadsWhatCppLoggedByteForByte) {
  write_file(dir.path() / "tree" / "weights.bin", binary_content(300000));
  write_file(dir.path() / "tree" / "nested" / "config.yaml", "lr: 0.01\nname: \"ünï\"\n");
  client.log_artifacts(run_id, dir.path() / "tree", "model");
  client.log_text(run_id, "accuracy 0.93\n", "summary.txt");
  client.log_bytes(run_id, std::string_view("\0\xff\x01", 3), "raw/bytes.bin");

  const fs::path dst = dir.path() / "py-dst";
  const std::string out = run_python(dir.path(), R"(
import sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
for path in ("model", "summary.txt", "raw"):
    print(mlflow.artifacts.download_artifacts(run_id=sys.argv[2], artifact_path=path, dst_path=sys.argv[3]))
print(sorted((f.path, f.is_dir, f.file_size) for f in mlflow.MlflowClient().list_artifacts(sys.argv[2], "model")))
)",
                                     {dir.uri(), run_id, dst.string()});
  EXPECT_EQ(read_file(dst / "model" / "weights.bin"), binary_content(300000));
  EXPECT_EQ(read_file(dst / "model" / "nested" / "config.yaml"), "lr: 0.01\nname: \"ünï\"\n");
  EXPECT_EQ(read_file(dst / "summary.txt"), "accuracy 0.93\n");
  EXPECT_EQ(read_file(dst / "raw" / "bytes.bin"), std::string("\0\xff\x01", 3));
  EXPECT_NE(out.find("[('model/nested', True, None), ('model/weights.bin', False, 300000)]"), std::string::npos)
      << out;
}

TEST_F(CppArtifactsInterop, CppDownloadsWhatMlflowLoggedByteForByte) {
  const fs::path local = dir.path() / "from-python.bin";
  write_file(local, binary_content(70000));
  run.end();  // MLflow logs artifacts to finished runs too
  run_python(dir.path(), R"(
import sys, mlflow
client = mlflow.MlflowClient(sys.argv[1])
client.log_artifact(sys.argv[2], sys.argv[3], "py")
client.log_text(sys.argv[2], "text from python ü\n", "py/notes.txt")
client.log_dict(sys.argv[2], {"a": 1, "b": [1, 2]}, "py/d.json")
)",
             {dir.uri(), run_id, local.string()});

  std::map<std::string, std::optional<std::int64_t>> listed;
  for (const mlflow::FileInfo& f : client.list_artifacts(run_id, "py")) listed[f.path] = f.file_size;
  EXPECT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed["py/from-python.bin"], 70000);

  const fs::path dst = dir.path() / "cpp-dst";
  const std::string got = client.download_artifacts({"", "", "runs:/" + run_id + "/py", dst.string()});
  EXPECT_EQ(read_file(fs::path(got) / "from-python.bin"), binary_content(70000));
  EXPECT_EQ(read_file(fs::path(got) / "notes.txt"), "text from python ü\n");
  const std::string dict = read_file(fs::path(got) / "d.json");
  EXPECT_EQ(json::parse(dict), json::parse(R"({"a": 1, "b": [1, 2]})")) << dict;
}

}  // namespace
