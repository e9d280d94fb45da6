// Bad input to the artifact calls of the C ABI: NULL for every pointer argument, invalid UTF-8 in
// every string, `..` and absolute artifact paths, symlinks leading out of a logged directory, a
// missing local file, an unknown run — each returns its status with a message naming the culprit,
// never a crash, and nothing is written outside the run's artifact directory or the download's
// destination.
#include "support.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

using namespace support;

namespace {

constexpr const char* kInvalidUtf8 = "bad\xff\xfename";

/// Every regular file under `root`, as paths relative to it.
std::set<std::string> files_under(const fs::path& root) {
  std::set<std::string> files;
  if (!fs::exists(root)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.insert(fs::relative(entry.path(), root).string());
  }
  return files;
}

void expect_message_has(const std::string& needle) {
  EXPECT_NE(last_error().find(needle), std::string::npos) << "message: " << last_error() << "\nlacks: " << needle;
}

/// A callback that must never be called (the call fails before any transfer).
void never_called(void* data, std::uint64_t, std::uint64_t) { ++*static_cast<int*>(data); }

class CAbiArtifactsBadInput : public testing::Test {
 protected:
  TempDir dir;
  ClientPtr client = open_client(dir);
  RunPtr run = start_run(client.get());
  std::string run_id = mlflow_run_id(run.get());
  fs::path artifacts = dir.path() / "mlruns" / "0" / run_id / "artifacts";
  fs::path local_file = dir.path() / "in" / "file.txt";
  fs::path local_dir = dir.path() / "in";
  const char* rid = run_id.c_str();

