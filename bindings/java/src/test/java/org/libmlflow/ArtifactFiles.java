package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Local file trees for the artifact tests: a small tree to upload, and byte-for-byte comparison. */
final class ArtifactFiles {
  private ArtifactFiles() {}

  /** Bytes that differ per seed, so a mix-up of two files cannot pass a comparison. */
  static byte[] bytes(int size, long seed) {
    byte[] out = new byte[size];
    new Random(seed).nextBytes(out);
    return out;
  }

  /**
   * Writes a small tree under {@code dir}: text and binary files, an empty file, a nested
   * directory two levels deep; returns {@code dir}.
   */
  static Path writeTree(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("sub/deeper"));
    Files.write(dir.resolve("a-top.txt"), "top level\n".getBytes(StandardCharsets.UTF_8));
    Files.write(dir.resolve("data.bin"), bytes(3000, 1));
    Files.write(dir.resolve("empty.txt"), new byte[0]);
    Files.write(dir.resolve("sub/nested.txt"), "nested \u00e9\u2713\n".getBytes(StandardCharsets.UTF_8));
    Files.write(dir.resolve("sub/deeper/leaf.bin"), bytes(70_000, 2));
    return dir;
  }

  /** The relative paths of the regular files under {@code dir}, sorted, with {@code /}. */
  static List<String> files(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      return paths
          .filter(Files::isRegularFile)
          .map(p -> dir.relativize(p).toString().replace('\\', '/'))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  /** Same files, byte for byte. */
  static void assertSameTree(Path expected, Path actual) throws IOException {
    List<String> names = files(expected);
    assertEquals(names, files(actual), "files under " + actual);
    for (String name : names) {
      assertArrayEquals(
          Files.readAllBytes(expected.resolve(name)), Files.readAllBytes(actual.resolve(name)), name);
    }
  }

  /** A local artifact URI ({@code /path} or {@code file:///path}) as a path. */
  static Path localPath(String artifactUri) {
    return artifactUri.startsWith("file:") ? Paths.get(URI.create(artifactUri)) : Paths.get(artifactUri);
  }
}
