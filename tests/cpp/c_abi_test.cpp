// The C ABI (include/mlflow.h) doing its job: clients, experiments, runs, metrics, params, tags,
// batches and nested runs, each read back through mlflow_client_call in MLflow's REST shapes.
#include "support.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <thread>
#include <vector>

using namespace support;

namespace {

class CAbi : public testing::Test {
 protected:
  TempDir dir;
  ClientPtr client = open_client(dir);
};

TEST(CAbiVersion, VersionAndAbiMatchTheHeader) {
  EXPECT_STREQ(mlflow_version(), MLFLOW_VERSION);
  EXPECT_EQ(mlflow_abi_version(), (uint32_t{MLFLOW_ABI_VERSION_MAJOR} << 16) | MLFLOW_ABI_VERSION_MINOR);
  EXPECT_TRUE(MLFLOW_ABI_COMPATIBLE(mlflow_abi_version()));
  // Same major and a newer minor serves this header; another major, or an older minor, does not.
  const uint32_t major = MLFLOW_ABI_VERSION_MAJOR, minor = MLFLOW_ABI_VERSION_MINOR;
  EXPECT_TRUE(MLFLOW_ABI_COMPATIBLE((major << 16) | (minor + 1)));
  EXPECT_FALSE(MLFLOW_ABI_COMPATIBLE(((major + 1) << 16) | minor));
  if (minor > 0) {
    EXPECT_FALSE(MLFLOW_ABI_COMPATIBLE((major << 16) | (minor - 1)));
  }
}

TEST(CAbiVersion, EveryStatusHasItsName) {
  EXPECT_STREQ(mlflow_status_name(MLFLOW_OK), "MLFLOW_OK");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_INVALID_ARGUMENT), "MLFLOW_ERR_INVALID_ARGUMENT");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_NOT_FOUND), "MLFLOW_ERR_NOT_FOUND");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_ALREADY_EXISTS), "MLFLOW_ERR_ALREADY_EXISTS");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_INVALID_STATE), "MLFLOW_ERR_INVALID_STATE");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_SCHEMA_MISMATCH), "MLFLOW_ERR_SCHEMA_MISMATCH");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_STORAGE), "MLFLOW_ERR_STORAGE");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_QUEUE_FULL), "MLFLOW_ERR_QUEUE_FULL");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_WRITE_FAILED), "MLFLOW_ERR_WRITE_FAILED");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_CLOSED), "MLFLOW_ERR_CLOSED");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_NULL_ARGUMENT), "MLFLOW_ERR_NULL_ARGUMENT");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_INVALID_UTF8), "MLFLOW_ERR_INVALID_UTF8");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_PANIC), "MLFLOW_ERR_PANIC");
  EXPECT_STREQ(mlflow_status_name(MLFLOW_ERR_INTERNAL), "MLFLOW_ERR_INTERNAL");
  EXPECT_STREQ(mlflow_status_name(999), "MLFLOW_ERR_UNKNOWN_STATUS");
  EXPECT_STREQ(mlflow_status_name(-1), "MLFLOW_ERR_UNKNOWN_STATUS");
}

