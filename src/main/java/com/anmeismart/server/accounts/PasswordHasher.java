package com.anmeismart.server.accounts;

import de.mkammerer.argon2.Argon2;
import de.mkammerer.argon2.Argon2Factory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.shareddata.Shareable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * argon2id (the reference C implementation through argon2-jvm) at OWASP's minimum: 19 MiB, 2 passes, 1 lane.
 * Hashing is deliberately slow, so it runs on a bounded, named worker pool, never on the event loop; the pool's
 * size caps the memory and CPU that a burst of logins or registrations can take. The native library (and JNA) load
 * off the event loop too: {@link #loadNative} at start (App runs it while the database starts), else on first use.
 * <p>
 * Two rules keep a burst of hashes from starving everything else:
 * <ul>
 * <li><b>The hashing threads yield the CPU.</b> With as many hashing threads as cores, a burst keeps every core
 * busy hashing for seconds, and the event loops, the automation, the local agent and PostgreSQL wait their turn:
 * the welcomes of the customers who registered first missed their 3 s deadline. Each hashing thread lowers its
 * own scheduling priority to nice {@value #NICE} (Linux keeps a nice value per thread; raising it needs no
 * privilege; Java's thread priorities are ignored there by default). The CFS scheduler then gives a runnable
 * nice-0 thread about nine tenths of a contended core, so hashes run at full speed when nothing else waits and step
 * aside when something does.</li>
 * <li><b>The queue is bounded by time.</b> A hash that would wait more than {@link #MAX_WAIT_MS} (the queue's
 * length times the recent time of one hash, over the threads) is refused at once with {@link Busy}, which the API
 * answers with 503 and {@code Retry-After}: under overload, registrations beyond capacity fail fast and the ones
 * accepted are answered within a bounded time, instead of every request waiting in an unbounded queue.</li>
 * </ul>
 */
public final class PasswordHasher {

  private static final Logger LOG = LoggerFactory.getLogger(PasswordHasher.class);
  static final int MEMORY_KIB = 19 * 1024;
  static final int ITERATIONS = 2;
  static final int PARALLELISM = 1;
  /** The hashing threads' nice value: below everything else of the process and its database, never starved. */
  static final int NICE = 10;
  /** A hash that would wait longer than this in the queue is refused (503, Retry-After); the default of
   * {@code PASSWORD_HASH_MAX_WAIT_MS}. */
  public static final long MAX_WAIT_MS = 5_000;
  private static final String POOL = "password-hash";

  /** Refused: the queue holds more than {@link #MAX_WAIT_MS} of hashing; retry after the given seconds. */
  public static final class Busy extends RuntimeException {
    private final int retryAfterSeconds;

    Busy(int retryAfterSeconds) {
      super("the password-hashing queue is full", null, false, false);
      this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
      return retryAfterSeconds;
    }
  }

  /** Initialised on first use, which is on a hashing thread: loading JNA and libargon2 takes a few hundred ms. */
  private static final class Native {
    static final Argon2 ARGON2;
    /** Verified against when the user is unknown, so "no such user" costs the same time as "wrong password". */
    static final String DECOY;

    static {
      returnLargeBuffersToTheOs(); // before the first hash mallocs its buffer
      ARGON2 = Argon2Factory.create(Argon2Factory.Argon2Types.ARGON2id);
      long t0 = System.nanoTime();
      DECOY = hashNow("decoy-password-for-unknown-users");
      firstHashNanos = System.nanoTime() - t0;
    }
  }

  /**
   * How long the decoy took (0 until the library is loaded): the queue's estimate of one hash until real hashes have
   * been timed. A plain field, not one of {@link Native}'s: reading it on the event loop must not load the library.
   */
  private static volatile long firstHashNanos;
  /** The estimate of one hash before any has been timed: about one at OWASP's minimum on a slow core. */
  private static final long DEFAULT_HASH_NANOS = 50_000_000;

  /**
   * The queue's state, shared by every HttpApiVerticle instance of one Vert.x (as the named pool is): the hashes
   * queued or running, and a moving average of one hash's time.
   */
  private static final class Queue implements Shareable {
    final int threads;
    final long maxWaitMs;
    final AtomicInteger pending = new AtomicInteger();
    final AtomicLong averageNanos = new AtomicLong();

    Queue(int threads, long maxWaitMs) {
      this.threads = threads;
      this.maxWaitMs = maxWaitMs;
    }

    /** Estimated ms until a hash queued now would start. */
    long waitMs(int ahead) {
      long average = averageNanos.get() > 0 ? averageNanos.get()
          : firstHashNanos > 0 ? firstHashNanos : DEFAULT_HASH_NANOS;
      return ahead * average / threads / 1_000_000;
    }

    void timed(long nanos) {
      // an exponential moving average over ~10 hashes: follows the machine's load within a burst
      averageNanos.updateAndGet(a -> a == 0 ? nanos : a + (nanos - a) / 10);
    }
  }

  /** Whether this thread's nice value was set: once per hashing thread. */
  private static final ThreadLocal<Boolean> NICED = ThreadLocal.withInitial(() -> false);

  private final WorkerExecutor executor;
  private final Queue queue;

  private PasswordHasher(WorkerExecutor executor, Queue queue) {
    this.executor = executor;
    this.queue = queue;
  }

  /** One shared pool per Vert.x instance, whichever verticle instance asks first. */
  public static PasswordHasher create(Vertx vertx, int threads) {
    return create(vertx, threads, MAX_WAIT_MS);
  }

  /** The same with the queue's wait bound ({@code PASSWORD_HASH_MAX_WAIT_MS}). */
  public static PasswordHasher create(Vertx vertx, int threads, long maxWaitMs) {
    return create(vertx, POOL, threads, maxWaitMs);
  }

  /** A pool of its own name (tests). */
  static PasswordHasher create(Vertx vertx, String pool, int threads, long maxWaitMs) {
    Queue queue = (Queue) vertx.sharedData().<String, Shareable>getLocalMap(pool)
        .computeIfAbsent("queue-" + threads + "-" + maxWaitMs, k -> new Queue(threads, maxWaitMs));
    return new PasswordHasher(vertx.createSharedWorkerExecutor(pool, threads), queue);
  }

  /** Blocking: loads libargon2 and computes the decoy hash, so a missing library fails the start, not a login. */
  public static void loadNative() {
    if (Native.DECOY == null) {
      throw new IllegalStateException("argon2 produced no hash");
    }
  }

  /** The hash of {@code password}; fails with {@link Busy} at once when the queue is full. */
  public Future<String> hash(String password) {
    return submit(() -> hashNow(password));
  }

  /**
   * True when {@code password} matches {@code hash}; with a null hash, spends the same time and says false. Fails
   * with {@link Busy} at once when the queue is full.
   */
  public Future<Boolean> verify(String hash, String password) {
    return submit(() -> Native.ARGON2.verify(hash != null ? hash : Native.DECOY, password.toCharArray())
        && hash != null);
  }

  private <T> Future<T> submit(Callable<T> work) {
    int ahead = queue.pending.getAndIncrement();
    long waitMs = queue.waitMs(ahead);
    if (waitMs > queue.maxWaitMs) {
      queue.pending.decrementAndGet();
      return Future.failedFuture(new Busy((int) Math.max(1, (waitMs + 999) / 1000)));
    }
    boolean[] ran = {false};
    return executor.<T>executeBlocking(() -> {
      ran[0] = true;
      yieldToOthers();
      long t0 = System.nanoTime();
      try {
        return work.call();
      } finally {
        queue.timed(System.nanoTime() - t0);
        queue.pending.decrementAndGet();
      }
    }, false).onFailure(t -> {
      if (!ran[0]) {
        queue.pending.decrementAndGet(); // refused by a closed pool: it never counted itself out
      }
    });
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

  /** Lowers this (hashing) thread's scheduling priority, once: see the class comment. Linux with glibc only. */
  private static void yieldToOthers() {
    if (NICED.get()) {
      return;
    }
    NICED.set(true);
    final int prioProcess = 0; // with a thread id: that thread alone (Linux: the nice value is per thread)
    try {
      com.sun.jna.NativeLibrary c = com.sun.jna.NativeLibrary.getInstance("c");
      int tid = c.getFunction("gettid").invokeInt(new Object[0]);
      if (c.getFunction("setpriority").invokeInt(new Object[] {prioProcess, tid, NICE}) != 0) {
        LOG.debug("setpriority on hashing thread {} failed; it hashes at normal priority", tid);
      }
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      LOG.debug("no per-thread nice value here ({}); hashing threads run at normal priority", e.toString());
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
