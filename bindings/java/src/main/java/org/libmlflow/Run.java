package org.libmlflow;

/** A run: its {@link RunInfo} and its {@link RunData}. */
public final class Run {
  private final RunInfo info;
  private final RunData data;

  /** Built by the native layer. */
  Run(RunInfo info, RunData data) {
    this.info = info;
    this.data = data;
  }

  public RunInfo getInfo() {
    return info;
  }

  public RunData getData() {
    return data;
  }

  @Override
  public String toString() {
    return "Run{" + info + "}";
  }
}
