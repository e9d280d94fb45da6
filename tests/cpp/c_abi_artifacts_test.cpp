// Artifacts through the C ABI: log_artifact, log_artifacts, log_text and log_bytes store files
// where MLflow stores them (<experiment artifact location>/<run id>/artifacts/<path>),
// list_artifacts describes them, download_artifacts fetches them by run id + path and by
// `runs:/` URI byte for byte, and a progress callback hears each transfer from (0, total) to
// (total, total).
#include "support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

using namespace support;

namespace {

/// Every byte value, then some text: content that survives no accidental text conversion.
std::string binary_content() {
  std::string s;
  for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
  return s + "\r\n\0tail" + std::string(1, '\0');
}

/// `n` bytes of a repeating, position-dependent pattern.
std::string patterned(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 4096) & 0xFF);
  return s;
}

/// The (done, total) reports of one call.
struct Reports {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
  static void record(void* self, std::uint64_t done, std::uint64_t total) {
    static_cast<Reports*>(self)->seen.emplace_back(done, total);
  }

  /// First (0, total), last (total, total), `done` never going back, `total` the same throughout.
  void expect_complete(std::uint64_t total) const {
    ASSERT_GE(seen.size(), 2u);
    EXPECT_EQ(seen.front(), std::make_pair(std::uint64_t{0}, total));
    EXPECT_EQ(seen.back(), std::make_pair(total, total));
    for (std::size_t i = 1; i < seen.size(); ++i) {
      EXPECT_GE(seen[i].first, seen[i - 1].first) << "report " << i;
      EXPECT_EQ(seen[i].second, total) << "report " << i;
      EXPECT_LE(seen[i].first, total) << "report " << i;
    }
  }
};

class CAbiArtifacts : public testing::Test {
 protected:
  TempDir dir;
  ClientPtr client = open_client(dir);
  RunPtr run = start_run(client.get());
  std::string run_id = mlflow_run_id(run.get());
  // MLflow's layout for a run of the Default experiment (id 0) under the client's artifact root.
  fs::path artifacts = dir.path() / "mlruns" / "0" / run_id / "artifacts";

  json list(const char* path = nullptr) {
    char* out = nullptr;
    size_t len = 0;
    ok(mlflow_client_list_artifacts(client.get(), run_id.c_str(), path, &out, &len), "list_artifacts");
    StringPtr owner(out, mlflow_string_free);
    EXPECT_EQ(std::strlen(out), len);
    return json::parse(std::string(out, len));
  }

  std::string download(const char* artifact_path, const char* artifact_uri, const fs::path& dst,
                       Reports* reports = nullptr) {
    char* out = nullptr;
    size_t len = 0;
    const std::string dst_text = dst.string();
    ok(mlflow_client_download_artifacts(client.get(), artifact_uri == nullptr ? run_id.c_str() : nullptr,
                                        artifact_path, artifact_uri, dst.empty() ? nullptr : dst_text.c_str(),
                                        reports == nullptr ? nullptr : &Reports::record, reports, &out, &len),
       "download_artifacts");
    StringPtr owner(out, mlflow_string_free);
    return std::string(out, len);
  }
};

TEST_F(CAbiArtifacts, TheRunsArtifactUriIsMlflowsLayout) {
  EXPECT_EQ(get_run(client.get(), run_id)["info"]["artifact_uri"].get<std::string>(), artifacts.string());
}

TEST_F(CAbiArtifacts, LogArtifactStoresTheFileUnderItsNameByteForByte) {
  const fs::path local = dir.path() / "in" / "model.bin";
  write_file(local, binary_content());
  ok(mlflow_client_log_artifact(client.get(), run_id.c_str(), local.c_str(), "models/v1", nullptr, nullptr),
     "log_artifact");
  ok(mlflow_client_log_artifact(client.get(), run_id.c_str(), local.c_str(), nullptr, nullptr, nullptr),
     "log_artifact to the root");
  ok(mlflow_client_log_artifact(client.get(), run_id.c_str(), local.c_str(), "", nullptr, nullptr),
     "log_artifact to \"\" (the root too)");
  EXPECT_EQ(read_file(artifacts / "models" / "v1" / "model.bin"), binary_content());
  EXPECT_EQ(read_file(artifacts / "model.bin"), binary_content());
}

TEST_F(CAbiArtifacts, LogArtifactsStoresATreeAndListArtifactsDescribesEachLevel) {
  const fs::path tree = dir.path() / "tree";
  write_file(tree / "a.txt", "alpha\n");
  write_file(tree / "sub" / "b.txt", "bravo!\n");
  write_file(tree / "sub" / "deeper" / "c.bin", binary_content());
  ok(mlflow_client_log_artifacts(client.get(), run_id.c_str(), tree.c_str(), "outputs", nullptr, nullptr),
     "log_artifacts");
  EXPECT_EQ(read_file(artifacts / "outputs" / "a.txt"), "alpha\n");
  EXPECT_EQ(read_file(artifacts / "outputs" / "sub" / "deeper" / "c.bin"), binary_content());

  EXPECT_EQ(list(), json::parse(R"([{"path": "outputs", "is_dir": true}])"));
  EXPECT_EQ(list(""), list());
  json level = list("outputs");
  std::sort(level.begin(), level.end(), [](const json& x, const json& y) { return x["path"] < y["path"]; });
  EXPECT_EQ(level, json::parse(R"([{"path": "outputs/a.txt", "is_dir": false, "file_size": 6},
                                   {"path": "outputs/sub", "is_dir": true}])"));
  json deeper = list("outputs/sub/deeper");
  ASSERT_EQ(deeper.size(), 1u);
  EXPECT_EQ(deeper[0]["path"], "outputs/sub/deeper/c.bin");
  EXPECT_EQ(deeper[0]["file_size"], binary_content().size());
  // A file's "listing" and a missing directory's are empty, as in MLflow.
  EXPECT_EQ(list("outputs/a.txt"), json::array());
  EXPECT_EQ(list("nothing/here"), json::array());
}