TEST(CAbiClient, OpenCreatesTheDatabaseAndCloseReportsWhatWasWritten) {
  TempDir dir;
  ClientPtr client = open_client(dir);
  EXPECT_TRUE(fs::exists(dir.path() / "mlflow.db"));
  // A fresh store has MLflow's Default experiment "0".
  EXPECT_EQ(call(client.get(), "experiments/get", {{"experiment_id", "0"}})["experiment"]["name"], "Default");

  RunPtr run = start_run(client.get());
  for (int step = 0; step < 10; ++step) ok(mlflow_run_log_metric(run.get(), "m", step, 1000 + step, step), "log");
  mlflow_close_report report{};
  ok(mlflow_client_close(client.get(), 10000, &report), "close");
  EXPECT_GE(report.written, 10u);
  EXPECT_EQ(report.dropped, 0u);
  EXPECT_EQ(report.unwritten, 0u);
  EXPECT_EQ(report.failed, 0u);

  // A closed client refuses further work, and so do handles on it; freeing still works.
  char* id = nullptr;
  EXPECT_EQ(mlflow_client_set_experiment(client.get(), "after-close", &id), MLFLOW_ERR_CLOSED);
  EXPECT_EQ(id, nullptr);
  EXPECT_EQ(mlflow_run_log_metric(run.get(), "m", 1.0, MLFLOW_TIMESTAMP_NOW, 0), MLFLOW_ERR_CLOSED);
  EXPECT_EQ(mlflow_client_flush(client.get(), 1000), MLFLOW_ERR_CLOSED);
  // Closing again is harmless and reports nothing new as lost.
  EXPECT_EQ(mlflow_client_close(client.get(), 1000, nullptr), MLFLOW_OK);

  // The run left open was ended FINISHED by close, and everything logged is there.
  ClientPtr reader = open_client(dir);
  run.reset();
  const std::string run_id = get_run(reader.get(), call(reader.get(), "runs/search", {{"experiment_ids", {"0"}}})
                                                       ["runs"][0]["info"]["run_id"])["info"]["run_id"];
  EXPECT_EQ(run_status(reader.get(), run_id), "FINISHED");
  EXPECT_EQ(history(reader.get(), run_id, "m").size(), 10u);
}

TEST_F(CAbi, ExperimentsAreCreatedFoundAndSet) {
  char* created = nullptr;
  ok(mlflow_client_create_experiment(client.get(), "exp-a", nullptr, &created), "create");
  StringPtr created_owner(created, mlflow_string_free);
  ASSERT_NE(created, nullptr);
  EXPECT_STRNE(created, "0");

  char* found = nullptr;
  ok(mlflow_client_get_experiment_id(client.get(), "exp-a", &found), "get id");
  StringPtr found_owner(found, mlflow_string_free);
  EXPECT_STREQ(found, created);

  // set_experiment returns the existing one, and creates a missing one.
  char* same = nullptr;
  ok(mlflow_client_set_experiment(client.get(), "exp-a", &same), "set existing");
  StringPtr same_owner(same, mlflow_string_free);
  EXPECT_STREQ(same, created);
  char* fresh = nullptr;
  ok(mlflow_client_set_experiment(client.get(), "exp-b", &fresh), "set new");
  StringPtr fresh_owner(fresh, mlflow_string_free);
  EXPECT_STRNE(fresh, created);

  json exp = call(client.get(), "experiments/get", {{"experiment_id", created}})["experiment"];
  EXPECT_EQ(exp["name"], "exp-a");
  EXPECT_EQ(exp["lifecycle_stage"], "active");
  // The default artifact location is <artifact root>/<id>.
  EXPECT_NE(exp["artifact_location"].get<std::string>().find((dir.path() / "mlruns").string()), std::string::npos);

  char* located = nullptr;
  ok(mlflow_client_create_experiment(client.get(), "exp-c", "/somewhere/else", &located), "create with location");
  StringPtr located_owner(located, mlflow_string_free);
  EXPECT_EQ(call(client.get(), "experiments/get", {{"experiment_id", located}})["experiment"]["artifact_location"],
            "/somewhere/else");
}

