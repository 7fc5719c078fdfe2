package com.anmeismart.server.mcp;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-key (group) and per-tool quotas (SPEC §11): a token bucket (bucket4j) for the rate with its burst, and a
 * counter of calls in flight for the concurrency cap, checked before a tool runs. A refusal says how long to wait;
 * nothing here ever waits. Each key and each tool row has its own bucket and counter, so one key's limit never
 * slows another.
 *
 * <p>In a cluster each node enforces its share: {@code rate / nodes}, {@code burst / nodes} and
 * {@code ceil(max_concurrent / nodes)} (at least one), with {@code nodes} the server processes alive now (their
 * instance locks in PostgreSQL, re-read every few seconds, {@link #shareAmong}). So a key never gets more than its
 * rate across the cluster (within the refresh delay after a node joins); it may get less when a load balancer sends
 * all of its traffic to one node (down to rate / nodes). A shared counter in PostgreSQL would be exact but costs a
 * round trip and a row lock per call (docs/safety.md measures both).
 */
public final class Quotas {

  /** A concurrency refusal can't know when a slot frees: the caller is told to retry after this long. */
  static final long CONCURRENCY_RETRY_MS = 1_000;

  /** What a check decided. */
  public sealed interface Admission permits Permit, Refused {
  }

  /** Admitted: holds the call's concurrency slots until {@link #release()} (once; later calls do nothing). */
  public static final class Permit implements Admission {
    static final Permit FREE = new Permit(null, null);
    private final AtomicInteger group;
    private final AtomicInteger tool;
    private boolean released;

    private Permit(AtomicInteger group, AtomicInteger tool) {
      this.group = group;
      this.tool = tool;
    }

    public synchronized void release() {
      if (released) {
        return;
      }
      released = true;
      if (group != null) {
        group.decrementAndGet();
      }
      if (tool != null) {
        tool.decrementAndGet();
      }
    }
  }

  /**
   * Refused.
   *
   * @param scope        {@code group} (the key's quota) or {@code tool} (the tool row's)
   * @param limit        {@code rate} or {@code concurrency}
   * @param retryAfterMs when to try again
   */
  public record Refused(String scope, String limit, long retryAfterMs) implements Admission {
    /** Whole seconds for {@code Retry-After} (at least 1: the header has no fractions). */
    public long retryAfterSeconds() {
      return Math.max(1, (retryAfterMs + 999) / 1000);
    }

    public String describe(String group, String tool) {
      return "rate_limited: " + ("tool".equals(scope) ? "tool " + tool + " of group " + group : "group " + group)
          + " is over its " + ("rate".equals(limit) ? "rate" : "concurrent-call") + " limit; retry after "
          + retryAfterMs + " ms";
    }
  }

  /** A bucket built for some limits and node count: rebuilt when either changes. */
  private record Rate(double perSecond, long size, int nodes, Bucket bucket) {
  }

  private final Map<UUID, Rate> rates = new ConcurrentHashMap<>();
  private final Map<UUID, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private volatile int nodes = 1;

  /** Each node enforces 1/{@code liveNodes} of every limit (at least 1 node). */
  public void shareAmong(int liveNodes) {
    nodes = Math.max(1, liveNodes);
  }

  public int nodes() {
    return nodes;
  }

  /**
   * Checks and takes: a token from the group's bucket and the tool's, a slot in the group's and the tool's
   * concurrency. All or nothing: a refusal by the tool gives the group's token back.
   */
  public Admission admit(McpGroup group, McpGroup.Tool tool) {
    McpGroup.Quota gq = group.quota();
    McpGroup.Quota tq = tool == null ? McpGroup.Quota.NONE : tool.quota();
    if (!gq.limited() && !tq.limited()) {
      return Permit.FREE;
    }
    int n = nodes;
    AtomicInteger gSlots = slots(group.id(), gq, n);
    AtomicInteger tSlots = tool == null ? null : slots(tool.id(), tq, n);
    if (gSlots != null && gSlots.incrementAndGet() > cap(gq, n)) {
      gSlots.decrementAndGet();
      return new Refused("group", "concurrency", CONCURRENCY_RETRY_MS);
    }
    if (tSlots != null && tSlots.incrementAndGet() > cap(tq, n)) {
      tSlots.decrementAndGet();
      release(gSlots);
      return new Refused("tool", "concurrency", CONCURRENCY_RETRY_MS);
    }
    Bucket gBucket = bucket(group.id(), gq, n);
    ConsumptionProbe g = gBucket == null ? null : gBucket.tryConsumeAndReturnRemaining(1);
    if (g != null && !g.isConsumed()) {
      release(gSlots);
      release(tSlots);
      return new Refused("group", "rate", waitMs(g));
    }
    Bucket tBucket = tool == null ? null : bucket(tool.id(), tq, n);
    ConsumptionProbe t = tBucket == null ? null : tBucket.tryConsumeAndReturnRemaining(1);
    if (t != null && !t.isConsumed()) {
      if (gBucket != null) {
        gBucket.addTokens(1);
      }
      release(gSlots);
      release(tSlots);
      return new Refused("tool", "rate", waitMs(t));
    }
    return new Permit(gSlots, tSlots);
  }

  /**
   * Whether {@link #admit} would refuse now, without taking anything: for a transport that must answer before it
   * hands the call on (the legacy SSE POST is answered 202 before the answer travels on the stream).
   */
  public Refused wouldRefuse(McpGroup group, McpGroup.Tool tool) {
    McpGroup.Quota gq = group.quota();
    McpGroup.Quota tq = tool == null ? McpGroup.Quota.NONE : tool.quota();
    int n = nodes;
    Refused r = peek("group", group.id(), gq, n);
    return r != null || tool == null ? r : peek("tool", tool.id(), tq, n);
  }

  private Refused peek(String scope, UUID id, McpGroup.Quota q, int n) {
    AtomicInteger slots = slots(id, q, n);
    if (slots != null && slots.get() >= cap(q, n)) {
      return new Refused(scope, "concurrency", CONCURRENCY_RETRY_MS);
    }
    Bucket b = bucket(id, q, n);
    EstimationProbe e = b == null ? null : b.estimateAbilityToConsume(1);
    if (e != null && !e.canBeConsumed()) {
      return new Refused(scope, "rate", Math.max(1, TimeUnit.NANOSECONDS.toMillis(e.getNanosToWaitForRefill()) + 1));
    }
    return null;
  }

  /** Forgets the state of groups and tools that no longer exist (after a reload). */
  public void retain(Set<UUID> ids) {
    rates.keySet().retainAll(ids);
    inFlight.entrySet().removeIf(e -> !ids.contains(e.getKey()) && e.getValue().get() == 0);
  }

  private AtomicInteger slots(UUID id, McpGroup.Quota q, int n) {
    return q.maxConcurrent() == null ? null : inFlight.computeIfAbsent(id, k -> new AtomicInteger());
  }

  private static int cap(McpGroup.Quota q, int n) {
    return Math.max(1, (q.maxConcurrent() + n - 1) / n);
  }

  private Bucket bucket(UUID id, McpGroup.Quota q, int n) {
    if (q.ratePerSecond() == null) {
      return null;
    }
    double perSecond = q.ratePerSecond() / n;
    long size = Math.max(1, q.bucketSize() / n);
    Rate r = rates.get(id);
    if (r == null || r.perSecond() != perSecond || r.size() != size || r.nodes() != n) {
      r = new Rate(perSecond, size, n, newBucket(perSecond, size));
      rates.put(id, r);
    }
    return r.bucket();
  }

  /**
   * A bucket of {@code size} tokens refilled greedily (a token at a time, as the time passes) at {@code perSecond}.
   * bucket4j takes whole tokens per period, so a rate is expressed per 1,000 s: 0.5/s is 500 tokens per 1,000 s.
   */
  static Bucket newBucket(double perSecond, long size) {
    long tokens = Math.max(1, Math.round(perSecond * 1_000));
    return Bucket.builder().addLimit(Bandwidth.builder().capacity(size)
        .refillGreedy(tokens, Duration.ofSeconds(1_000)).initialTokens(size).build()).build();
  }

  private static long waitMs(ConsumptionProbe p) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(p.getNanosToWaitForRefill()) + 1);
  }

  private static void release(AtomicInteger slots) {
    if (slots != null) {
      slots.decrementAndGet();
    }
  }
}
