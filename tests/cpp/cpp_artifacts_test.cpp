// The C++ layer's artifact calls: log_artifact / log_artifacts / log_text / log_bytes /
// list_artifacts / download_artifacts with MLflow's names, every path type LocalPath takes,
// file names with quotes, backslashes, control characters and non-ASCII characters listed and
// downloaded intact, progress callbacks (including one that throws), and errors as mlflow::Error.
#include <mlflow/mlflow.hpp>

#include "support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <map>
#include <vector>

using namespace support;

namespace {

std::string patterned(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 4096) & 0xFF);
  return s;
}

/// Runs `f`, expecting an mlflow::Error with `status`; returns its message.
template <typename F>
std::string expect_error(mlflow_status status, F&& f) {
  try {
    f();
  } catch (const mlflow::Error& e) {
    EXPECT_EQ(e.status(), status) << e.status_name() << ": " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected an mlflow::Error with " << mlflow_status_name(status);
  return "";
}

using Entry = std::pair<bool, std::optional<std::int64_t>>;

/// The listing as path -> (is_dir, file_size), order-independent.
std::map<std::string, Entry> by_path(const std::vector<mlflow::FileInfo>& files) {
  std::map<std::string, Entry> out;
  for (const mlflow::FileInfo& f : files) out[f.path] = {f.is_dir, f.file_size};
  return out;
}

class CppArtifacts : public testing::Test {
 protected:
  TempDir dir;
  mlflow::Client client{mlflow::Options().tracking_uri(dir.uri()).artifact_root((dir.path() / "mlruns").string())};
  mlflow::Run run = client.start_run();
  std::string run_id{run.id()};
  fs::path artifacts = dir.path() / "mlruns" / "0" / run_id / "artifacts";
};

TEST_F(CppArtifacts, EveryLoggingCallStoresWhereMlflowLooks) {
  const fs::path file = dir.path() / "in" / "weights.bin";
  write_file(file, patterned(1000));
  client.log_artifact(run_id, file.string(), "by-string");                // const std::string&
  client.log_artifact(run_id, std::string_view(file.native()), "by-view");  // std::string_view
  client.log_artifact(run_id, file.c_str(), "by-c-string");               // const char*
  client.log_artifact(run_id, file);                                       // std::filesystem::path, root
  for (const char* where : {"by-string", "by-view", "by-c-string", "."}) {
    EXPECT_EQ(read_file(artifacts / where / "weights.bin"), patterned(1000)) << where;
  }

  const fs::path tree = dir.path() / "tree";
  write_file(tree / "a.txt", "alpha");
  write_file(tree / "nested" / "deeper" / "b.txt", "bravo");
  client.log_artifacts(run_id, tree, "tree");
  EXPECT_EQ(read_file(artifacts / "tree" / "nested" / "deeper" / "b.txt"), "bravo");

  client.log_text(run_id, "ünïcode text\n", "notes/summary.txt");
  client.log_text(run_id, std::string("with\0nul", 8), "notes/nul.txt");
  const std::vector<std::uint8_t> u8{0, 1, 2, 255};
  const std::vector<std::byte> bytes{std::byte{0xde}, std::byte{0xad}};
  const std::array<char, 3> chars{{'x', '\0', 'y'}};
  client.log_bytes(run_id, u8, "raw/u8.bin");
  client.log_bytes(run_id, bytes, "raw/bytes.bin");
  client.log_bytes(run_id, chars, "raw/array.bin");
  client.log_bytes(run_id, std::string_view("\xff\xfe", 2), "raw/view.bin");  // not UTF-8: fine as bytes
  client.log_bytes(run_id, u8.data(), 2, "raw/pointer.bin");
  client.log_bytes(run_id, nullptr, 0, "raw/empty.bin");
  EXPECT_EQ(read_file(artifacts / "notes" / "summary.txt"), "ünïcode text\n");
  EXPECT_EQ(read_file(artifacts / "notes" / "nul.txt"), std::string("with\0nul", 8));
  EXPECT_EQ(read_file(artifacts / "raw" / "u8.bin"), std::string("\0\1\2\xff", 4));
  EXPECT_EQ(read_file(artifacts / "raw" / "bytes.bin"), "\xde\xad");
  EXPECT_EQ(read_file(artifacts / "raw" / "array.bin"), std::string("x\0y", 3));
  EXPECT_EQ(read_file(artifacts / "raw" / "view.bin"), "\xff\xfe");
  EXPECT_EQ(read_file(artifacts / "raw" / "pointer.bin"), std::string("\0\1", 2));
  EXPECT_EQ(read_file(artifacts / "raw" / "empty.bin"), "");

  const auto root = by_path(client.list_artifacts(run_id));
  EXPECT_EQ(root.at("tree"), (Entry{true, std::nullopt}));
  EXPECT_EQ(root.at("weights.bin"), (Entry{false, 1000}));
  EXPECT_EQ(root.size(), 7u);  // by-string, by-view, by-c-string, weights.bin, tree, notes, raw
  const auto raw = by_path(client.list_artifacts(run_id, "raw"));
  EXPECT_EQ(raw.at("raw/u8.bin"), (Entry{false, 4}));
  EXPECT_EQ(raw.at("raw/empty.bin"), (Entry{false, 0}));
  EXPECT_EQ(raw.size(), 6u);
  EXPECT_TRUE(client.list_artifacts(run_id, "no/such/dir").empty());
}

TEST_F(CppArtifacts, DownloadArtifactsTakesMlflowsKeywordArguments) {
  write_file(dir.path() / "tree" / "a.txt", "alpha");
  write_file(dir.path() / "tree" / "sub" / "b.bin", patterned(5000));
  client.log_artifacts(run_id, dir.path() / "tree", "model");

  const fs::path dst = dir.path() / "out" / "fresh";
  mlflow::DownloadArtifacts by_run;
  by_run.run_id = run_id;
  by_run.artifact_path = "model";
  by_run.dst_path = dst.string();
  const std::string got = client.download_artifacts(by_run);
  EXPECT_EQ(fs::path(got), dst / "model");
  EXPECT_EQ(read_file(dst / "model" / "sub" / "b.bin"), patterned(5000));

  const std::string file = client.download_artifacts({"", "", "runs:/" + run_id + "/model/a.txt", dst.string()});
  EXPECT_EQ(fs::path(file), dst / "a.txt");
  EXPECT_EQ(read_file(file), "alpha");

  const std::string whole = client.download_artifacts({run_id, "", "", (dir.path() / "whole").string()});
  EXPECT_EQ(read_file(fs::path(whole) / "model" / "a.txt"), "alpha");

  // No destination: local artifacts are returned where they are.
  const std::string in_place = client.download_artifacts({run_id, "model/a.txt", "", ""});
  EXPECT_TRUE(fs::equivalent(in_place, artifacts / "model" / "a.txt")) << in_place;
}

TEST_F(CppArtifacts, OddFileNamesAreListedAndDownloadedIntact) {
  // Names JSON must escape (quotes, control characters) or carry as UTF-8.
  std::vector<std::string> names = {"he said \"hi\".txt", "tab\there.txt", "new\nline.txt", "bell\x07.txt",
                                    "ünïcødé.txt", "emoji-😀.txt", "日本語 名前.txt", "sp a ce.txt"};
  const fs::path tree = dir.path() / "odd";
  for (const std::string& name : names) write_file(tree / name, "content of " + name);
  client.log_artifacts(run_id, tree, "odd");
  // libmlflow refuses to log a backslash (artifact paths use '/'), but a store written by others
  // (MLflow's Python client copies any file name) may hold one: it is listed with its escape intact.
  for (const std::string name : {"back\\slash.txt", "looks-escaped-\\u0041.txt"}) {
    write_file(artifacts / "odd" / name, "content of " + name);
    names.push_back(name);
  }

  const std::vector<mlflow::FileInfo> listing = client.list_artifacts(run_id, "odd");
  std::vector<std::string> listed;
  for (const mlflow::FileInfo& f : listing) {
    EXPECT_FALSE(f.is_dir) << f.path;
    listed.push_back(f.path);
  }
  std::vector<std::string> expected;
  for (const std::string& name : names) expected.push_back("odd/" + name);
  std::sort(listed.begin(), listed.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(listed, expected);

  const fs::path dst = dir.path() / "dst";
  for (const mlflow::FileInfo& f : listing) {
    const std::string name = f.path.substr(4);
    EXPECT_EQ(f.file_size, static_cast<std::int64_t>(("content of " + name).size())) << f.path;
    if (name.find('\\') != std::string::npos) {
      // A backslash is no artifact path libmlflow accepts, so it will not fetch that file.
      expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.download_artifacts({run_id, f.path, "", dst.string()}); });
      continue;
    }
    const std::string got = client.download_artifacts({run_id, f.path, "", dst.string()});
    EXPECT_EQ(read_file(got), "content of " + name) << f.path;
  }
}

