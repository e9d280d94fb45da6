// The C++ layer's ownership: runs end FINISHED when their scope ends normally and FAILED when an
// exception unwinds it, handles are move-only and moves transfer ownership exactly once.
#include <mlflow/mlflow.hpp>

#include "support.hpp"

#include <gtest/gtest.h>

#include <type_traits>

using namespace support;

namespace {

static_assert(!std::is_copy_constructible_v<mlflow::Client> && !std::is_copy_assignable_v<mlflow::Client>);
static_assert(!std::is_copy_constructible_v<mlflow::Run> && !std::is_copy_assignable_v<mlflow::Run>);
static_assert(!std::is_copy_constructible_v<mlflow::Options> && !std::is_copy_assignable_v<mlflow::Options>);
static_assert(std::is_nothrow_move_constructible_v<mlflow::Client>);
static_assert(std::is_nothrow_move_assignable_v<mlflow::Client>);
static_assert(std::is_nothrow_move_constructible_v<mlflow::Run> && std::is_nothrow_move_assignable_v<mlflow::Run>);
static_assert(std::is_nothrow_move_constructible_v<mlflow::Options>);
static_assert(std::is_nothrow_destructible_v<mlflow::Run> && std::is_nothrow_destructible_v<mlflow::Client>);

mlflow::Client open(const TempDir& dir) {
  return mlflow::Client(mlflow::Options().tracking_uri(dir.uri()).artifact_root((dir.path() / "mlruns").string()));
}

class CppRaii : public testing::Test {
 protected:
  TempDir dir;
  mlflow::Client client = open(dir);
  std::string status_of(std::string_view run_id) { return run_status(client.get(), std::string(run_id)); }
};

struct TrainingDiverged : std::runtime_error {
  TrainingDiverged() : std::runtime_error("loss is NaN") {}
};

TEST_F(CppRaii, ARunLeavingItsScopeNormallyEndsFinished) {
  std::string id;
  {
    mlflow::Run run = client.start_run();
    id = run.id();
    run.log_metric("loss", 0.5, 1);
    EXPECT_EQ(status_of(id), "RUNNING");
  }
  EXPECT_EQ(status_of(id), "FINISHED");
  EXPECT_EQ(latest_metric(get_run(client.get(), id), "loss")["value"], 0.5);
}

TEST_F(CppRaii, ARunUnwoundByAnExceptionEndsFailed) {
  std::string id;
  EXPECT_THROW(
      {
        mlflow::Run run = client.start_run();
        id = run.id();
        run.log_metric("loss", 0.25, 7);
        throw TrainingDiverged();
      },
      TrainingDiverged);
  EXPECT_EQ(status_of(id), "FAILED");
  // What was logged before the exception is kept.
  EXPECT_EQ(latest_metric(get_run(client.get(), id), "loss")["step"], 7);
}

// A guard whose destructor starts and finishes a whole run while an exception is in flight: the
// run's own scope ends normally, so it is FINISHED (the count of uncaught exceptions is compared
// with the one at the run's start, not merely tested for non-zero).
struct CleanupThatLogsARun {
  mlflow::Client* client;
  std::string* id;
  ~CleanupThatLogsARun() {
    mlflow::Run run = client->start_run();
    *id = run.id();
    run.set_tag("phase", "cleanup");
  }
};

TEST_F(CppRaii, ARunStartedAndEndedDuringUnwindingIsFinished) {
  std::string id;
  try {
    CleanupThatLogsARun guard{&client, &id};
    throw TrainingDiverged();
  } catch (const TrainingDiverged&) {
  }
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(status_of(id), "FINISHED");
}

TEST_F(CppRaii, AnExplicitEndWinsAndTheDestructorDoesNotEndAgain) {
  std::string id;
  {
    mlflow::Run run = client.start_run();
    id = run.id();
    run.end(mlflow::RunStatus::Killed);
    EXPECT_THROW(run.log_metric("late", 1.0), mlflow::Error);
  }
  EXPECT_EQ(status_of(id), "KILLED");
}

TEST_F(CppRaii, AnAttachedRunIsNeverEndedImplicitly) {
  std::string id;
  {
    mlflow::Run run = client.start_run();
    id = run.id();
    run.end(mlflow::RunStatus::Finished);
  }
  {
    mlflow::Run attached = client.attach_run(id);
    attached.log_metric("post_hoc", 3.0, 0);
  }
  EXPECT_THROW(
      {
        mlflow::Run attached = client.attach_run(id);
        throw TrainingDiverged();
      },
      TrainingDiverged);
  EXPECT_EQ(status_of(id), "FINISHED");
  EXPECT_EQ(latest_metric(get_run(client.get(), id), "post_hoc")["value"], 3.0);
}

TEST_F(CppRaii, AResumedRunEndsLikeAStartedOne) {
  std::string id;
  {
    mlflow::Run run = client.start_run();
    id = run.id();
  }
  EXPECT_THROW(
      {
        mlflow::Run resumed = client.resume_run(id);
        EXPECT_EQ(status_of(id), "RUNNING");
        throw TrainingDiverged();
      },
      TrainingDiverged);
  EXPECT_EQ(status_of(id), "FAILED");
}

TEST_F(CppRaii, MovingARunTransfersItsEndingExactlyOnce) {
  mlflow::Run first = client.start_run("0", "first");
  const std::string first_id(first.id());
  mlflow::Run moved(std::move(first));
  EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(first.get(), nullptr);
  EXPECT_TRUE(first.id().empty());
  EXPECT_EQ(moved.id(), first_id);
  moved.log_metric("m", 1.0, 0);
  // Using the moved-from handle is a clear error, not a crash.
  try {
    first.log_metric("m", 2.0, 0);
    FAIL() << "logging through a moved-from Run must throw";
  } catch (const mlflow::Error& e) {
    EXPECT_EQ(e.status(), MLFLOW_ERR_NULL_ARGUMENT);
  }
  EXPECT_EQ(status_of(first_id), "RUNNING");

  // Assigning over a live run ends that run (FINISHED) before taking the other one.
  mlflow::Run second = client.start_run("0", "second");
  const std::string second_id(second.id());
  moved = std::move(second);
  EXPECT_EQ(status_of(first_id), "FINISHED");
  EXPECT_EQ(status_of(second_id), "RUNNING");
  EXPECT_EQ(moved.id(), second_id);

  // A run returned from a function and kept in a container is still ended once, at the end.
  std::vector<mlflow::Run> runs;
  runs.push_back(std::move(moved));
  runs.push_back(client.start_run());
  const std::string third_id(runs.back().id());
  runs.clear();
  EXPECT_EQ(status_of(second_id), "FINISHED");
  EXPECT_EQ(status_of(third_id), "FINISHED");
}

TEST_F(CppRaii, MovingAClientKeepsItsRunsWorking) {
  mlflow::Run run = client.start_run();
  const std::string id(run.id());
  mlflow::Client other(std::move(client));
  EXPECT_EQ(client.get(), nullptr);  // NOLINT(bugprone-use-after-move)
  try {
    client.set_experiment("x");
    FAIL() << "a moved-from Client must throw";
  } catch (const mlflow::Error& e) {
    EXPECT_EQ(e.status(), MLFLOW_ERR_NULL_ARGUMENT);
  }
  run.log_metric("m", 2.0, 0);
  run.end();
  EXPECT_EQ(run_status(other.get(), id), "FINISHED");

  mlflow::Client third = open(dir);
  third = std::move(other);  // frees third's own client, takes other's
  EXPECT_EQ(run_status(third.get(), id), "FINISHED");
}

TEST_F(CppRaii, ARunMayOutliveItsClientObject) {
  std::string id;
  {
    mlflow::Run run = [&] {
      mlflow::Client local = open(dir);
      return local.start_run();
    }();
    id = run.id();
    run.log_metric("after_client", 9.0, 0);
  }
  EXPECT_EQ(status_of(id), "FINISHED");
  EXPECT_EQ(latest_metric(get_run(client.get(), id), "after_client")["value"], 9.0);
}

TEST_F(CppRaii, ClosingTheClientEndsItsOpenRunsAndLaterDestructorsStayQuiet) {
  mlflow::Run run = client.start_run();
  const std::string id(run.id());
  run.log_metric("m", 1.0, 0);
  const mlflow::CloseReport report = client.close();
  EXPECT_TRUE(report.clean());
  EXPECT_GE(report.written, 1u);
  try {
    run.log_metric("m", 2.0, 1);
    FAIL() << "logging after close must throw";
  } catch (const mlflow::Error& e) {
    EXPECT_EQ(e.status(), MLFLOW_ERR_CLOSED);
  }
  // The Run's destructor (end on a closed client) must not throw or crash.
  { mlflow::Run gone = std::move(run); }
  mlflow::Client reader = open(dir);
  EXPECT_EQ(run_status(reader.get(), id), "FINISHED");
}

}  // namespace
