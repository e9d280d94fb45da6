package org.libmlflow.examples.spark;

import java.util.UUID;
import org.libmlflow.MlflowClient;

/**
 * The libmlflow client of this JVM, opened lazily by the first task that needs it and shared by
 * every task (thread) the executor runs afterwards: a client is thread-safe and batches what all
 * tasks log, so one per JVM is the cheapest. Nothing of it is serialized with the tasks.
 *
 * <p>On a cluster each executor JVM has its own; libmlflow's exit handler writes what is still
 * queued when the executor stops. In local mode the executor is the driver's JVM, so the driver
 * closes it at the end ({@link #closeIfOpen()}).
 */
public final class ExecutorTracking {
  private static MlflowClient client; // guarded by ExecutorTracking.class
  private static String clientUri;
  private static String clientId;

  private ExecutorTracking() {}

  /** This JVM's client for {@code trackingUri}, opened on first use. */
  static synchronized MlflowClient client(String trackingUri) {
    if (client == null) {
      client = MlflowClient.builder().trackingUri(trackingUri).build();
      clientUri = trackingUri;
      // Tagged on every run the client creates, so a reader can see that tasks shared it.
      clientId = ProcessHandle.current().pid() + "-" + UUID.randomUUID();
    } else if (!clientUri.equals(trackingUri)) {
      throw new IllegalStateException(
          "this JVM's libmlflow client tracks " + clientUri + ", a task asked for " + trackingUri);
    }
    return client;
  }

  /** Identifies the client {@link #client} returned (the JVM's pid and a random id). */
  static synchronized String clientId() {
    if (clientId == null) {
      throw new IllegalStateException("no libmlflow client is open in this JVM");
    }
    return clientId;
  }

  /** Ends the runs the client left open, writes what is queued and frees it; then a task may open a new one. */
  static synchronized void closeIfOpen() {
    if (client != null) {
      try {
        client.close();
      } finally {
        client = null;
        clientUri = null;
        clientId = null;
      }
    }
  }
}
