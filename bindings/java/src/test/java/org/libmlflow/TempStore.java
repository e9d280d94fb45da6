package org.libmlflow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A fresh sqlite store in a temporary directory, deleted afterwards. */
final class TempStore implements AutoCloseable {
  final Path dir;
  final String uri;

  TempStore() throws IOException {
    dir = Files.createTempDirectory("libmlflow-java-test-");
    uri = "sqlite:///" + dir.resolve("mlflow.db");
  }

  /** An existing directory, deleted at close. */
  TempStore(Path dir) {
    this.dir = dir;
    this.uri = "sqlite:///" + dir.resolve("mlflow.db");
  }

  MlflowClient client() {
    return MlflowClient.builder().trackingUri(uri).artifactRoot(dir.resolve("mlruns").toString()).build();
  }

  @Override
  public void close() throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