TEST_F(CAbi, DuplicateAndDeletedExperimentsAreRefused) {
  char* id = nullptr;
  ok(mlflow_client_create_experiment(client.get(), "dup", nullptr, &id), "create");
  StringPtr owner(id, mlflow_string_free);

  char* again = nullptr;
  EXPECT_EQ(mlflow_client_create_experiment(client.get(), "dup", nullptr, &again), MLFLOW_ERR_ALREADY_EXISTS);
  EXPECT_EQ(again, nullptr);
  EXPECT_NE(last_error().find("dup"), std::string::npos) << last_error();

  call(client.get(), "experiments/delete", {{"experiment_id", id}});
  char* deleted = nullptr;
  EXPECT_EQ(mlflow_client_set_experiment(client.get(), "dup", &deleted), MLFLOW_ERR_INVALID_STATE);
  EXPECT_NE(last_error().find("deleted"), std::string::npos) << last_error();
  mlflow_run* run = nullptr;
  EXPECT_NE(mlflow_client_start_run(client.get(), id, nullptr, nullptr, &run), MLFLOW_OK);
  EXPECT_EQ(run, nullptr);
}

TEST_F(CAbi, RunsGetNamesSystemTagsAndStatuses) {
  RunPtr named = start_run(client.get(), "0", "my-run");
  const std::string id = mlflow_run_id(named.get());
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;

  json run = get_run(client.get(), id);
  EXPECT_EQ(run["info"]["run_name"], "my-run");
  EXPECT_EQ(run["info"]["status"], "RUNNING");
  EXPECT_EQ(run["info"]["experiment_id"], "0");
  EXPECT_EQ(find_kv(run, "tags", "mlflow.runName"), "my-run");
  EXPECT_FALSE(find_kv(run, "tags", "mlflow.user").is_null());
  EXPECT_FALSE(find_kv(run, "tags", "mlflow.source.name").is_null());
  EXPECT_EQ(find_kv(run, "tags", "mlflow.source.type"), "LOCAL");

  ok(mlflow_run_end(named.get(), MLFLOW_RUN_KILLED), "end");
  run = get_run(client.get(), id);
  EXPECT_EQ(run["info"]["status"], "KILLED");
  EXPECT_TRUE(run["info"].contains("end_time"));

  // Without a name, MLflow's adjective-noun-NNN.
  RunPtr generated = start_run(client.get());
  const std::string name = get_run(client.get(), mlflow_run_id(generated.get()))["info"]["run_name"];
  const auto first = name.find('-'), last = name.rfind('-');
  ASSERT_NE(first, std::string::npos) << name;
  ASSERT_NE(first, last) << name;
  EXPECT_EQ(name.substr(last + 1).find_first_not_of("0123456789"), std::string::npos) << name;
}

TEST_F(CAbi, MetricsKeepValueTimestampStepAndNonFiniteValues) {
  RunPtr run = start_run(client.get());
  const std::string id = mlflow_run_id(run.get());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  ok(mlflow_run_log_metric(run.get(), "v", 0.5, 1000, 0), "0.5");
  ok(mlflow_run_log_metric(run.get(), "v", nan, 1001, 1), "nan");
  ok(mlflow_run_log_metric(run.get(), "v", inf, 1002, 2), "inf");
  ok(mlflow_run_log_metric(run.get(), "v", -inf, 1003, 3), "-inf");
  ok(mlflow_run_log_metric(run.get(), "v", -1e-300, 1004, 4), "tiny");
  ok(mlflow_run_log_metric(run.get(), "v", 7.0, 1005, -5), "negative step");
  ok(mlflow_run_end(run.get(), MLFLOW_RUN_FINISHED), "end");

  json points = history(client.get(), id, "v");
  ASSERT_EQ(points.size(), 6u) << points.dump();
  std::map<int64_t, json> by_step;
  for (auto& p : points) by_step[p["step"].get<int64_t>()] = p;
  EXPECT_EQ(by_step[0]["value"], 0.5);
  EXPECT_EQ(by_step[0]["timestamp"], 1000);
  EXPECT_EQ(by_step[1]["value"], "NaN");
  // MLflow's store keeps ±inf as ±DBL_MAX.
  EXPECT_EQ(by_step[2]["value"].get<double>(), DBL_MAX);
  EXPECT_EQ(by_step[3]["value"].get<double>(), -DBL_MAX);
  EXPECT_EQ(by_step[4]["value"].get<double>(), -1e-300);
  EXPECT_EQ(by_step[-5]["value"].get<double>(), 7.0);
  EXPECT_EQ(by_step[-5]["timestamp"], 1005);

  // The latest metric is the one with the highest step.
  EXPECT_EQ(latest_metric(get_run(client.get(), id), "v")["step"], 4);
}

