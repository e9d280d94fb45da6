package org.libmlflow;

/**
 * An error reported by MLflow's rules or libmlflow's store, carrying MLflow's error code string
 * (for example {@code RESOURCE_DOES_NOT_EXIST} or {@code INVALID_PARAMETER_VALUE}), as the REST API
 * and the official clients report it.
 */
public class MlflowClientException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String errorCode;
  private final ErrorKind kind;

  /** Called by the native layer. */
  MlflowClientException(String errorCode, String kind, String message) {
    super(message + " (" + errorCode + ")");
    this.errorCode = errorCode;
    this.kind = parseKind(kind);
  }

  /** MLflow's error code string, e.g. {@code RESOURCE_DOES_NOT_EXIST}. */
  public String getErrorCode() {
    return errorCode;
  }

  /** libmlflow's category of the error. */
  public ErrorKind getKind() {
    return kind;
  }

  private static ErrorKind parseKind(String kind) {
    try {
      return ErrorKind.valueOf(kind);
    } catch (IllegalArgumentException | NullPointerException e) {
      return ErrorKind.INTERNAL;
    }
  }
}
