package org.libmlflow;

/** Which lifecycle stages a search covers. */
public enum ViewType {
  ACTIVE_ONLY(1),
  DELETED_ONLY(2),
  ALL(3);

  /** MLflow's protobuf number, which the native layer takes. */
  final int number;

  ViewType(int number) {
    this.number = number;
  }
}
