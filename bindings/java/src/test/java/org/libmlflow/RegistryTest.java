package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The model registry through the Java API on a sqlite store, with MLflow's semantics (stages,
 * archive_existing_versions, aliases, version numbers never reused, search and paging), read
 * back by MLflow 3.17.2's own Python client; and bad input refused with the right {@link
 * ErrorKind}, leaving nothing half-registered.
 */
class RegistryTest {
  static List<String> versions(List<ModelVersion> list) {
    return list.stream().map(ModelVersion::getVersion).collect(Collectors.toList());
  }

  static MlflowClientException refused(ErrorKind kind, Executable call) {
    MlflowClientException e = assertThrows(MlflowClientException.class, call);
    assertEquals(kind, e.getKind(), e.getMessage());
    return e;
  }

  @Test
  void registryRoundTripIsWhatMlflowReads() throws Exception {
    try (TempStore store = new TempStore();
        MlflowClient client = store.client()) {
      String runId = client.createRun("0").getRunId();
      String name = "java-registry";
      RegisteredModel created = client.createRegisteredModel(name, Map.of("team", "jvm"), "first");
      assertEquals(name, created.getName());
      assertEquals("first", created.getDescription());
      assertEquals("jvm", created.getTag("team").orElseThrow());
      assertTrue(created.getCreationTimestamp() > 0);
      refused(ErrorKind.ALREADY_EXISTS, () -> client.createRegisteredModel(name));

      String source = client.getRun(runId).getInfo().getArtifactUri() + "/model";
      for (int i = 1; i <= 3; i++) {
        ModelVersion v = client.createModelVersion(name, source, runId);
        assertEquals(String.valueOf(i), v.getVersion());
        assertEquals("None", v.getCurrentStage());
        assertEquals("READY", v.getStatus());
        assertEquals(runId, v.getRunId());
        assertEquals(source, v.getSource());
      }
      client.setRegisteredModelTag(name, "owner", "ml-team");
      client.setRegisteredModelTag(name, "gone", "soon");
      client.deleteRegisteredModelTag(name, "gone");
      client.setModelVersionTag(name, "3", "validated", "true");
      client.setModelVersionTag(name, "3", "gone", "soon");
      client.deleteModelVersionTag(name, "3", "gone");
      assertEquals("second", client.updateRegisteredModel(name, "second").getDescription());
      assertEquals("best so far", client.updateModelVersion(name, "3", "best so far").getDescription());

      // Stages: any case in, canonical out; archive_existing_versions moves the old Production.
      assertEquals("Production", client.transitionModelVersionStage(name, "1", "production").getCurrentStage());
      assertEquals("Staging", client.transitionModelVersionStage(name, "2", "STAGING").getCurrentStage());
      assertEquals("Production", client.transitionModelVersionStage(name, "3", "Production", true).getCurrentStage());
      assertEquals("Archived", client.getModelVersion(name, "1").getCurrentStage());
      assertEquals(List.of("1", "2", "3"), versions(client.getLatestVersions(name)));
      assertEquals(List.of("3"), versions(client.getLatestVersions(name, List.of("production"))));

      // Aliases.
      client.setRegisteredModelAlias(name, "champion", "2");
      client.setRegisteredModelAlias(name, "champion", "3"); // moves
      client.setRegisteredModelAlias(name, "challenger", "2");
      ModelVersion champion = client.getModelVersionByAlias(name, "champion");
      assertEquals("3", champion.getVersion());
      assertEquals(List.of("champion"), champion.getAliasesList());
      assertEquals("3", client.getRegisteredModel(name).getAliasVersion("champion").orElseThrow());
      client.deleteRegisteredModelAlias(name, "challenger");
      // MLflow reports an unknown alias as INVALID_PARAMETER_VALUE, not RESOURCE_DOES_NOT_EXIST.
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.getModelVersionByAlias(name, "challenger"));

      // Deleting version 2 never frees its number.
      client.deleteModelVersion(name, "2");
      refused(ErrorKind.NOT_FOUND, () -> client.getModelVersion(name, "2"));
      assertEquals("4", client.createModelVersion(name, source, runId).getVersion());

      // Searches, with paging.
      client.createRegisteredModel("java-other");
      assertEquals(
          List.of("java-other", "java-registry"),
          client.searchRegisteredModels("name LIKE 'java-%'", 10, List.of("name ASC")).getItems().stream()
              .map(RegisteredModel::getName)
              .collect(Collectors.toList()));
      ModelVersionsPage first = client.searchModelVersions("name = '" + name + "'", 2, List.of("version_number DESC"));
      assertEquals(List.of("4", "3"), versions(first.getItems()));
      assertTrue(first.hasNextPage());
      ModelVersionsPage second = first.getNextPage();
      assertEquals(List.of("1"), versions(second.getItems()));
      assertFalse(second.hasNextPage());
      assertEquals(List.of("1", "3", "4"), versions(client.searchModelVersions("", 10, List.of("version_number ASC")).getItems()));

      assertTrue(client.getModelVersionDownloadUri(name, "3").endsWith("/model"), client.getModelVersionDownloadUri(name, "3"));

      // What MLflow's own client reads.
      List<String> facts = VenvPython.run("registry.py", store.uri, name);
      assertTrue(facts.contains("name java-registry"), facts.toString());
      assertTrue(facts.contains("description second"), facts.toString());
      assertTrue(facts.contains("tag team jvm"), facts.toString());
      assertTrue(facts.contains("tag owner ml-team"), facts.toString());
      assertFalse(facts.stream().anyMatch(f -> f.startsWith("tag gone")), facts.toString());
      assertTrue(facts.contains("alias champion 3 3"), facts.toString());
      assertFalse(facts.stream().anyMatch(f -> f.startsWith("alias challenger")), facts.toString());
      assertTrue(facts.contains("version 1 Archived READY " + runId + " " + source), facts.toString());
      assertTrue(facts.contains("version 3 Production READY " + runId + " " + source), facts.toString());
      assertTrue(facts.contains("version 4 None READY " + runId + " " + source), facts.toString());
      assertFalse(facts.stream().anyMatch(f -> f.startsWith("version 2 ")), facts.toString());
      assertTrue(facts.contains("version-description 3 best so far"), facts.toString());
      assertTrue(facts.contains("version-tag 3 validated true"), facts.toString());
      assertTrue(facts.contains("latest Production 3"), facts.toString());

      // Rename: versions and aliases follow; the old name is gone.
      RegisteredModel renamed = client.renameRegisteredModel(name, "java-renamed");
      assertEquals("java-renamed", renamed.getName());
      assertEquals("3", client.getModelVersionByAlias("java-renamed", "champion").getVersion());
      refused(ErrorKind.NOT_FOUND, () -> client.getRegisteredModel(name));
      client.deleteRegisteredModel("java-renamed");
      refused(ErrorKind.NOT_FOUND, () -> client.getRegisteredModel("java-renamed"));
      assertEquals(List.of("java-other"), client.searchRegisteredModels().getItems().stream()
          .map(RegisteredModel::getName).collect(Collectors.toList()));
    }
  }

  @Test
  void badInputIsRefusedAndNothingIsHalfRegistered() throws Exception {
    try (TempStore store = new TempStore();
        MlflowClient client = store.client()) {
      String runId = client.createRun("0").getRunId();
      // Forbidden names: nothing created.
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.createRegisteredModel("a/b"));
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.createRegisteredModel("a:b"));
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.createRegisteredModel(" "));
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.registerModel("runs:/" + runId + "/model", "x/y"));
      assertEquals(0, client.searchRegisteredModels().getPageSize());

      String source = client.getRun(runId).getInfo().getArtifactUri() + "/model";
      refused(ErrorKind.NOT_FOUND, () -> client.createModelVersion("unknown", source, runId));
      assertEquals(0, client.searchModelVersions().getPageSize());
    }
    try (TempStore store = new TempStore();
        MlflowClient client = store.client()) {
      String runId = client.createRun("0").getRunId();
      String name = "guarded";
      String source = client.getRun(runId).getInfo().getArtifactUri() + "/model";
      client.createRegisteredModel(name);
      client.createModelVersion(name, source, runId);
      client.createModelVersion(name, source, runId);

      // Stages: none of MLflow's four; archiving into a stage that is not active.
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.transitionModelVersionStage(name, "1", "Prod"));
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.transitionModelVersionStage(name, "1", "Archived", true));
      assertEquals("None", client.getModelVersion(name, "1").getCurrentStage());
      // Versions that are not numbers, or do not exist.
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.getModelVersion(name, "one"));
      refused(ErrorKind.NOT_FOUND, () -> client.getModelVersion(name, "9"));
      // Aliases: reserved, malformed, on a deleted version.
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.setRegisteredModelAlias(name, "latest", "1"));
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.setRegisteredModelAlias(name, "v3", "1"));
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.setRegisteredModelAlias(name, "a b", "1"));
      client.deleteModelVersion(name, "1");
      refused(ErrorKind.NOT_FOUND, () -> client.setRegisteredModelAlias(name, "champion", "1"));
      assertTrue(client.getRegisteredModel(name).getAliasesList().isEmpty());
      // The alias of a version that is then deleted goes with it.
      client.setRegisteredModelAlias(name, "champion", "2");
      client.deleteModelVersion(name, "2");
      assertEquals("INVALID_PARAMETER_VALUE",
          refused(ErrorKind.INVALID_ARGUMENT, () -> client.getModelVersionByAlias(name, "champion")).getErrorCode());

      // Models: an unknown flavor, a missing framework file, a malformed signature: nothing written.
      Path dest = store.dir.resolve("model-out");
      refused(ErrorKind.INVALID_ARGUMENT, () -> MlflowClient.saveModel(
          ModelSpec.builder("tensorflow").file(store.dir.resolve("m.pb")).build(), dest.toFile()));
      refused(ErrorKind.INVALID_ARGUMENT, () -> MlflowClient.saveModel(
          ModelSpec.builder("onnx").file(store.dir.resolve("missing.onnx")).build(), dest.toFile()));
      // The smallest ONNX ModelProto the builder accepts: ir_version 8 and a graph named "g".
      Path onnx = Files.write(store.dir.resolve("model.onnx"), new byte[] {8, 8, 0x3A, 3, 0x12, 1, 'g'});
      refused(ErrorKind.INVALID_ARGUMENT, () -> MlflowClient.saveModel(
          ModelSpec.builder("onnx").file(onnx).signature("[{\"type\": \"no-such-type\"}]", null).build(),
          dest.toFile()));
      assertFalse(Files.exists(dest), "nothing written");

      // log_model of a directory MLflow could not load, or with a forbidden registered name:
      // refused before anything is created or registered.
      Path notAModel = Files.createDirectories(store.dir.resolve("not-a-model"));
      LogModelOptions register = LogModelOptions.builder().registeredModelName("half").build();
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.logModel(runId, notAModel.toFile(), register));
      MlflowClient.saveModel(ModelSpec.builder("onnx").file(onnx).build(), dest.toFile());
      Files.delete(dest.resolve("model.onnx")); // the file its flavor names is missing
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.logModel(runId, dest.toFile(), register));
      refused(ErrorKind.INVALID_ARGUMENT, () -> client.logModel(runId, ModelSpec.builder("onnx").file(onnx).build(),
          LogModelOptions.builder().registeredModelName("bad/name").build()));
      refused(ErrorKind.NOT_FOUND, () -> client.logModel("0123456789abcdef0123456789abcdef",
          ModelSpec.builder("onnx").file(onnx).build(), register));
      assertEquals(List.of("guarded"), client.searchRegisteredModels().getItems().stream()
          .map(RegisteredModel::getName).collect(Collectors.toList()));
      assertTrue(client.getRun(runId).getInfo().getRunId().equals(runId));

      // Null arguments: NullPointerException naming the argument (the binding's rule).
      NullPointerException npe = assertThrows(NullPointerException.class, () -> client.getRegisteredModel(null));
      assertTrue(npe.getMessage().contains("name"), npe.getMessage());
      npe = assertThrows(NullPointerException.class, () -> client.setRegisteredModelAlias(name, "a", null));
      assertTrue(npe.getMessage().contains("version"), npe.getMessage());
      assertThrows(NullPointerException.class, () -> client.logModel(runId, (java.io.File) null, null));
      assertThrows(NullPointerException.class, () -> ModelSpec.builder(null));
      // A closed client refuses, without crashing.
      MlflowClient closed = store.client();
      closed.close();
      assertThrows(IllegalStateException.class, () -> closed.getRegisteredModel(name));
    }
  }

  static double[] floats(String json) {
    String body = json.trim();
    assertTrue(body.startsWith("[") && body.endsWith("]"), json);
    return Arrays.stream(body.substring(1, body.length() - 1).split(","))
        .map(String::trim)
        .mapToDouble(Double::parseDouble)
        .toArray();
  }
}