TEST_F(CppArtifacts, ProgressReportsEveryTransferAndAThrowingCallbackSurfacesAfterTheCall) {
  const std::string big = patterned(3 * 1024 * 1024 + 5);
  const fs::path file = dir.path() / "big.bin";
  write_file(file, big);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
  client.log_artifact(run_id, file, "up", [&](std::uint64_t done, std::uint64_t total) {
    seen.emplace_back(done, total);
  });
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front(), std::make_pair(std::uint64_t{0}, std::uint64_t{big.size()}));
  EXPECT_EQ(seen.back(), std::make_pair(std::uint64_t{big.size()}, std::uint64_t{big.size()}));
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  // A callback that throws on its first report: the call completes, later reports are not
  // delivered, and the exception (its own type) comes out of the call.
  int calls = 0;
  struct Stop : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  try {
    client.log_artifact(run_id, file, "thrown", [&](std::uint64_t, std::uint64_t) {
      ++calls;
      throw Stop("user callback failed");
    });
    ADD_FAILURE() << "the callback's exception was swallowed";
  } catch (const Stop& e) {
    EXPECT_STREQ(e.what(), "user callback failed");
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(read_file(artifacts / "thrown" / "big.bin"), big) << "the transfer ran to its end";

  // Anything may be thrown, not only std::exception; downloads relay it the same way.
  calls = 0;
  const fs::path dst = dir.path() / "dst";
  try {
    client.download_artifacts({run_id, "up/big.bin", "", dst.string()}, [&](std::uint64_t done, std::uint64_t) {
      ++calls;
      if (done > 0) throw 42;
    });
    ADD_FAILURE() << "the callback's exception was swallowed";
  } catch (int thrown) {
    EXPECT_EQ(thrown, 42);
  }
  EXPECT_GE(calls, 2);
  EXPECT_EQ(read_file(dst / "big.bin"), big);

  // log_artifacts relays it too; the tree is complete afterwards.
  write_file(dir.path() / "tree" / "x.bin", patterned(2000000));
  write_file(dir.path() / "tree" / "y" / "z.bin", patterned(10));
  EXPECT_THROW(client.log_artifacts(run_id, dir.path() / "tree", "tree",
                                    [](std::uint64_t, std::uint64_t) { throw std::logic_error("no"); }),
               std::logic_error);
  EXPECT_EQ(read_file(artifacts / "tree" / "y" / "z.bin"), patterned(10));

  // An empty std::function means no progress at all.
  client.log_artifact(run_id, file, "silent", mlflow::Progress());
  EXPECT_EQ(read_file(artifacts / "silent" / "big.bin"), big);
}