TEST_F(CAbi, HundredsOfStepsArriveInOrder) {
  RunPtr run = start_run(client.get());
  const std::string id = mlflow_run_id(run.get());
  for (int step = 0; step < 500; ++step) {
    ok(mlflow_run_log_metric(run.get(), "loss", 1.0 / (step + 1), MLFLOW_TIMESTAMP_NOW, step), "log");
  }
  ok(mlflow_client_flush(client.get(), 30000), "flush");
  json points = history(client.get(), id, "loss");
  ASSERT_EQ(points.size(), 500u);
  for (size_t i = 0; i < points.size(); ++i) {
    const int64_t step = points[i]["step"];
    EXPECT_DOUBLE_EQ(points[i]["value"].get<double>(), 1.0 / static_cast<double>(step + 1));
    EXPECT_GT(points[i]["timestamp"].get<int64_t>(), 1600000000000) << "MLFLOW_TIMESTAMP_NOW stamps the current time";
  }
  EXPECT_EQ(latest_metric(get_run(client.get(), id), "loss")["step"], 499);
}

TEST_F(CAbi, ParamsAreImmutableAndLongValuesTruncatedAsMlflowDoes) {
  RunPtr run = start_run(client.get());
  const std::string id = mlflow_run_id(run.get());
  ok(mlflow_run_log_param(run.get(), "lr", "0.01"), "param");
  ok(mlflow_run_log_param(run.get(), "lr", "0.01"), "same value again is fine");
  EXPECT_EQ(mlflow_run_log_param(run.get(), "lr", "0.02"), MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("Changing param values is not allowed"), std::string::npos) << last_error();

  const std::string long_param(7000, 'p'), long_tag(9000, 't');
  ok(mlflow_run_log_param(run.get(), "long", long_param.c_str()), "long param");
  ok(mlflow_run_set_tag(run.get(), "long", long_tag.c_str()), "long tag");
  ok(mlflow_run_log_param(run.get(), "empty", ""), "empty param");
  ok(mlflow_run_end(run.get(), MLFLOW_RUN_FINISHED), "end");

  json data = get_run(client.get(), id);
  EXPECT_EQ(find_kv(data, "params", "lr"), "0.01");
  EXPECT_EQ(find_kv(data, "params", "long").get<std::string>(), long_param.substr(0, 6000));
  EXPECT_EQ(find_kv(data, "tags", "long").get<std::string>(), long_tag.substr(0, 8000));
  EXPECT_EQ(find_kv(data, "params", "empty"), "");
}

TEST_F(CAbi, TagsAreUpsertedAndLengthTakingCallsReadOnlyTheirBytes) {
  RunPtr run = start_run(client.get());
  const std::string id = mlflow_run_id(run.get());
  ok(mlflow_run_set_tag(run.get(), "stage", "one"), "tag");
  ok(mlflow_run_set_tag(run.get(), "stage", "two"), "tag again");
  // Not NUL-terminated where the length ends: only the given bytes count.
  const char buffer[] = "accuracyXXXX";
  ok(mlflow_run_log_metric_n(run.get(), buffer, 8, 0.9, 5, 0), "metric_n");
  ok(mlflow_run_log_param_n(run.get(), "modelXX", 5, "resnet50XX", 8), "param_n");
  ok(mlflow_run_set_tag_n(run.get(), "teamXX", 4, "vision", MLFLOW_NUL_TERMINATED), "tag_n");
  ok(mlflow_run_set_tag_n(run.get(), "unicode", MLFLOW_NUL_TERMINATED, "\xc3\xa9t\xc3\xa9", 5), "utf-8 value");
  ok(mlflow_client_flush(client.get(), 10000), "flush");

  json data = get_run(client.get(), id);
  EXPECT_EQ(find_kv(data, "tags", "stage"), "two");
  EXPECT_EQ(latest_metric(data, "accuracy")["value"], 0.9);
  EXPECT_EQ(find_kv(data, "params", "model"), "resnet50");
  EXPECT_EQ(find_kv(data, "tags", "team"), "vision");
  EXPECT_EQ(find_kv(data, "tags", "unicode"), "\xc3\xa9t\xc3\xa9");
}

