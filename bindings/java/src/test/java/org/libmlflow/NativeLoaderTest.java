package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** How the native library is found, in child JVMs (a JVM loads it once). */
class NativeLoaderTest {
  private TempStore store;

  @BeforeEach
  void open() throws Exception {
    store = new TempStore();
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  /** Runs {@link LoaderProbe} in a new JVM with extra options; returns [exit code, output]. */
  private Object[] probe(String... jvmOptions) throws Exception {
    List<String> options = new ArrayList<>();
    options.add("-Djava.library.path=" + store.dir.resolve("no-libs"));
    options.addAll(Arrays.asList(jvmOptions));
    ChildJvm child = ChildJvm.run(store.dir, options, LoaderProbe.class.getName(), store.uri);
    return new Object[] {child.exitCode, child.output};
  }

  @Test
  void platformNames() {
    assertEquals("linux-x86_64", NativeLoader.platform("Linux", "amd64"));
    assertEquals("linux-aarch64", NativeLoader.platform("Linux", "aarch64"));
    assertEquals("macos-aarch64", NativeLoader.platform("Mac OS X", "arm64"));
    assertEquals("windows-x86_64", NativeLoader.platform("Windows 11", "x86_64"));
    assertEquals("/org/libmlflow/native/linux-x86_64/libmlflow_jni.so", NativeLoader.resourcePath("linux-x86_64"));
  }

  @Test
  void bundledLibraryIsExtractedPrivatelyAndNothingIsLeftBehind() throws Exception {
    Path tmp = Files.createDirectory(store.dir.resolve("extract"));
    Object[] result = probe("-Dorg.libmlflow.native.tmpdir=" + tmp);
    assertEquals(0, result[0], (String) result[1]);
    assertTrue(((String) result[1]).contains("opened " + store.uri), (String) result[1]);
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(0, left.count(), "the extracted library is deleted once loaded");
    }
  }

  @Test
  void explicitPathOverridesTheBundledLibrary() throws Exception {
    // The same library as bundled, loaded from the cargo build directly.
    Path built = Paths.get("../../target/release/libmlflow_jni.so").toAbsolutePath().normalize();
    assertTrue(Files.isRegularFile(built), "build it first: cargo build --release -p mlflow-jni");
    Path tmp = Files.createDirectory(store.dir.resolve("unused"));
    Object[] result = probe("-Dorg.libmlflow.native.path=" + built, "-Dorg.libmlflow.native.tmpdir=/nonexistent");
    assertEquals(0, result[0], (String) result[1]);

    Object[] fromLibraryPath =
        probe("-Djava.library.path=" + built.getParent(), "-Dorg.libmlflow.native.tmpdir=/nonexistent");
    assertEquals(0, fromLibraryPath[0], (String) fromLibraryPath[1]);
    assertTrue(Files.isDirectory(tmp));
  }

  @Test
  void missingExplicitPathIsAClearError() throws Exception {
    Object[] result = probe("-Dorg.libmlflow.native.path=" + store.dir.resolve("nope.so"));
    assertEquals(3, result[0], (String) result[1]);
    String out = (String) result[1];
    assertTrue(out.contains("org.libmlflow.native.path"), out);
    assertTrue(out.contains("nope.so"), out);
    // Asked twice, told twice — the same clear message, not NoClassDefFoundError.
    assertEquals(2, out.split("link error: libmlflow", -1).length - 1, out);
  }

  @Test
  void unsupportedPlatformIsAClearError() throws Exception {
    Object[] result = probe("-Dos.arch=riscv64");
    assertEquals(3, result[0], (String) result[1]);
    String out = (String) result[1];
    assertTrue(out.contains("no native library for platform 'linux-riscv64'"), out);
    assertTrue(out.contains("-Dorg.libmlflow.native.path="), out);
  }

  @Test
  void aLibraryThatIsNotOursIsRefused() throws Exception {
    // Any other shared library: loads, but has no libmlflow entry points.
    Path other = Paths.get(System.getProperty("java.home"), "lib", "libjimage.so");
    assertTrue(Files.isRegularFile(other), other.toString());
    Object[] result = probe("-Dorg.libmlflow.native.path=" + other);
    assertEquals(3, result[0], (String) result[1]);
    assertTrue(((String) result[1]).contains("not libmlflow_jni"), (String) result[1]);
    assertTrue(new File(other.toString()).exists());
  }
}