  void SetUp() override {
    fs::create_directories(local_dir);
    std::ofstream(local_file) << "content\n";
  }
};

TEST_F(CAbiArtifactsBadInput, NullPointersAreRefusedByName) {
  mlflow_client* c = client.get();
  const char* file = local_file.c_str();
  const char* folder = local_dir.c_str();
  int calls = 0;

  EXPECT_EQ(mlflow_client_log_artifact(nullptr, rid, file, nullptr, never_called, &calls), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'client'");
  EXPECT_EQ(mlflow_client_log_artifact(c, nullptr, file, nullptr, never_called, &calls), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'run_id'");
  EXPECT_EQ(mlflow_client_log_artifact(c, rid, nullptr, nullptr, never_called, &calls), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'local_path'");

  EXPECT_EQ(mlflow_client_log_artifacts(nullptr, rid, folder, nullptr, nullptr, nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_log_artifacts(c, nullptr, folder, nullptr, nullptr, nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'run_id'");
  EXPECT_EQ(mlflow_client_log_artifacts(c, rid, nullptr, nullptr, never_called, &calls), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'local_dir'");

  EXPECT_EQ(mlflow_client_log_text(nullptr, rid, "t", 1, "a.txt"), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_log_text(c, nullptr, "t", 1, "a.txt"), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_log_text(c, rid, nullptr, 1, "a.txt"), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'text'");
  EXPECT_EQ(mlflow_client_log_text(c, rid, nullptr, MLFLOW_NUL_TERMINATED, "a.txt"), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_log_text(c, rid, "t", 1, nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'artifact_file'");

  const std::uint8_t byte = 7;
  EXPECT_EQ(mlflow_client_log_bytes(nullptr, rid, &byte, 1, "b.bin"), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_log_bytes(c, nullptr, &byte, 1, "b.bin"), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_log_bytes(c, rid, nullptr, 1, "b.bin"), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'data'");
  EXPECT_EQ(mlflow_client_log_bytes(c, rid, &byte, 1, nullptr), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'artifact_file'");

  char* out = nullptr;
  size_t len = 99;
  EXPECT_EQ(mlflow_client_list_artifacts(nullptr, rid, nullptr, &out, &len), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_list_artifacts(c, nullptr, nullptr, &out, &len), MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_list_artifacts(c, rid, nullptr, nullptr, &len), MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'out_json'");

  const std::string dst = (dir.path() / "dst").string();
  EXPECT_EQ(mlflow_client_download_artifacts(nullptr, rid, nullptr, nullptr, dst.c_str(), nullptr, nullptr, &out, &len),
            MLFLOW_ERR_NULL_ARGUMENT);
  EXPECT_EQ(mlflow_client_download_artifacts(c, rid, nullptr, nullptr, dst.c_str(), nullptr, nullptr, nullptr, &len),
            MLFLOW_ERR_NULL_ARGUMENT);
  expect_message_has("'out_path'");
  // Neither a run id nor a URI, or both: MLflow's rule "exactly one of them".
  EXPECT_EQ(mlflow_client_download_artifacts(c, nullptr, nullptr, nullptr, dst.c_str(), never_called, &calls, &out,
                                             &len),
            MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_FALSE(last_error().empty());
  const std::string uri = "runs:/" + run_id + "/x";
  EXPECT_EQ(mlflow_client_download_artifacts(c, rid, nullptr, uri.c_str(), dst.c_str(), never_called, &calls, &out,
                                             &len),
            MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_FALSE(last_error().empty());

  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(fs::exists(dst));
  EXPECT_EQ(files_under(artifacts), std::set<std::string>{});
}

TEST_F(CAbiArtifactsBadInput, InvalidUtf8IsRefusedInEveryStringArgument) {
  mlflow_client* c = client.get();
  const char* file = local_file.c_str();
  EXPECT_EQ(mlflow_client_log_artifact(c, kInvalidUtf8, file, nullptr, nullptr, nullptr), MLFLOW_ERR_INVALID_UTF8);
  expect_message_has("UTF-8");
  EXPECT_EQ(mlflow_client_log_artifact(c, rid, kInvalidUtf8, nullptr, nullptr, nullptr), MLFLOW_ERR_INVALID_UTF8);
  expect_message_has("local_path");
  EXPECT_EQ(mlflow_client_log_artifact(c, rid, file, kInvalidUtf8, nullptr, nullptr), MLFLOW_ERR_INVALID_UTF8);
  expect_message_has("artifact_path");
  EXPECT_EQ(mlflow_client_log_artifacts(c, rid, kInvalidUtf8, nullptr, nullptr, nullptr), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_log_artifacts(c, rid, local_dir.c_str(), kInvalidUtf8, nullptr, nullptr),
            MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_log_text(c, rid, kInvalidUtf8, MLFLOW_NUL_TERMINATED, "t.txt"), MLFLOW_ERR_INVALID_UTF8);
  expect_message_has("text");
  EXPECT_EQ(mlflow_client_log_text(c, rid, "\xc3", 1, "t.txt"), MLFLOW_ERR_INVALID_UTF8);  // cut inside a character
  EXPECT_EQ(mlflow_client_log_text(c, rid, "ok", 2, kInvalidUtf8), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_log_bytes(c, rid, reinterpret_cast<const std::uint8_t*>("x"), 1, kInvalidUtf8),
            MLFLOW_ERR_INVALID_UTF8);
  char* out = nullptr;
  EXPECT_EQ(mlflow_client_list_artifacts(c, rid, kInvalidUtf8, &out, nullptr), MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_download_artifacts(c, rid, kInvalidUtf8, nullptr, nullptr, nullptr, nullptr, &out, nullptr),
            MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_download_artifacts(c, nullptr, nullptr, kInvalidUtf8, nullptr, nullptr, nullptr, &out,
                                             nullptr),
            MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(mlflow_client_download_artifacts(c, rid, nullptr, nullptr, kInvalidUtf8, nullptr, nullptr, &out, nullptr),
            MLFLOW_ERR_INVALID_UTF8);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(files_under(artifacts), std::set<std::string>{});
}

TEST_F(CAbiArtifactsBadInput, DotDotAndAbsoluteArtifactPathsAreRefusedAndWriteNothing) {
  mlflow_client* c = client.get();
  const std::set<std::string> before = files_under(dir.path());
  const std::string outside_abs = (dir.path() / "abs-target").string();
  for (const std::string& bad : {std::string("../escape"), std::string("a/../../escape"), std::string(".."),
                                 outside_abs, std::string("/escape")}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(mlflow_client_log_artifact(c, rid, local_file.c_str(), bad.c_str(), nullptr, nullptr),
              MLFLOW_ERR_INVALID_ARGUMENT);
    expect_message_has(bad);
    EXPECT_EQ(mlflow_client_log_artifacts(c, rid, local_dir.c_str(), bad.c_str(), nullptr, nullptr),
              MLFLOW_ERR_INVALID_ARGUMENT);
    const std::string as_file = bad + "/t.txt";
    EXPECT_EQ(mlflow_client_log_text(c, rid, "t", 1, as_file.c_str()), MLFLOW_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(mlflow_client_log_bytes(c, rid, reinterpret_cast<const std::uint8_t*>("b"), 1, as_file.c_str()),
              MLFLOW_ERR_INVALID_ARGUMENT);
    char* out = nullptr;
    EXPECT_EQ(mlflow_client_list_artifacts(c, rid, bad.c_str(), &out, nullptr), MLFLOW_ERR_INVALID_ARGUMENT);
    const std::string dst = (dir.path() / "dst").string();
    EXPECT_EQ(mlflow_client_download_artifacts(c, rid, bad.c_str(), nullptr, dst.c_str(), nullptr, nullptr, &out,
                                               nullptr),
              MLFLOW_ERR_INVALID_ARGUMENT);
    const std::string bad_uri = "runs:/" + run_id + "/" + bad;
    EXPECT_NE(mlflow_client_download_artifacts(c, nullptr, nullptr, bad_uri.c_str(), dst.c_str(), nullptr, nullptr,
                                               &out, nullptr),
              MLFLOW_OK);
    EXPECT_EQ(out, nullptr);
  }
  // A file name that merely contains dots is fine.
  ok(mlflow_client_log_text(c, rid, "t", 1, "dir..x/..name..txt"), "log_text with dots in names");
  std::set<std::string> expected = before;
  expected.insert(fs::relative(artifacts / "dir..x" / "..name..txt", dir.path()).string());
  EXPECT_EQ(files_under(dir.path()), expected) << "nothing written anywhere else";
  EXPECT_FALSE(fs::exists("/escape"));
}

TEST_F(CAbiArtifactsBadInput, ASymlinkLeadingOutOfALoggedDirectoryIsRefusedBeforeAnythingIsStored) {
  const fs::path secret = dir.path() / "secret.txt";
  std::ofstream(secret) << "not for the artifact store\n";
  const fs::path tree = dir.path() / "tree";
  fs::create_directories(tree / "sub");
  std::ofstream(tree / "a.txt") << "a\n";
  fs::create_symlink(secret, tree / "sub" / "leak.txt");
  EXPECT_EQ(mlflow_client_log_artifacts(client.get(), rid, tree.c_str(), "tree", nullptr, nullptr),
            MLFLOW_ERR_INVALID_ARGUMENT);
  expect_message_has("leak.txt");
  EXPECT_EQ(files_under(artifacts), std::set<std::string>{}) << "checked before anything was stored";
}

TEST_F(CAbiArtifactsBadInput, MissingFilesAndWrongKindsSayWhatIsWrong) {
  mlflow_client* c = client.get();
  const std::string missing = (dir.path() / "no-such-file.bin").string();
  EXPECT_EQ(mlflow_client_log_artifact(c, rid, missing.c_str(), nullptr, nullptr, nullptr), MLFLOW_ERR_NOT_FOUND);
  expect_message_has("no-such-file.bin");
  EXPECT_EQ(mlflow_client_log_artifacts(c, rid, missing.c_str(), nullptr, nullptr, nullptr), MLFLOW_ERR_NOT_FOUND);
  expect_message_has("no-such-file.bin");
  // A directory given to log_artifact (log_artifacts is for trees).
  EXPECT_EQ(mlflow_client_log_artifact(c, rid, local_dir.c_str(), nullptr, nullptr, nullptr),
            MLFLOW_ERR_INVALID_ARGUMENT);
  expect_message_has(local_dir.string());
  // An artifact the run does not have.
  char* out = nullptr;
  const std::string dst = (dir.path() / "dst").string();
  EXPECT_EQ(mlflow_client_download_artifacts(c, rid, "nothing/here.txt", nullptr, dst.c_str(), nullptr, nullptr, &out,
                                             nullptr),
            MLFLOW_ERR_NOT_FOUND);
  expect_message_has("nothing/here.txt");
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(files_under(dst), std::set<std::string>{});
  EXPECT_EQ(files_under(artifacts), std::set<std::string>{});
}

TEST_F(CAbiArtifactsBadInput, AnUnknownRunIsNotFound) {
  mlflow_client* c = client.get();
  const char* missing = "0123456789abcdef0123456789abcdef";
  const std::set<std::string> before = files_under(dir.path());
  EXPECT_EQ(mlflow_client_log_artifact(c, missing, local_file.c_str(), nullptr, nullptr, nullptr),
            MLFLOW_ERR_NOT_FOUND);
  expect_message_has(missing);
  EXPECT_EQ(mlflow_client_log_artifacts(c, missing, local_dir.c_str(), nullptr, nullptr, nullptr),
            MLFLOW_ERR_NOT_FOUND);
  EXPECT_EQ(mlflow_client_log_text(c, missing, "t", 1, "t.txt"), MLFLOW_ERR_NOT_FOUND);
  EXPECT_EQ(mlflow_client_log_bytes(c, missing, reinterpret_cast<const std::uint8_t*>("b"), 1, "b.bin"),
            MLFLOW_ERR_NOT_FOUND);
  char* out = nullptr;
  EXPECT_EQ(mlflow_client_list_artifacts(c, missing, nullptr, &out, nullptr), MLFLOW_ERR_NOT_FOUND);
  EXPECT_EQ(mlflow_client_download_artifacts(c, missing, nullptr, nullptr, (dir.path() / "dst").c_str(), nullptr,
                                             nullptr, &out, nullptr),
            MLFLOW_ERR_NOT_FOUND);
  const std::string uri = std::string("runs:/") + missing + "/x.txt";
  EXPECT_EQ(mlflow_client_download_artifacts(c, nullptr, nullptr, uri.c_str(), (dir.path() / "dst").c_str(), nullptr,
                                             nullptr, &out, nullptr),
            MLFLOW_ERR_NOT_FOUND);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(files_under(dir.path()), before);
}

TEST_F(CAbiArtifactsBadInput, ACallbackThatIsCalledWithNoUserDataStillWorks) {
  // progress_data may be NULL: libmlflow passes it through untouched.
  static int calls = 0;
  calls = 0;
  const auto count = [](void* data, std::uint64_t, std::uint64_t) {
    if (data == nullptr) ++calls;
  };
  ok(mlflow_client_log_artifact(client.get(), rid, local_file.c_str(), nullptr, count, nullptr), "log_artifact");
  EXPECT_GE(calls, 2);
}

}  // namespace
