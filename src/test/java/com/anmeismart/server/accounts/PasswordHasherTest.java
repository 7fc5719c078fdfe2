package com.anmeismart.server.accounts;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The hashing pool's two rules: a queue bounded by time (refusals at once), threads that yield the CPU. */
class PasswordHasherTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    PasswordHasher.loadNative();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aBurstBeyondTheWaitBoundIsRefusedAtOnceAndEveryAcceptedHashIsRight() throws Exception {
    PasswordHasher hasher = PasswordHasher.create(vertx, "test-hash-burst", 1, 300);
    List<Future<String>> burst = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      burst.add(hasher.hash("password-" + i));
    }
    // the refusals are already failed when the burst has been submitted: nobody waits to hear "busy"
    List<Future<String>> refused = burst.stream().filter(Future::failed).toList();
    assertThat(refused).as("60 hashes at once on one thread, 0.3 s of queue").isNotEmpty();
    assertThat(refused).allSatisfy(f -> assertThat(f.cause()).isInstanceOfSatisfying(PasswordHasher.Busy.class,
        busy -> assertThat(busy.retryAfterSeconds()).isPositive()));
    List<Future<String>> accepted = burst.stream().filter(f -> !f.failed()).toList();
    assertThat(accepted).as("the head of the burst is queued").isNotEmpty();
    for (int i = 0; i < burst.size(); i++) {
      if (!burst.get(i).failed()) {
        String hash = burst.get(i).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(hasher.verify(hash, "password-" + i).toCompletionStage().toCompletableFuture()
            .get(10, TimeUnit.SECONDS)).isTrue();
      }
    }
    // the queue drained: a hash is accepted again at once
    assertThat(hasher.hash("after the burst").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .startsWith("$argon2id$");
    hasher.close();
  }

  @Test
  void hashingThreadsRunAtNiceTen() throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
    PasswordHasher hasher = PasswordHasher.create(vertx, "test-hash-nice", 1, 5_000);
    hasher.hash("x").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    List<Integer> nices = new ArrayList<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : tasks.toList()) {
        if (read(task.resolve("comm")).startsWith("test-hash-nice")) {
          String stat = read(task.resolve("stat"));
          // fields after the ")" that ends the name: state is field 3, nice is field 19
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          nices.add(Integer.parseInt(fields[19 - 3]));
        }
      }
    }
    assertThat(nices).as("the hashing thread's nice value").containsExactly(PasswordHasher.NICE);
    hasher.close();
  }

  private static String read(Path p) {
    try {
      return Files.readString(p).strip();
    } catch (IOException e) {
      return ""; // the thread ended meanwhile
    }
  }
}