TEST_F(CAbi, BatchesArriveWholeOrNotAtAll) {
  RunPtr run = start_run(client.get());
  const std::string id = mlflow_run_id(run.get());
  std::vector<mlflow_metric> metrics;
  for (int64_t step = 0; step < 100; ++step) {
    metrics.push_back({"batch_loss", MLFLOW_NUL_TERMINATED, 100.0 - static_cast<double>(step), 2000 + step, step});
  }
  mlflow_kv params[] = {{"optimizer", MLFLOW_NUL_TERMINATED, "adam", MLFLOW_NUL_TERMINATED},
                        {"layersXX", 6, "12", 2}};
  mlflow_kv tags[] = {{"phase", MLFLOW_NUL_TERMINATED, "train", MLFLOW_NUL_TERMINATED}};
  ok(mlflow_run_log_batch(run.get(), metrics.data(), metrics.size(), params, 2, tags, 1), "batch");
  // Empty arrays may be NULL.
  ok(mlflow_run_log_batch(run.get(), nullptr, 0, nullptr, 0, nullptr, 0), "empty batch");

  // One bad key spoils the whole batch: nothing of it is queued.
  mlflow_metric bad[] = {{"good_one", MLFLOW_NUL_TERMINATED, 1.0, 3000, 0}, {"", 0, 2.0, 3000, 0}};
  mlflow_kv bad_params[] = {{"from_bad_batch", MLFLOW_NUL_TERMINATED, "x", MLFLOW_NUL_TERMINATED}};
  EXPECT_EQ(mlflow_run_log_batch(run.get(), bad, 2, bad_params, 1, nullptr, 0), MLFLOW_ERR_INVALID_ARGUMENT);
  // Duplicate param keys in one batch are refused, as MLflow refuses them.
  mlflow_kv dup[] = {{"k", MLFLOW_NUL_TERMINATED, "1", MLFLOW_NUL_TERMINATED},
                     {"k", MLFLOW_NUL_TERMINATED, "2", MLFLOW_NUL_TERMINATED}};
  EXPECT_EQ(mlflow_run_log_batch(run.get(), nullptr, 0, dup, 2, nullptr, 0), MLFLOW_ERR_INVALID_ARGUMENT);
  // MLflow's limit: at most 1000 metrics per batch.
  std::vector<mlflow_metric> too_many(1001, mlflow_metric{"many", MLFLOW_NUL_TERMINATED, 1.0, 3000, 0});
  EXPECT_EQ(mlflow_run_log_batch(run.get(), too_many.data(), too_many.size(), nullptr, 0, nullptr, 0),
            MLFLOW_ERR_INVALID_ARGUMENT);
  EXPECT_NE(last_error().find("1000"), std::string::npos) << last_error();
  ok(mlflow_run_end(run.get(), MLFLOW_RUN_FINISHED), "end");

  json data = get_run(client.get(), id);
  EXPECT_EQ(history(client.get(), id, "batch_loss").size(), 100u);
  EXPECT_EQ(latest_metric(data, "batch_loss")["value"], 1.0);
  EXPECT_EQ(find_kv(data, "params", "optimizer"), "adam");
  EXPECT_EQ(find_kv(data, "params", "layers"), "12");
  EXPECT_EQ(find_kv(data, "tags", "phase"), "train");
  EXPECT_TRUE(latest_metric(data, "good_one").is_null());
  EXPECT_TRUE(find_kv(data, "params", "from_bad_batch").is_null());
  EXPECT_TRUE(find_kv(data, "params", "k").is_null());
  EXPECT_TRUE(latest_metric(data, "many").is_null());
}

