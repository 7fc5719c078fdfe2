package com.anmeismart.server.accounts;

import de.mkammerer.argon2.Argon2;
import de.mkammerer.argon2.Argon2Factory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

/**
 * argon2id (the reference C implementation through argon2-jvm) at OWASP's minimum: 19 MiB, 2 passes, 1 lane.
 * Hashing is deliberately slow, so it runs on a bounded, named worker pool, never on the event loop; the pool's
 * size caps the memory and CPU that a burst of logins or registrations can take. The native library (and JNA) load
 * off the event loop too: {@link #loadNative} at start (App runs it while the database starts), else on first use.
 */
public final class PasswordHasher {

  static final int MEMORY_KIB = 19 * 1024;
  static final int ITERATIONS = 2;
  static final int PARALLELISM = 1;

  /** Initialised on first use, which is on a hashing thread: loading JNA and libargon2 takes a few hundred ms. */
  private static final class Native {
    static final Argon2 ARGON2;
    /** Verified against when the user is unknown, so "no such user" costs the same time as "wrong password". */
    static final String DECOY;

    static {
      returnLargeBuffersToTheOs(); // before the first hash mallocs its buffer
      ARGON2 = Argon2Factory.create(Argon2Factory.Argon2Types.ARGON2id);
      DECOY = hashNow("decoy-password-for-unknown-users");
    }
  }

  private final WorkerExecutor executor;

  private PasswordHasher(WorkerExecutor executor) {
    this.executor = executor;
  }

  /** One shared pool per Vert.x instance, whichever verticle instance asks first. */
  public static PasswordHasher create(Vertx vertx, int threads) {
    return new PasswordHasher(vertx.createSharedWorkerExecutor("password-hash", threads));
  }

  /** Blocking: loads libargon2 and computes the decoy hash, so a missing library fails the start, not a login. */
  public static void loadNative() {
    if (Native.DECOY == null) {
      throw new IllegalStateException("argon2 produced no hash");
    }
  }

  public Future<String> hash(String password) {
    return executor.executeBlocking(() -> hashNow(password), false);
  }

  /** True when {@code password} matches {@code hash}; with a null hash, spends the same time and says false. */
  public Future<Boolean> verify(String hash, String password) {
    return executor.executeBlocking(() -> Native.ARGON2.verify(hash != null ? hash : Native.DECOY,
        password.toCharArray()) && hash != null, false);
  }

  /** Blocking: for the worker pool only. */
  static String hashNow(String password) {
    char[] chars = password.toCharArray();
    try {
      return Native.ARGON2.hash(ITERATIONS, MEMORY_KIB, PARALLELISM, chars);
    } finally {
      Native.ARGON2.wipeArray(chars);
    }
  }

  /**
   * Each hash mallocs a 19 MiB buffer. glibc's dynamic mmap threshold makes it keep such freed buffers in the
   * hashing thread's arena, so every hashing thread pins ~20 MiB of resident memory for good. A fixed threshold
   * (which also turns the dynamic adjustment off) serves buffers of 1 MiB and more by mmap and gives them back on
   * free. Not glibc (musl, macOS): nothing to do.
   */
  private static void returnLargeBuffersToTheOs() {
    final int mMmapThreshold = -3;
    try {
      com.sun.jna.NativeLibrary.getInstance("c").getFunction("mallopt")
          .invokeInt(new Object[] {mMmapThreshold, 1024 * 1024});
    } catch (UnsatisfiedLinkError | RuntimeException ignored) {
      // no glibc: its allocator has no such arenas to pin memory in
    }
  }

  public void close() {
    executor.close();
  }
}
