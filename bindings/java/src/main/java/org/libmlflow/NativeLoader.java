package org.libmlflow;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Properties;

/**
 * Finds and loads {@code libmlflow_jni}, once per class loader. In order:
 *
 * <ol>
 *   <li>the file named by the system property {@value #PATH_PROPERTY} (a custom build);
 *   <li>{@code libmlflow_jni.so} on {@code java.library.path};
 *   <li>the library bundled in this jar for the platform, copied to a private temporary directory
 *       (mode 700; {@value #TMPDIR_PROPERTY} overrides its parent, e.g. when /tmp is noexec),
 *       loaded, then deleted at once (the loaded mapping stays valid), so a Spark executor needs
 *       nothing installed and nothing is left behind.
 * </ol>
 *
 * A library of another version than this jar is refused, so a stale build is not used silently.
 */
final class NativeLoader {
  static final String PATH_PROPERTY = "org.libmlflow.native.path";
  static final String TMPDIR_PROPERTY = "org.libmlflow.native.tmpdir";
  static final String LIBRARY_NAME = "mlflow_jni";

  private static boolean loaded;
  private static boolean loading; // checkVersion calls into NativeBridge, whose initializer calls load()
  private static String failure;

  private NativeLoader() {}

  static synchronized void load() {
    if (loaded || loading) {
      return;
    }
    if (failure != null) {
      throw new UnsatisfiedLinkError(failure);
    }
    loading = true;
    try {
      loadOnce();
      checkVersion();
      loaded = true;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      failure = e.getMessage();
      throw e instanceof UnsatisfiedLinkError ? (UnsatisfiedLinkError) e : new UnsatisfiedLinkError(failure);
    } finally {
      loading = false;
    }
  }

  private static void loadOnce() {
    String explicit = System.getProperty(PATH_PROPERTY);
    if (explicit != null && !explicit.isEmpty()) {
      Path path = Paths.get(explicit).toAbsolutePath();
      if (!Files.isRegularFile(path)) {
        throw new UnsatisfiedLinkError(
            "libmlflow: -D" + PATH_PROPERTY + " names " + path + ", which is not a file");
      }
      System.load(path.toString());
      return;
    }
    String fromLibraryPath;
    try {
      System.loadLibrary(LIBRARY_NAME);
      return;
    } catch (UnsatisfiedLinkError e) {
      fromLibraryPath = e.getMessage();
    }
    String platform = platform(System.getProperty("os.name"), System.getProperty("os.arch"));
    String resource = resourcePath(platform);
    try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new UnsatisfiedLinkError(
            "libmlflow: this jar has no native library for platform '"
                + platform
                + "' (it bundles linux-x86_64), and java.library.path has none ("
                + fromLibraryPath
                + "). Build one with `cargo build --release -p mlflow-jni` and pass -D"
                + PATH_PROPERTY
                + "=/path/to/"
                + System.mapLibraryName(LIBRARY_NAME));
      }
      Path file = extract(in);
      try {
        System.load(file.toString());
      } finally {
        // The loaded mapping stays valid after unlinking: nothing is left behind in the temp dir.
        Files.deleteIfExists(file);
        Files.deleteIfExists(file.getParent());
      }
    } catch (IOException e) {
      throw new UnsatisfiedLinkError(
          "libmlflow: could not extract the bundled native library " + resource + ": " + e
              + " (set -D" + TMPDIR_PROPERTY + " to a writable, executable directory)");
    }
  }

  /** Copies the library into a fresh private directory and returns the file's path. */
  private static Path extract(InputStream in) throws IOException {
    String base = System.getProperty(TMPDIR_PROPERTY, System.getProperty("java.io.tmpdir"));
    Path dir =
        Files.createTempDirectory(
            Paths.get(base),
            "libmlflow-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path file = dir.resolve(System.mapLibraryName(LIBRARY_NAME));
    try {
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
      throw e;
    }
    return file;
  }

  /** {@code linux-x86_64}, {@code linux-aarch64}, {@code macos-x86_64}, ... */
  static String platform(String osName, String osArch) {
    String os = osName == null ? "unknown" : osName.toLowerCase(Locale.ROOT);
    if (os.startsWith("linux")) {
      os = "linux";
    } else if (os.startsWith("mac") || os.startsWith("darwin")) {
      os = "macos";
    } else if (os.startsWith("windows")) {
      os = "windows";
    } else {
      os = os.replaceAll("[^a-z0-9]", "");
    }
    String arch = osArch == null ? "unknown" : osArch.toLowerCase(Locale.ROOT);
    if (arch.equals("amd64") || arch.equals("x86_64")) {
      arch = "x86_64";
    } else if (arch.equals("arm64") || arch.equals("aarch64")) {
      arch = "aarch64";
    }
    return os + "-" + arch;
  }

  static String resourcePath(String platform) {
    return "/org/libmlflow/native/" + platform + "/" + System.mapLibraryName(LIBRARY_NAME);
  }

  /** This jar's version (from the filtered {@code libmlflow.properties}). */
  static String jarVersion() {
    Properties props = new Properties();
    try (InputStream in = NativeLoader.class.getResourceAsStream("libmlflow.properties")) {
      if (in != null) {
        props.load(in);
      }
    } catch (IOException e) {
      return "unknown";
    }
    return props.getProperty("version", "unknown");
  }

  private static void checkVersion() {
    String nativeVersion;
    try {
      nativeVersion = NativeBridge.version();
    } catch (UnsatisfiedLinkError e) {
      throw new UnsatisfiedLinkError(
          "libmlflow: the loaded library is not libmlflow_jni (no version entry point): " + e.getMessage());
    }
    String expected = jarVersion();
    if (!expected.equals(nativeVersion)) {
      throw new UnsatisfiedLinkError(
          "libmlflow: the native library is version "
              + nativeVersion
              + " but this jar is "
              + expected
              + "; use the library built with this jar (or remove the stale one from"
              + " java.library.path / -D"
              + PATH_PROPERTY
              + ")");
    }
  }
}
