#include "registry_round_trip.hpp"

#include "onnx_linear.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <vector>

namespace support {

namespace {

/// Runs `f` and returns the status of the mlflow::Error it throws (MLFLOW_OK if none).
template <typename F>
mlflow_status status_of(F&& f) {
  try {
    f();
  } catch (const mlflow::Error& e) {
    return e.status();
  }
  return MLFLOW_OK;
}

std::set<std::int64_t> version_numbers(const std::vector<mlflow::ModelVersion>& versions) {
  std::set<std::int64_t> out;
  for (const auto& v : versions) out.insert(v.version);
  return out;
}

}  // namespace

void write_tiny_onnx(const std::string& path) {
  std::ofstream(path, std::ios::binary) << onnx_linear::linear_model({2.0f, -1.0f}, 0.5f);
}

void registry_round_trip(const mlflow::Client& client, const std::string& prefix, const std::string& run_id) {
  const std::string name = prefix + "-a";
  const std::string other = prefix + "-b";
  const std::string source = "runs:/" + run_id + "/model";

  // Registered models: create with tags and description, read back, update, tag.
  mlflow::RegisteredModel created = client.create_registered_model(name, {{"team", "ml"}}, "first");
  EXPECT_EQ(created.name, name);
  EXPECT_EQ(created.description, "first");
  EXPECT_EQ(created.tags, (mlflow::StringMap{{"team", "ml"}}));
  EXPECT_GT(created.creation_timestamp, 0);
  EXPECT_EQ(status_of([&] { client.create_registered_model(name); }), MLFLOW_ERR_ALREADY_EXISTS);
  EXPECT_EQ(client.update_registered_model(name, "second").description, "second");
  client.set_registered_model_tag(name, "stage", "beta");
  client.delete_registered_model_tag(name, "team");
  EXPECT_EQ(client.get_registered_model(name).tags, (mlflow::StringMap{{"stage", "beta"}}));
  client.create_registered_model(other);

  // Versions 1, 2, 3 from the run.
  for (int i = 1; i <= 3; ++i) {
    const mlflow::ModelVersion v =
        client.create_model_version(name, source, run_id, {{"i", std::to_string(i)}}, {}, "v" + std::to_string(i));
    EXPECT_EQ(v.version, i);
    EXPECT_EQ(v.name, name);
    EXPECT_EQ(v.source, source);
    EXPECT_EQ(v.run_id, run_id);
    EXPECT_EQ(v.current_stage, "None");
    EXPECT_EQ(v.status, "READY");
    EXPECT_EQ(v.tags, (mlflow::StringMap{{"i", std::to_string(i)}}));
  }
  EXPECT_EQ(client.get_model_version(name, 2).description, "v2");
  EXPECT_EQ(client.update_model_version(name, 2, "updated").description, "updated");
  client.set_model_version_tag(name, 2, "quality", "good");
  client.delete_model_version_tag(name, 2, "i");
  EXPECT_EQ(client.get_model_version(name, 2).tags, (mlflow::StringMap{{"quality", "good"}}));
  EXPECT_FALSE(client.get_model_version_download_uri(name, 1).empty());

  // Stages: names in any case are written canonically; archive_existing_versions archives the
  // other version in Production.
  EXPECT_EQ(client.transition_model_version_stage(name, 1, "staging").current_stage, "Staging");
  EXPECT_EQ(client.transition_model_version_stage(name, 2, "Production").current_stage, "Production");
  EXPECT_EQ(client.transition_model_version_stage(name, 3, "PRODUCTION", true).current_stage, "Production");
  EXPECT_EQ(client.get_model_version(name, 2).current_stage, "Archived");
  EXPECT_EQ(client.get_model_version(name, 1).current_stage, "Staging");
  const auto production = client.get_latest_versions(name, {"Production"});
  ASSERT_EQ(production.size(), 1u);
  EXPECT_EQ(production[0].version, 3);
  EXPECT_EQ(version_numbers(client.get_latest_versions(name)), (std::set<std::int64_t>{1, 2, 3}));

  // Aliases: set, move, read by alias, delete (twice: not an error).
  client.set_registered_model_alias(name, "champion", 3);
  client.set_registered_model_alias(name, "challenger", 1);
  const mlflow::ModelVersion champion = client.get_model_version_by_alias(name, "champion");
  EXPECT_EQ(champion.version, 3);
  EXPECT_NE(std::find(champion.aliases.begin(), champion.aliases.end(), "champion"), champion.aliases.end());
  EXPECT_EQ(client.get_registered_model(name).aliases,
            (std::map<std::string, std::int64_t>{{"challenger", 1}, {"champion", 3}}));
  client.set_registered_model_alias(name, "champion", 1);
  EXPECT_EQ(client.get_model_version_by_alias(name, "champion").version, 1);
  client.delete_registered_model_alias(name, "challenger");
  client.delete_registered_model_alias(name, "challenger");
  EXPECT_EQ(client.get_registered_model(name).aliases, (std::map<std::string, std::int64_t>{{"champion", 1}}));
  // MLflow answers an unknown alias with INVALID_PARAMETER_VALUE (not RESOURCE_DOES_NOT_EXIST).
  EXPECT_EQ(status_of([&] { client.get_model_version_by_alias(name, "challenger"); }), MLFLOW_ERR_INVALID_ARGUMENT);

  // Search versions, one page at a time.
  const std::string by_name = "name = '" + name + "'";
  EXPECT_EQ(version_numbers(client.search_model_versions(by_name).items), (std::set<std::int64_t>{1, 2, 3}));
  const mlflow::PagedList<mlflow::ModelVersion> first = client.search_model_versions(by_name, 2);
  ASSERT_EQ(first.items.size(), 2u);
  ASSERT_FALSE(first.token.empty());
  const mlflow::PagedList<mlflow::ModelVersion> second = client.search_model_versions(by_name, 2, {}, first.token);
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_TRUE(second.token.empty());
  std::vector<mlflow::ModelVersion> both = first.items;
  both.push_back(second.items[0]);
  EXPECT_EQ(version_numbers(both), (std::set<std::int64_t>{1, 2, 3}));

  // A deleted version's number is never given again.
  client.delete_model_version(name, 3);
  EXPECT_EQ(status_of([&] { client.get_model_version(name, 3); }), MLFLOW_ERR_NOT_FOUND);
  EXPECT_EQ(client.create_model_version(name, source, run_id).version, 4);

  // Search registered models by prefix, one per page, ordered by name.
  const std::string like = "name LIKE '" + prefix + "-%'";
  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    const auto page = client.search_registered_models(like, 1, {"name ASC"}, token);
    for (const auto& m : page.items) names.push_back(m.name);
    token = page.token;
  } while (!token.empty() && ++pages < 10);
  EXPECT_EQ(names, (std::vector<std::string>{name, other}));

  // Rename: the versions and aliases follow; the old name is gone.
  const std::string renamed = prefix + "-renamed";
  EXPECT_EQ(client.rename_registered_model(name, renamed).name, renamed);
  EXPECT_EQ(status_of([&] { client.get_registered_model(name); }), MLFLOW_ERR_NOT_FOUND);
  EXPECT_EQ(client.get_model_version_by_alias(renamed, "champion").version, 1);
  EXPECT_EQ(client.get_model_version(renamed, 4).name, renamed);

  // Delete: the model and its versions.
  client.delete_registered_model(renamed);
  client.delete_registered_model(other);
  EXPECT_EQ(status_of([&] { client.get_registered_model(renamed); }), MLFLOW_ERR_NOT_FOUND);
  EXPECT_TRUE(client.search_model_versions("name = '" + renamed + "'").items.empty());
  EXPECT_TRUE(client.search_registered_models(like).items.empty());
}

}  // namespace support