TEST_F(CAbiArtifacts, LogTextAndLogBytesStoreExactlyTheGivenBytes) {
  ok(mlflow_client_log_text(client.get(), run_id.c_str(), "héllo\n", MLFLOW_NUL_TERMINATED, "notes/hello.txt"),
     "log_text");
  const std::string with_nul("a\0b", 3);
  ok(mlflow_client_log_text(client.get(), run_id.c_str(), with_nul.data(), with_nul.size(), "notes/nul.txt"),
     "log_text with a length");
  ok(mlflow_client_log_text(client.get(), run_id.c_str(), nullptr, 0, "notes/empty.txt"), "log_text empty");
  const std::string bytes = binary_content();
  ok(mlflow_client_log_bytes(client.get(), run_id.c_str(), reinterpret_cast<const uint8_t*>(bytes.data()),
                             bytes.size(), "raw/all.bin"),
     "log_bytes");
  ok(mlflow_client_log_bytes(client.get(), run_id.c_str(), nullptr, 0, "raw/empty.bin"), "log_bytes empty");
  EXPECT_EQ(read_file(artifacts / "notes" / "hello.txt"), "héllo\n");
  EXPECT_EQ(read_file(artifacts / "notes" / "nul.txt"), with_nul);
  EXPECT_EQ(read_file(artifacts / "notes" / "empty.txt"), "");
  EXPECT_EQ(read_file(artifacts / "raw" / "all.bin"), bytes);
  EXPECT_EQ(read_file(artifacts / "raw" / "empty.bin"), "");
  // Logging the same file again replaces it, as MLflow does.
  ok(mlflow_client_log_text(client.get(), run_id.c_str(), "v2", MLFLOW_NUL_TERMINATED, "notes/hello.txt"), "again");
  EXPECT_EQ(read_file(artifacts / "notes" / "hello.txt"), "v2");
}

TEST_F(CAbiArtifacts, DownloadByRunIdAndPathAndByRunsUri) {
  const fs::path tree = dir.path() / "tree";
  write_file(tree / "a.txt", "alpha\n");
  write_file(tree / "sub" / "c.bin", binary_content());
  ok(mlflow_client_log_artifacts(client.get(), run_id.c_str(), tree.c_str(), "outputs", nullptr, nullptr),
     "log_artifacts");

  // A directory by run id and path: written under dst by its own name (dst created).
  const fs::path dst = dir.path() / "dst" / "new";
  const std::string got_dir = download("outputs", nullptr, dst);
  EXPECT_EQ(fs::path(got_dir), dst / "outputs");
  EXPECT_EQ(read_file(dst / "outputs" / "a.txt"), "alpha\n");
  EXPECT_EQ(read_file(dst / "outputs" / "sub" / "c.bin"), binary_content());

  // One file by runs:/ URI.
  const fs::path dst2 = dir.path() / "dst2";
  const std::string got_file = download(nullptr, ("runs:/" + run_id + "/outputs/sub/c.bin").c_str(), dst2);
  EXPECT_EQ(fs::path(got_file), dst2 / "c.bin");
  EXPECT_EQ(read_file(got_file), binary_content());

  // The whole run (no artifact path) into dst3.
  const fs::path dst3 = dir.path() / "dst3";
  const std::string got_all = download(nullptr, nullptr, dst3);
  EXPECT_EQ(read_file(fs::path(got_all) / "outputs" / "a.txt"), "alpha\n");

  // Without dst, local artifacts are returned where they are.
  const std::string in_place = download("outputs/a.txt", nullptr, fs::path());
  EXPECT_TRUE(fs::equivalent(in_place, artifacts / "outputs" / "a.txt")) << in_place;
}

TEST_F(CAbiArtifacts, ProgressHearsEveryTransferFromZeroToTotal) {
  const std::string big = patterned(3 * 1024 * 1024 + 17);  // a few MiB: several reports in between
  const fs::path local = dir.path() / "big.bin";
  write_file(local, big);
  Reports upload;
  ok(mlflow_client_log_artifact(client.get(), run_id.c_str(), local.c_str(), "big", &Reports::record, &upload),
     "log_artifact");
  upload.expect_complete(big.size());
  EXPECT_GE(upload.seen.size(), 3u);

  const fs::path tree = dir.path() / "tree";
  write_file(tree / "x.bin", patterned(1500000));
  write_file(tree / "y" / "z.bin", patterned(700000));
  Reports tree_upload;
  ok(mlflow_client_log_artifacts(client.get(), run_id.c_str(), tree.c_str(), "tree", &Reports::record,
                                 &tree_upload),
     "log_artifacts");
  tree_upload.expect_complete(1500000 + 700000);

  Reports down;
  const std::string got = download("big", nullptr, dir.path() / "dst", &down);
  down.expect_complete(big.size());
  EXPECT_EQ(read_file(fs::path(got) / "big.bin"), big);

  // No callback is fine too (NULL progress with non-NULL data is ignored).
  int unused = 0;
  ok(mlflow_client_log_artifact(client.get(), run_id.c_str(), local.c_str(), "again", nullptr, &unused),
     "log_artifact without a callback");
  EXPECT_EQ(read_file(artifacts / "again" / "big.bin"), big);
}

}  // namespace
