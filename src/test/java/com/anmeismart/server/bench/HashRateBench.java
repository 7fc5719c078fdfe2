package com.anmeismart.server.bench;

import de.mkammerer.argon2.Argon2;
import de.mkammerer.argon2.Argon2Factory;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The raw argon2id rate (m=19 MiB, t=2, p=1, as the server hashes) on 1 and 2 threads: the ceiling of
 * registrations and logins per second on this machine. {@code bench/hashrate.sh [seconds]}
 */
public final class HashRateBench {

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    Argon2 argon2 = Argon2Factory.create(Argon2Factory.Argon2Types.ARGON2id);
    argon2.hash(2, 19 * 1024, 1, "warm-up".toCharArray());
    int cores = Runtime.getRuntime().availableProcessors();
    for (int threads = 1; threads <= cores; threads++) {
      AtomicLong count = new AtomicLong();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      for (int t = 0; t < threads; t++) {
        pool.submit(() -> {
          while (System.nanoTime() < end) {
            argon2.hash(2, 19 * 1024, 1, "correct-horse-battery".toCharArray());
            count.incrementAndGet();
          }
        });
      }
      pool.shutdown();
      pool.awaitTermination(seconds + 30L, TimeUnit.SECONDS);
      System.out.printf("argon2id m=19MiB t=2 p=1: %d thread(s): %.1f hashes/s%n", threads,
          count.get() / (double) seconds);
    }
  }
}
