package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.libmlflow.ArtifactFiles.assertSameTree;
import static org.libmlflow.ArtifactFiles.bytes;
import static org.libmlflow.ArtifactFiles.files;
import static org.libmlflow.ArtifactFiles.localPath;
import static org.libmlflow.ArtifactFiles.writeTree;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Artifacts against a sqlite store: log, list and download with MLflow's names; progress
 * listeners, including one that throws; bad input; interop both ways with MLflow 3.17.2's Python.
 */
class ArtifactsTest {
  private TempStore store;
  private MlflowClient client;
  private String runId;
  private Path work; // local files to upload and download destinations

  @BeforeEach
  void open() throws Exception {
    store = new TempStore();
    client = store.client();
    runId = client.createRun().getRunId();
    work = Files.createDirectories(store.dir.resolve("work"));
  }

  @AfterEach
  void close() throws Exception {
    client.close();
    store.close();
  }

  static String paths(List<FileInfo> infos) {
    return infos.stream()
        .map(f -> f.getPath() + (f.getIsDir() ? "/" : ":" + f.getFileSize()))
        .collect(Collectors.joining(" "));
  }

  @Test
  void logListAndDownloadRoundTrip() throws Exception {
    Path tree = writeTree(work.resolve("tree"));
    File single = work.resolve("model.txt").toFile();
    Files.write(single.toPath(), "weights\n".getBytes(StandardCharsets.UTF_8));

    client.logArtifact(runId, single);
    client.logArtifact(runId, single, "models/v1");
    client.logArtifacts(runId, tree.toFile(), "tree");
    client.logArtifacts(runId, tree.resolve("sub").toFile());
    client.logText(runId, "summary \u2713\n", "notes/summary.txt");
    client.logBytes(runId, bytes(100, 7), "notes/raw.bin");

    // Where MLflow puts them: <run artifact URI>/<path>.
    Path root = localPath(client.getRun(runId).getInfo().getArtifactUri());
    assertTrue(root.startsWith(store.dir), root.toString());
    assertArrayEquals(Files.readAllBytes(single.toPath()), Files.readAllBytes(root.resolve("models/v1/model.txt")));
    assertSameTree(tree, root.resolve("tree"));

    List<FileInfo> top = client.listArtifacts(runId);
    assertEquals("deeper/ model.txt:8 models/ nested.txt:13 notes/ tree/", paths(top));
    FileInfo dir = top.get(0);
    assertTrue(dir.getIsDir());
    assertFalse(dir.hasFileSize());
    assertEquals(0, dir.getFileSize());
    assertTrue(top.get(1).hasFileSize());
    assertEquals(
        "tree/a-top.txt:10 tree/data.bin:3000 tree/empty.txt:0 tree/sub/",
        paths(client.listArtifacts(runId, "tree")));
    assertEquals("tree/sub/deeper/leaf.bin:70000", paths(client.listArtifacts(runId, "tree/sub/deeper")));
    assertEquals(List.of(), client.listArtifacts(runId, "no/such/dir"));

    // By run id and path into a given directory: the path's last name lands there.
    Path dst = work.resolve("dst");
    File got = client.downloadArtifacts(runId, "tree", dst.toFile());
    assertEquals(dst.resolve("tree").toFile().getCanonicalFile(), got.getCanonicalFile());
    assertSameTree(tree, got.toPath());
    File text = client.downloadArtifacts(runId, "notes/summary.txt", dst.toFile());
    assertEquals("summary \u2713\n", Files.readString(text.toPath()));

    // As the official client: a new temporary directory, never the store's own files.
    File all = client.downloadArtifacts(runId);
    File one = client.downloadArtifacts(runId, "models/v1/model.txt");
    try {
      assertFalse(all.toPath().startsWith(store.dir), all.toString());
      assertSameTree(root, all.toPath());
      assertEquals("model.txt", one.getName());
      assertFalse(one.toPath().startsWith(root), one.toString());
      assertEquals("weights\n", Files.readString(one.toPath()));
    } finally {
      new TempStore(all.toPath()).close();
      new TempStore(one.toPath().getParent()).close();
    }

    // By URI: runs:/, and the local artifact location itself.
    File byRunsUri = client.downloadArtifactsFromUri("runs:/" + runId + "/tree/sub", work.resolve("u1").toFile());
    assertSameTree(tree.resolve("sub"), byRunsUri.toPath());
    File byLocalUri = client.downloadArtifactsFromUri(root.resolve("tree").toString(), work.resolve("u2").toFile());
    assertSameTree(tree, byLocalUri.toPath());
    File byFileUri = client.downloadArtifactsFromUri(root.toUri().toString() + "/notes", work.resolve("u3").toFile());
    assertEquals(List.of("raw.bin", "summary.txt"), files(byFileUri.toPath()));
  }

