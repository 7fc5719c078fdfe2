package com.anmeismart.server.bench.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A run's summary: what happened, what the clients saw, what the database holds, and the verdict. It ends with
 * {@code LOST=n DUPLICATED=n}; the exit status is 0 only when nothing was lost or duplicated and every other claim
 * of the scenario held (each failed claim is listed above that line).
 */
final class Report {

  private final String title;
  private final List<String> lines = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  private long lost;
  private long duplicated;

  Report(String title) {
    this.title = title;
  }

  void line(String format, Object... args) {
    lines.add(String.format(format, args));
  }

  /** A claim of the scenario: listed as held, or as a failure that makes the run exit non-zero. */
  void check(boolean held, String claim) {
    if (held) {
      lines.add("  ok: " + claim);
    } else {
      failures.add(claim);
    }
  }

  /**
   * The ledger of the run: every registration the server acknowledged (a 201, or a 409 after an answer that got
   * lost) must be stored with exactly one conversation, one welcome and a succeeded job; so must every customer the
   * database holds. A customer short of any of these is lost; each row beyond the one is a duplicate.
   */
  void tally(Registrations load, List<Ledger.Customer> stored) {
    Map<String, Ledger.Customer> byName = stored.stream()
        .collect(Collectors.toMap(Ledger.Customer::username, Function.identity()));
    List<Registrations.Result> results = load.results();
    Map<Registrations.Outcome, Long> outcomes = new TreeMap<>(results.stream()
        .collect(Collectors.groupingBy(Registrations.Result::outcome, Collectors.counting())));
    line("clients: %d registrations: %s", results.size(), outcomes);
    line("answers and errors the clients saw: %s", load.seen());
    Set<String> acknowledged = new HashSet<>();
    for (Registrations.Result r : results) {
      if (r.outcome() == Registrations.Outcome.CREATED || r.outcome() == Registrations.Outcome.CREATED_ANSWER_LOST) {
        acknowledged.add(r.username());
      }
    }
    List<String> missing = acknowledged.stream().filter(u -> !byName.containsKey(u)).sorted().toList();
    List<Ledger.Customer> incomplete = stored.stream().filter(c -> !c.complete()).toList();
    long unacknowledged = stored.stream().filter(c -> !acknowledged.contains(c.username())).count();
    lost = missing.size() + incomplete.size();
    duplicated = stored.stream().mapToLong(Ledger.Customer::duplicates).sum();

    line("database: %d customers of the run; %d conversations, %d welcomes, %d AI messages, %d jobs",
        stored.size(), sum(stored, Ledger.Customer::conversations), sum(stored, Ledger.Customer::welcomes),
        sum(stored, Ledger.Customer::aiMessages), sum(stored, Ledger.Customer::jobs));
    line("jobs by state: %s; attempts per job: %s", count(stored, c -> String.valueOf(c.jobStatus())),
        count(stored, c -> String.valueOf(c.attempts())));
    line("welcomes by source: %s", count(stored.stream().filter(c -> c.source() != null).toList(),
        c -> c.source() + (c.fallbackReason() == null ? "" : " (" + c.fallbackReason().replaceAll(":.*", "") + ")")));
    long[] ms = stored.stream().filter(c -> c.welcomeMs() != null).mapToLong(Ledger.Customer::welcomeMs).sorted()
        .toArray();
    if (ms.length > 0) {
      line("registration → welcome stored (database clock): p50 %d ms, p95 %d ms, p99 %d ms, max %d ms (n=%d)",
          pct(ms, 50), pct(ms, 95), pct(ms, 99), ms[ms.length - 1], ms.length);
    }
    if (unacknowledged > 0) {
      line("stored although no client saw it acknowledged: %d (their clients gave up or were refused)",
          unacknowledged);
    }
    if (!missing.isEmpty()) {
      line("acknowledged but not stored: %s", missing.subList(0, Math.min(10, missing.size())));
    }
    incomplete.stream().limit(10).forEach(c -> line("incomplete: %s", c));
    stored.stream().filter(c -> c.duplicates() > 0).limit(10).forEach(c -> line("duplicated: %s", c));
    long gaveUp = outcomes.getOrDefault(Registrations.Outcome.GAVE_UP, 0L);
    long refused = outcomes.getOrDefault(Registrations.Outcome.REFUSED, 0L);
    check(gaveUp == 0 && refused == 0, "every registration was acknowledged in the end (gave up: " + gaveUp
        + ", refused: " + refused + ")");
    long errors = load.seen().entrySet().stream()
        .filter(e -> e.getKey().startsWith("5") && !e.getKey().startsWith("503")).mapToLong(Map.Entry::getValue).sum();
    check(errors == 0, "no 5xx answer other than 503 (" + errors + ")");
    long bare503 = load.seen().getOrDefault("503 without Retry-After", 0L);
    check(bare503 == 0, "every 503 came with Retry-After (" + bare503 + " without)");
    check(stored.stream().noneMatch(c -> "dead".equals(c.jobStatus())), "no job dead");
  }

  static long seconds(Instant from, Instant to) {
    return Duration.between(from, to).toMillis();
  }

  static long pct(long[] sorted, double p) {
    return sorted[Math.max(0, (int) Math.ceil(p / 100 * sorted.length) - 1)];
  }

  private static long sum(List<Ledger.Customer> stored, java.util.function.ToIntFunction<Ledger.Customer> f) {
    return stored.stream().mapToLong(f::applyAsInt).sum();
  }

  private static Map<String, Long> count(List<Ledger.Customer> stored, Function<Ledger.Customer, String> key) {
    return new TreeMap<>(stored.stream().collect(Collectors.groupingBy(key, Collectors.counting())));
  }

  /** Prints the summary; returns the exit status. */
  int print() {
    StringBuilder out = new StringBuilder("\n== chaos: " + title + "\n");
    lines.forEach(l -> out.append(l).append('\n'));
    failures.forEach(f -> out.append("  FAILED: ").append(f).append('\n'));
    boolean ok = failures.isEmpty() && lost == 0 && duplicated == 0;
    out.append(ok ? "PASSED" : "FAILED").append('\n');
    out.append("LOST=").append(lost).append(" DUPLICATED=").append(duplicated).append('\n');
    System.out.print(out);
    System.out.flush();
    return ok ? 0 : 1;
  }

  static String join(Object... parts) {
    return Arrays.stream(parts).map(String::valueOf).collect(Collectors.joining(", "));
  }
}
