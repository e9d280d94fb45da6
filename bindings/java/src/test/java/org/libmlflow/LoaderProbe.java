package org.libmlflow;

/**
 * Run in a child JVM by {@link NativeLoaderTest} (loading is once per JVM): opens and closes a
 * client twice and prints what happened; exit 0 on success, 3 on a link error.
 */
public final class LoaderProbe {
  private LoaderProbe() {}

  public static void main(String[] args) {
    int failures = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
      try (MlflowClient client = new MlflowClient(args[0])) {
        System.out.println("opened " + client.getTrackingUri());
      } catch (UnsatisfiedLinkError e) {
        failures++;
        System.out.println("link error: " + e.getMessage());
      }
    }
    System.exit(failures == 0 ? 0 : 3);
  }
}
