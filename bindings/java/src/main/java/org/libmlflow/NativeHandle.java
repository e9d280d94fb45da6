package org.libmlflow;

import java.util.concurrent.locks.StampedLock;

/**
 * The address of native state, guarded so it is never used after it is freed: every call holds
 * the read lock for its duration (many threads at once), and closing takes the write lock to
 * detach the address, so it waits for calls in progress and later calls see "closed". This is
 * what turns use-after-close into an {@link IllegalStateException} instead of a JVM crash.
 */
final class NativeHandle {
  private final StampedLock lock = new StampedLock();
  private final String what;
  private long address; // guarded by lock

  NativeHandle(long address, String what) {
    this.address = address;
    this.what = what;
  }

  /** Starts a call: returns the stamp for {@link #exit}, or throws if the handle is closed. */
  long enter() {
    long stamp = lock.readLock();
    if (address == 0) {
      lock.unlockRead(stamp);
      throw new IllegalStateException("this " + what + " is closed");
    }
    return stamp;
  }

  /** The address; valid only between {@link #enter} and {@link #exit}. */
  long address() {
    return address;
  }

  void exit(long stamp) {
    lock.unlockRead(stamp);
  }

  /** A native call given the address. */
  interface Call<T> {
    T apply(long address);
  }

  /** A native call without an answer. */
  interface Action {
    void apply(long address);
  }

  /** Runs {@code f} with the address, holding the handle for the call ({@link #enter}/{@link #exit}). */
  <T> T call(Call<T> f) {
    long stamp = enter();
    try {
      return f.apply(address);
    } finally {
      exit(stamp);
    }
  }

  /** As {@link #call}, for calls without an answer. */
  void run(Action f) {
    long stamp = enter();
    try {
      f.apply(address);
    } finally {
      exit(stamp);
    }
  }

  /**
   * Marks the handle closed once calls in progress have finished and returns the address for the
   * caller to free (0 if it was already closed).
   */
  long detach() {
    long stamp = lock.writeLock();
    try {
      long detached = address;
      address = 0;
      return detached;
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  boolean isClosed() {
    long stamp = lock.readLock();
    try {
      return address == 0;
    } finally {
      lock.unlockRead(stamp);
    }
  }
}