TEST_F(CAbi, NestedRunsPointToTheirParentAndSearchFindsThem) {
  char* exp = nullptr;
  ok(mlflow_client_set_experiment(client.get(), "nested", &exp), "set_experiment");
  StringPtr exp_owner(exp, mlflow_string_free);
  RunPtr parent = start_run(client.get(), exp, "parent");
  const std::string parent_id = mlflow_run_id(parent.get());
  RunPtr child_a = start_run(client.get(), exp, "child-a", parent_id.c_str());
  RunPtr child_b = start_run(client.get(), exp, "child-b", parent_id.c_str());
  ok(mlflow_run_log_metric(child_a.get(), "acc", 0.7, 1000, 0), "a");
  ok(mlflow_run_log_metric(child_b.get(), "acc", 0.9, 1000, 0), "b");
  ok(mlflow_run_log_metric(parent.get(), "acc", 0.1, 1000, 0), "parent");
  for (mlflow_run* r : {child_a.get(), child_b.get(), parent.get()}) ok(mlflow_run_end(r, MLFLOW_RUN_FINISHED), "end");

  EXPECT_EQ(find_kv(get_run(client.get(), mlflow_run_id(child_a.get())), "tags", "mlflow.parentRunId"), parent_id);
  EXPECT_TRUE(find_kv(get_run(client.get(), parent_id), "tags", "mlflow.parentRunId").is_null());

  json found = call(client.get(), "runs/search",
                    {{"experiment_ids", {exp}},
                     {"filter", "tags.mlflow.parentRunId = '" + parent_id + "' and metrics.acc > 0.5"},
                     {"order_by", {"metrics.acc DESC"}}});
  ASSERT_EQ(found["runs"].size(), 2u) << found.dump();
  EXPECT_EQ(found["runs"][0]["info"]["run_name"], "child-b");
  EXPECT_EQ(found["runs"][1]["info"]["run_name"], "child-a");

  json page = call(client.get(), "runs/search", {{"experiment_ids", {exp}}, {"max_results", 2}});
  EXPECT_EQ(page["runs"].size(), 2u);
  ASSERT_TRUE(page.contains("next_page_token"));
  json rest = call(client.get(), "runs/search",
                   {{"experiment_ids", {exp}}, {"max_results", 2}, {"page_token", page["next_page_token"]}});
  EXPECT_EQ(rest["runs"].size(), 1u);
}

TEST_F(CAbi, ResumedRunsRunAgainAndAttachedRunsKeepTheirStatus) {
  RunPtr first = start_run(client.get());
  const std::string id = mlflow_run_id(first.get());
  ok(mlflow_run_log_metric(first.get(), "m", 1.0, 1000, 0), "log");
  ok(mlflow_run_end(first.get(), MLFLOW_RUN_FAILED), "end");
  EXPECT_EQ(run_status(client.get(), id), "FAILED");

  mlflow_run* attached = nullptr;
  ok(mlflow_client_attach_run(client.get(), id.c_str(), &attached), "attach");
  RunPtr attached_owner(attached, mlflow_run_free);
  EXPECT_STREQ(mlflow_run_id(attached), id.c_str());
  ok(mlflow_run_log_metric(attached, "m", 2.0, 1001, 1), "log attached");
  ok(mlflow_client_flush(client.get(), 10000), "flush");
  EXPECT_EQ(run_status(client.get(), id), "FAILED");

  mlflow_run* resumed = nullptr;
  ok(mlflow_client_resume_run(client.get(), id.c_str(), &resumed), "resume");
  RunPtr resumed_owner(resumed, mlflow_run_free);
  EXPECT_EQ(run_status(client.get(), id), "RUNNING");
  ok(mlflow_run_log_metric(resumed, "m", 3.0, 1002, 2), "log resumed");
  ok(mlflow_run_end(resumed, MLFLOW_RUN_FINISHED), "end resumed");
  EXPECT_EQ(run_status(client.get(), id), "FINISHED");
  EXPECT_EQ(history(client.get(), id, "m").size(), 3u);
}