TEST_F(CppArtifacts, BadInputThrowsMlflowErrorWithTheStatus) {
  const fs::path file = dir.path() / "f.txt";
  write_file(file, "f");
  std::string msg = expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.log_artifact(run_id, file, "../up"); });
  EXPECT_NE(msg.find("../up"), std::string::npos) << msg;
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.log_artifact(run_id, file, "/abs"); });
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.log_text(run_id, "t", "../t.txt"); });
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.log_bytes(run_id, std::string_view("b"), "/b.bin"); });
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.list_artifacts(run_id, ".."); });
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.download_artifacts({run_id, "../..", "", "x"}); });
  // Embedded NUL bytes would cut a C string short: refused before libmlflow sees them.
  msg = expect_error(MLFLOW_ERR_INVALID_ARGUMENT,
                     [&] { client.log_artifact(run_id, file, std::string_view("a\0b", 3)); });
  EXPECT_NE(msg.find("artifact_path"), std::string::npos) << msg;
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT,
               [&] { client.log_artifact(run_id, std::string_view("f\0.txt", 6)); });
  expect_error(MLFLOW_ERR_NULL_ARGUMENT, [&] { client.log_artifact(run_id, static_cast<const char*>(nullptr)); });
  expect_error(MLFLOW_ERR_INVALID_UTF8, [&] { client.log_text(run_id, "\xff\xfe", "t.txt"); });
  expect_error(MLFLOW_ERR_INVALID_UTF8, [&] { client.log_artifact(run_id, file, "\xff"); });
  msg = expect_error(MLFLOW_ERR_NOT_FOUND, [&] { client.log_artifact(run_id, dir.path() / "missing.bin"); });
  EXPECT_NE(msg.find("missing.bin"), std::string::npos) << msg;
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.log_artifact(run_id, dir.path()); });  // a directory
  const std::string unknown = "0123456789abcdef0123456789abcdef";
  expect_error(MLFLOW_ERR_NOT_FOUND, [&] { client.log_text(unknown, "t", "t.txt"); });
  expect_error(MLFLOW_ERR_NOT_FOUND, [&] { client.list_artifacts(unknown); });
  expect_error(MLFLOW_ERR_NOT_FOUND, [&] { client.download_artifacts({unknown, "", "", "x"}); });
  expect_error(MLFLOW_ERR_NOT_FOUND, [&] { client.download_artifacts({run_id, "absent.txt", "", "x"}); });
  // Exactly one of run_id and artifact_uri.
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT, [&] { client.download_artifacts({}); });
  expect_error(MLFLOW_ERR_INVALID_ARGUMENT,
               [&] { client.download_artifacts({run_id, "", "runs:/" + run_id + "/f.txt", ""}); });
  // A callback is never called for a call refused up front, and its absence of an exception
  // does not hide the call's own error.
  int calls = 0;
  expect_error(MLFLOW_ERR_NOT_FOUND, [&] {
    client.log_artifact(unknown, file, "", [&](std::uint64_t, std::uint64_t) { ++calls; });
  });
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(client.list_artifacts(run_id).empty()) << "nothing was stored by any of it";
  EXPECT_FALSE(fs::exists(dir.path() / "x"));
}