  @Test
  void activeRunLogsArtifactsAsTheOfficialClient() throws Exception {
    Path tree = writeTree(work.resolve("tree"));
    String id;
    try (ActiveRun run = new MlflowContext(client).startRun("with-artifacts")) {
      id = run.getId();
      run.logArtifact(tree.resolve("a-top.txt"));
      run.logArtifact(tree.resolve("data.bin"), "bin");
      run.logArtifacts(tree.resolve("sub"));
      run.logArtifacts(tree, "all");
      run.logText("hello", "hello.txt");
      assertEquals(client.getRun(id).getInfo().getArtifactUri(), run.getArtifactUri());
      run.endRun();
      // Ended through this handle: refused like every other call on it.
      assertThrows(IllegalStateException.class, () -> run.logArtifact(tree.resolve("a-top.txt")));
    }
    assertEquals("a-top.txt:10 all/ bin/ deeper/ hello.txt:5 nested.txt:13", paths(client.listArtifacts(id)));
    assertSameTree(tree, client.downloadArtifacts(id, "all", work.resolve("d").toFile()).toPath());
  }

  /** Records every report and checks the listener contract as it goes. */
  static final class Recorder implements ProgressListener {
    final List<long[]> reports = new ArrayList<>();
    final Thread caller = Thread.currentThread();

    @Override
    public void onProgress(long done, long total) {
      assertSame(caller, Thread.currentThread(), "called on the calling thread");
      reports.add(new long[] {done, total});
    }

    void assertComplete(long expectedTotal) {
      assertTrue(reports.size() >= 2, "reports: " + reports.size());
      assertArrayEquals(new long[] {0, expectedTotal}, reports.get(0));
      assertArrayEquals(new long[] {expectedTotal, expectedTotal}, reports.get(reports.size() - 1));
      for (int i = 1; i < reports.size(); i++) {
        assertTrue(reports.get(i)[0] >= reports.get(i - 1)[0], "monotone at " + i);
        assertTrue(reports.get(i)[0] <= reports.get(i)[1], "done <= total at " + i);
      }
    }
  }

  @Test
  void progressReachesTheListener() throws Exception {
    int size = 3 * 1024 * 1024 + 17;
    Path big = work.resolve("big.bin");
    Files.write(big, bytes(size, 3));
    Recorder up = new Recorder();
    client.logArtifact(runId, big.toFile(), "big", up);
    up.assertComplete(size);
    assertTrue(up.reports.size() >= 4, "about one report per MiB: " + up.reports.size());

    Path tree = writeTree(work.resolve("tree"));
    long treeBytes = 0;
    for (String name : files(tree)) {
      treeBytes += Files.size(tree.resolve(name));
    }
    Recorder upTree = new Recorder();
    client.logArtifacts(runId, tree.toFile(), "tree", upTree);
    upTree.assertComplete(treeBytes);

    Recorder down = new Recorder();
    File got = client.downloadArtifacts(runId, "big/big.bin", work.resolve("dst").toFile(), down);
    down.assertComplete(size);
    assertArrayEquals(Files.readAllBytes(big), Files.readAllBytes(got.toPath()));

    Recorder downUri = new Recorder();
    client.downloadArtifactsFromUri("runs:/" + runId + "/tree", work.resolve("dst2").toFile(), downUri);
    downUri.assertComplete(treeBytes);
  }

  @Test
  void aThrowingListenerSurfacesAfterTheCallCompletes() throws Exception {
    int size = 3 * 1024 * 1024;
    Path big = work.resolve("big.bin");
    Files.write(big, bytes(size, 4));
    IllegalStateException thrown = new IllegalStateException("listener gave up");
    int[] calls = {0};
    ProgressListener throwing =
        (done, total) -> {
          calls[0]++;
          throw thrown;
        };
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> client.logArtifact(runId, big.toFile(), null, throwing));
    assertSame(thrown, e, "rethrown as is");
    assertEquals(1, calls[0], "not called again after it threw");
    // The transfer ran to its end: the artifact is complete.
    Path stored = localPath(client.getRun(runId).getInfo().getArtifactUri()).resolve("big.bin");
    assertArrayEquals(Files.readAllBytes(big), Files.readAllBytes(stored));