TEST_F(CAbi, ARunHandleKeepsItsClientAliveAfterTheClientIsFreed) {
  RunPtr run = start_run(client.get());
  const std::string id = mlflow_run_id(run.get());
  client.reset();  // the handle still works: the client closes when the run handle goes too
  ok(mlflow_run_log_metric(run.get(), "late", 4.0, 1000, 0), "log after client free");
  ok(mlflow_run_end(run.get(), MLFLOW_RUN_FINISHED), "end after client free");
  run.reset();

  ClientPtr reader = open_client(dir);
  EXPECT_EQ(run_status(reader.get(), id), "FINISHED");
  EXPECT_EQ(latest_metric(get_run(reader.get(), id), "late")["value"], 4.0);
}

TEST_F(CAbi, ManyThreadsLogToOneRunAndNothingIsLost) {
  RunPtr run = start_run(client.get());
  const std::string id = mlflow_run_id(run.get());
  constexpr int kThreads = 4, kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "thread_" + std::to_string(t);
      for (int step = 0; step < kPerThread; ++step) {
        ok(mlflow_run_log_metric(run.get(), key.c_str(), step, 1000 + step, step), "log");
      }
    });
  }
  for (auto& th : threads) th.join();
  ok(mlflow_run_end(run.get(), MLFLOW_RUN_FINISHED), "end");
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(history(client.get(), id, "thread_" + std::to_string(t)).size(), size_t{kPerThread});
  }
}

TEST_F(CAbi, TheJsonEntryPointServesTheLongTail) {
  json created = call(client.get(), "experiments/create", {{"name", "via-json"}});
  const std::string exp = created["experiment_id"];
  call(client.get(), "experiments/set-experiment-tag", {{"experiment_id", exp}, {"key", "team"}, {"value", "ml"}});
  json by_name = call(client.get(), "experiments/get-by-name", {{"experiment_name", "via-json"}});
  EXPECT_EQ(by_name["experiment"]["experiment_id"], exp);
  bool tagged = false;
  for (auto& t : by_name["experiment"]["tags"]) tagged |= t["key"] == "team" && t["value"] == "ml";
  EXPECT_TRUE(tagged) << by_name.dump();

  json run = call(client.get(), "runs/create", {{"experiment_id", exp}, {"run_name", "json-run"}})["run"];
  const std::string id = run["info"]["run_id"];
  call(client.get(), "runs/log-metric",
       {{"run_id", id}, {"key", "m"}, {"value", "NaN"}, {"timestamp", 1000}, {"step", 0}});
  call(client.get(), "runs/delete", {{"run_id", id}});
  json active = call(client.get(), "runs/search", {{"experiment_ids", {exp}}});
  EXPECT_FALSE(active.contains("runs")) << active.dump();
  json deleted = call(client.get(), "runs/search", {{"experiment_ids", {exp}}, {"run_view_type", "DELETED_ONLY"}});
  EXPECT_EQ(deleted["runs"].size(), 1u);

  // The request may come with an explicit length, without a terminator.
  const char request[] = "{\"experiment_id\":\"0\"}garbage";
  char* out = nullptr;
  size_t len = 0;
  ok(mlflow_client_call(client.get(), "experiments/get", request, 21, &out, &len), "call_n");
  StringPtr owner(out, mlflow_string_free);
  EXPECT_EQ(len, std::strlen(out));
  EXPECT_EQ(json::parse(out)["experiment"]["name"], "Default");
}

}  // namespace
