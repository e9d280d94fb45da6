package org.libmlflow;

import java.util.Objects;

/**
 * One entry of a run's artifacts ({@link MlflowClient#listArtifacts}), with the getters of the
 * official client's protobuf {@code FileInfo}: the path relative to the run's artifact root
 * ({@code "model/weights.bin"}), whether it is a directory, and the size of a file.
 */
public final class FileInfo {
  private final String path;
  private final boolean isDir;
  private final long fileSize;
  private final boolean hasFileSize;

  /** Called by the native layer. */
  FileInfo(String path, boolean isDir, long fileSize, boolean hasFileSize) {
    this.path = Objects.requireNonNull(path, "path must not be null");
    this.isDir = isDir;
    this.fileSize = fileSize;
    this.hasFileSize = hasFileSize;
  }

  /** The path relative to the run's artifact root, with {@code /} separators. */
  public String getPath() {
    return path;
  }

  public boolean getIsDir() {
    return isDir;
  }

  /** The size in bytes of a file; 0 when unknown (directories), as the protobuf getter. */
  public long getFileSize() {
    return fileSize;
  }

  /** Whether the store reported a size (files: yes; directories: no). */
  public boolean hasFileSize() {
    return hasFileSize;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof FileInfo)) {
      return false;
    }
    FileInfo other = (FileInfo) o;
    return path.equals(other.path)
        && isDir == other.isDir
        && fileSize == other.fileSize
        && hasFileSize == other.hasFileSize;
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, isDir, fileSize, hasFileSize);
  }

  @Override
  public String toString() {
    return "FileInfo{" + path + (isDir ? "/" : hasFileSize ? ", " + fileSize + " bytes" : "") + "}";
  }
}