// ---- the JSON reader the header shares between listings and sync reports ----------------------

TEST(CppJsonReader, FileInfoListingsDecodeEveryStringEscape) {
  const std::vector<mlflow::FileInfo> files = mlflow::detail::parse_file_infos(
      R"( [ {"path": "q\"b\\s\/n\n\t\r\b\f", "is_dir": false, "file_size": 0},
            {"is_dir": true, "path": "\u00e9\u65e5\ud83d\ude00\u0000x", "file_size": null},
            {"path": "big", "is_dir": false, "file_size": 9007199254740993,
             "extra": {"nested": [1, -2.5e+3, true, null, "s", {}]}} ] )");
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, "q\"b\\s/n\n\t\r\b\f");
  EXPECT_FALSE(files[0].is_dir);
  EXPECT_EQ(files[0].file_size, 0);
  EXPECT_EQ(files[1].path, std::string("\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80\0x", 11));
  EXPECT_TRUE(files[1].is_dir);
  EXPECT_EQ(files[1].file_size, std::nullopt);
  EXPECT_EQ(files[2].file_size, 9007199254740993);  // beyond a double's exact integers
  EXPECT_TRUE(mlflow::detail::parse_file_infos("[]").empty());
}

TEST(CppJsonReader, MalformedJsonThrowsAnInternalErrorNamingTheOffset) {
  const std::vector<std::string> malformed = {
      "",
      "[",
      "{}",
      R"([{"path": "a", "is_dir": false}] trailing)",
      R"([{"path": "a"}])",                                       // no is_dir
      R"([{"path": "a", "is_dir": "no"}])",                       // not a bool
      R"([{"path": "a", "is_dir": false, "file_size": 1.5}])",    // not an integer
      R"([{"path": "a", "is_dir": false, "file_size": 99999999999999999999}])",
      R"([{"path": "\ud83d", "is_dir": false}])",                  // lone high surrogate
      R"([{"path": "\ude00", "is_dir": false}])",                  // lone low surrogate
      R"([{"path": "\ud83d\u0041", "is_dir": false}])",            // high surrogate + non-low
      R"([{"path": "\x", "is_dir": false}])",                      // unknown escape
      R"([{"path": "\u12G4", "is_dir": false}])",                  // bad hex
      "[{\"path\": \"raw\ttab\", \"is_dir\": false}]",             // control character unescaped
      R"([{"path": "unterminated, "is_dir": false}])",
      R"([{"path": "a", "is_dir": false, "x": 01}])",              // leading zero
      R"([{"path": "a", "is_dir": false, "x": tru}])",
      R"([{"path": "a", "is_dir": false,}])",                      // trailing comma
      std::string(100, '[') + std::string(100, ']'),              // nesting beyond the bound
  };
  for (const std::string& text : malformed) {
    SCOPED_TRACE(text);
    try {
      (void)mlflow::detail::parse_file_infos(text);
      ADD_FAILURE() << "accepted";
    } catch (const mlflow::Error& e) {
      EXPECT_EQ(e.status(), MLFLOW_ERR_INTERNAL);
      EXPECT_NE(std::string(e.what()).find("malformed JSON from libmlflow at byte"), std::string::npos) << e.what();
    }
  }
}

TEST(CppJsonReader, SyncReportRunIdsAreReadWhateverSurroundsThem) {
  // Paths and error messages may contain anything, including text that looks like the keys.
  const std::string report = R"({"files": ["/tmp/\"run_ids\":[{\"local_id\":\"fake\"}]", "b]{}"],
      "delivered_items": 3, "failures": [{"what": "x", "error": "}]\"local_id\":\"nope\""}],
      "run_ids": [{"local_id": "aaaa", "server_id": "bbbb"}, {"server_id": null, "local_id": "cccc"}],
      "last_error": null})";
  const std::vector<mlflow::RunIdMapping> ids = mlflow::detail::sync_report_run_ids(report);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].local_id, "aaaa");
  EXPECT_EQ(ids[0].server_id, std::optional<std::string>("bbbb"));
  EXPECT_EQ(ids[1].local_id, "cccc");
  EXPECT_EQ(ids[1].server_id, std::nullopt);
  EXPECT_TRUE(mlflow::detail::sync_report_run_ids(R"({"run_ids": []})").empty());
  EXPECT_THROW(mlflow::detail::sync_report_run_ids(R"({"run_ids": [{"local_id": 5}]})"), mlflow::Error);
}

}  // namespace