    calls[0] = 0;
    Path dst = work.resolve("dst");
    assertSame(
        thrown,
        assertThrows(
            IllegalStateException.class, () -> client.downloadArtifacts(runId, "big.bin", dst.toFile(), throwing)));
    assertEquals(1, calls[0]);
    assertArrayEquals(Files.readAllBytes(big), Files.readAllBytes(dst.resolve("big.bin")));

    // The listener threw and then the call failed too (a non-empty directory where the file
    // must go): the listener's exception, carrying the call's error as suppressed.
    calls[0] = 0;
    Path blocked = work.resolve("blocked");
    Files.createDirectories(blocked.resolve("big.bin/keep"));
    IllegalStateException both =
        assertThrows(
            IllegalStateException.class,
            () -> client.downloadArtifacts(runId, "big.bin", blocked.toFile(), throwing));
    assertSame(thrown, both);
    assertEquals(1, both.getSuppressed().length, "the call's own error is attached");
    assertTrue(both.getSuppressed()[0] instanceof MlflowClientException, both.getSuppressed()[0].toString());

    // An Error from the listener too, and the client keeps working afterwards.
    assertThrows(
        StackOverflowError.class,
        () ->
            client.logArtifacts(
                runId,
                writeTree(work.resolve("tree")).toFile(),
                "t",
                (done, total) -> {
                  throw new StackOverflowError("simulated");
                }));
    assertEquals(5, files(client.downloadArtifacts(runId, "t", work.resolve("t").toFile()).toPath()).size());
  }

  private static MlflowClientException refused(ErrorKind kind, String messagePart, Executable call) {
    MlflowClientException e = assertThrows(MlflowClientException.class, call);
    assertEquals(kind, e.getKind(), e.getMessage());
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    return e;
  }

  @Test
  void badInputIsRefusedClearly() throws Exception {
    File file = work.resolve("f.txt").toFile();
    Files.writeString(file.toPath(), "x");
    Path outside = store.dir.resolve("x");

    refused(ErrorKind.INVALID_ARGUMENT, "..", () -> client.logArtifact(runId, file, "../x"));
    refused(ErrorKind.INVALID_ARGUMENT, "..", () -> client.logArtifact(runId, file, "a/../../x"));
    refused(ErrorKind.INVALID_ARGUMENT, "/etc", () -> client.logArtifact(runId, file, "/etc"));
    refused(ErrorKind.INVALID_ARGUMENT, "..", () -> client.logText(runId, "t", "../x"));
    refused(ErrorKind.INVALID_ARGUMENT, "/tmp/x", () -> client.logBytes(runId, new byte[1], "/tmp/x"));
    refused(ErrorKind.INVALID_ARGUMENT, "..", () -> client.listArtifacts(runId, ".."));
    refused(
        ErrorKind.INVALID_ARGUMENT,
        "..",
        () -> client.downloadArtifacts(runId, "../x", work.resolve("d").toFile()));
    refused(
        ErrorKind.INVALID_ARGUMENT,
        "..",
        () -> client.downloadArtifactsFromUri("runs:/" + runId + "/../x", work.resolve("d").toFile()));
    assertFalse(Files.exists(outside), "nothing written outside the artifact root or dst");
    assertEquals(List.of(), client.listArtifacts(runId));

    refused(ErrorKind.NOT_FOUND, "missing.txt", () -> client.logArtifact(runId, work.resolve("missing.txt").toFile()));
    refused(ErrorKind.NOT_FOUND, "missing", () -> client.logArtifacts(runId, work.resolve("missing").toFile()));
    refused(ErrorKind.INVALID_ARGUMENT, "directory", () -> client.logArtifact(runId, work.toFile()));
    refused(ErrorKind.NOT_FOUND, "", () -> client.downloadArtifacts(runId, "absent.txt", work.resolve("d").toFile()));

    String unknown = "0123456789abcdef0123456789abcdef";
    MlflowClientException e = refused(ErrorKind.NOT_FOUND, unknown, () -> client.logArtifact(unknown, file));
    assertEquals("RESOURCE_DOES_NOT_EXIST", e.getErrorCode());
    refused(ErrorKind.NOT_FOUND, unknown, () -> client.listArtifacts(unknown));
    refused(ErrorKind.NOT_FOUND, unknown, () -> client.downloadArtifacts(unknown));
    refused(ErrorKind.INVALID_ARGUMENT, "", () -> client.logText("not a run id", "t", "t.txt"));

    assertEquals("runId must not be null", assertThrows(NullPointerException.class, () -> client.logArtifact(null, file)).getMessage());
    assertEquals(
        "localFile must not be null",
        assertThrows(NullPointerException.class, () -> client.logArtifact(runId, null)).getMessage());
    assertThrows(NullPointerException.class, () -> client.logArtifacts(runId, null, "p"));
    assertThrows(NullPointerException.class, () -> client.logText(runId, null, "t.txt"));
    assertThrows(NullPointerException.class, () -> client.logText(runId, "t", null));
    assertThrows(NullPointerException.class, () -> client.logBytes(runId, null, "b.bin"));
    assertThrows(NullPointerException.class, () -> client.listArtifacts(null));
    assertThrows(NullPointerException.class, () -> client.downloadArtifacts(null));
    assertThrows(NullPointerException.class, () -> client.downloadArtifactsFromUri(null, work.toFile()));

    // Java strings may hold lone surrogates, which UTF-8 cannot encode: refused, as Python's
    // log_text refuses them (UnicodeEncodeError), and nothing is stored.
    IllegalArgumentException lone =
        assertThrows(IllegalArgumentException.class, () -> client.logText(runId, "ab\uD800c", "lone.txt"));
    assertTrue(lone.getMessage().contains("index 2"), lone.getMessage());
    assertEquals(List.of(), client.listArtifacts(runId));

    client.close();
    assertThrows(IllegalStateException.class, () -> client.logArtifact(runId, file));
    assertThrows(IllegalStateException.class, () -> client.downloadArtifacts(runId));
  }

  @Test
  void interopBothWaysWithPython() throws Exception {
    assertInteropBothWays(client, store.uri, runId, work, "0");
  }

  /**
   * Java logs, MLflow 3.17.2's Python downloads byte-identical files and lists them; then Python
   * logs and Java downloads byte-identical files. One Python process (importing mlflow is slow).
   * Shared with the tracking-server test. {@code emptyFileSize} is what MLflow's Python lists as
   * an empty file's size: {@code 0} from a local store, {@code None} through a server's proxy
   * (its REST answer leaves a zero size out).
   */
  static void assertInteropBothWays(
      MlflowClient client, String trackingUri, String runId, Path work, String emptyFileSize)
      throws Exception {
    Path tree = writeTree(work.resolve("interop-tree"));
    client.logArtifacts(runId, tree.toFile(), "java-tree");
    client.logText(runId, "from java \u2713\n", "java-notes/readme.txt");
    client.flush();

    Path dst = work.resolve("py-dst");
    List<String> out =
        VenvPython.run("artifacts.py", trackingUri, runId, dst.toString(), tree.toString());
    assertEquals(
        List.of(
            "downloaded " + dst.resolve("java-tree"),
            "downloaded " + dst.resolve("readme.txt"),
            "listed java-tree/a-top.txt False 10",
            "listed java-tree/data.bin False 3000",
            "listed java-tree/empty.txt False " + emptyFileSize,
            "listed java-tree/sub True None"),
        out);
    assertSameTree(tree, dst.resolve("java-tree"));
    assertEquals("from java \u2713\n", Files.readString(dst.resolve("readme.txt")));

    assertEquals("a-top.txt:10 java-notes/ java-tree/ py-notes/ py-tree/", paths(client.listArtifacts(runId)));
    File got = client.downloadArtifacts(runId, "py-tree", work.resolve("java-dst").toFile());
    assertSameTree(tree, got.toPath());
    File top = client.downloadArtifacts(runId, "a-top.txt", work.resolve("java-dst").toFile());
    assertArrayEquals(Files.readAllBytes(tree.resolve("a-top.txt")), Files.readAllBytes(top.toPath()));
    File notes = client.downloadArtifactsFromUri("runs:/" + runId + "/py-notes", work.resolve("n").toFile());
    assertEquals("written by MLflow \u2713\n", Files.readString(notes.toPath().resolve("readme.txt")));
  }
}
