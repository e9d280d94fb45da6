package org.libmlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A JVM that ends without closing its client (main returns, or System.exit) still writes
 * everything it logged and ends its open runs FINISHED — what a Spark executor relies on.
 */
class ExitTest {
  @ParameterizedTest
  @ValueSource(strings = {"return", "exit"})
  void exitWritesEverythingAndEndsOpenRuns(String how) throws Exception {
    try (TempStore store = new TempStore()) {
      ChildJvm child = ChildJvm.run(store.dir, List.of(), ExitProbe.class.getName(), store.uri, how);
      assertEquals(0, child.exitCode, child.output);
      Matcher m = Pattern.compile("run ([0-9a-f]{32})").matcher(child.output);
      assertTrue(m.find(), child.output);
      try (MlflowClient client = store.client()) {
        assertEquals(RunStatus.FINISHED, client.getRun(m.group(1)).getInfo().getStatus());
        assertEquals(50_000, client.getMetricHistory(m.group(1), "m").size());
      }
    }
  }
}
