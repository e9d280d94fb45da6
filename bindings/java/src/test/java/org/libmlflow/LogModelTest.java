package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A model built and logged from Java (saveModel, logModel with registration, an alias) is what
 * MLflow 3.17.2 loads: {@code mlflow.pyfunc.load_model("models:/<name>@champion")} predicts
 * exactly what the framework itself predicts. The framework file is written by the real xgboost
 * (as a JVM job's xgboost4j would write it); examples/java/LogModel.java covers ONNX written by
 * Java itself ({@link ExampleTest}).
 */
class LogModelTest {
  static final String PROBE = "[[1.0, 2.0], [3.5, 0.5], [9.0, 7.0]]";

  /** The model file xgboost_model.py trains, and xgboost's own predictions for {@link #PROBE}. */
  static double[] xgboostModel(Path file) throws Exception {
    List<String> out = VenvPython.run("xgboost_model.py", file.toString(), PROBE);
    return RegistryTest.floats(out.get(out.size() - 1));
  }

  /** For each model URI, the flavors line and the predictions of predict.py for {@link #PROBE}. */
  static List<String> pyfuncPredict(String trackingUri, String... modelUris) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of(trackingUri, PROBE));
    args.addAll(List.of(modelUris));
    List<String> out = VenvPython.run("predict.py", args.toArray(new String[0]));
    return out.subList(out.size() - 2 * modelUris.length, out.size());
  }

  @Test
  void xgboostModelLoggedFromJavaLoadsInMlflowByAlias() throws Exception {
    try (TempStore store = new TempStore();
        MlflowClient client = store.client()) {
      Path booster = store.dir.resolve("booster.json");
      double[] expected = xgboostModel(booster);

      ModelSpec spec =
          ModelSpec.builder("xgboost")
              .file(booster)
              .signature(
                  "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1, 2]}}]",
                  "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1]}}]")
              .inputExample("{\"type\": \"ndarray\", \"data\": [[1.0, 2.0]]}")
              .pythonVersion("3.11.7")
              .build();
      Path modelDir = store.dir.resolve("saved");
      String mlmodel = MlflowClient.saveModel(spec, modelDir.toFile());
      assertTrue(mlmodel.contains("xgboost:"), mlmodel);
      assertTrue(Files.isRegularFile(modelDir.resolve("MLmodel")));
      assertTrue(Files.isRegularFile(modelDir.resolve("requirements.txt")));
      assertTrue(Files.readString(modelDir.resolve("python_env.yaml")).contains("3.11.7"));

      String runId;
      ModelInfo info;
      AtomicLong uploaded = new AtomicLong();
      try (MlflowContext mlflow = new MlflowContext(client)) {
        mlflow.setExperimentName("java-models");
        try (ActiveRun run = mlflow.startRun("xgb")) {
          runId = run.getId();
          run.logParam("max_depth", "3");
          info = client.logModel(runId, modelDir.toFile(),
              LogModelOptions.builder().name("booster").registeredModelName("xgb-java")
                  .tag("framework", "xgboost").registeredModelTag("source", "java").build(),
              (done, total) -> uploaded.set(done));
        }
      }
      assertTrue(info.getModelUri().matches("models:/m-[0-9a-f]{32}"), info.getModelUri());
      assertEquals("models:/" + info.getModelId(), info.getModelUri());
      assertEquals("booster", info.getName());
      assertEquals(runId, info.getRunId().orElseThrow());
      assertEquals(List.of("python_function", "xgboost"), info.getFlavors());
      assertTrue(info.getSignatureInputs().orElseThrow().contains("float32"));
      assertTrue(info.getMlmodel().contains("model_id: " + info.getModelId()), info.getMlmodel());
      assertTrue(uploaded.get() > 0, "progress was reported");
      ModelVersion version = info.getRegisteredModelVersion().orElseThrow();
      assertEquals("1", version.getVersion());
      assertEquals("xgb-java", version.getName());
      assertEquals("java", version.getTag("source").orElseThrow());
      client.setRegisteredModelAlias("xgb-java", "champion", version.getVersion());

      // MLflow loads it by alias, by version and by model id, and predicts what xgboost predicts.
      String[] uris = {"models:/xgb-java@champion", "models:/xgb-java/1", info.getModelUri()};
      List<String> out = pyfuncPredict(store.uri, uris);
      for (int i = 0; i < uris.length; i++) {
        assertEquals("[\"python_function\", \"xgboost\"]", out.get(2 * i), uris[i]);
        assertArrayEquals(expected, RegistryTest.floats(out.get(2 * i + 1)), 1e-6, uris[i]);
      }
      List<String> facts = VenvPython.run("registry.py", store.uri, "xgb-java");
      assertTrue(facts.contains("alias champion 1 1"), facts.toString());
      assertTrue(facts.contains("version 1 None READY " + runId + " " + info.getModelUri()), facts.toString());

      // The registered files come back through models:/ URIs.
      File downloaded = client.downloadModelVersion("xgb-java", "1", store.dir.resolve("dl").toFile());
      assertTrue(new File(downloaded, "MLmodel").isFile(), downloaded.toString());
      assertEquals(Files.readString(booster), Files.readString(downloaded.toPath().resolve("model.json")));
      client.transitionModelVersionStage("xgb-java", "1", "Staging");
      File latest = client.downloadLatestModelVersion("xgb-java", "staging");
      assertTrue(new File(latest, "MLmodel").isFile(), latest.toString());

      // registerModel of the same logged model: a second version, same source.
      ModelVersion again = client.registerModel(info.getModelUri(), "xgb-java");
      assertEquals("2", again.getVersion());
      assertEquals(info.getModelUri(), again.getSource());
      assertFalse(client.getModelVersion("xgb-java", "2").getAliasesList().contains("champion"));
    }
  }
}
