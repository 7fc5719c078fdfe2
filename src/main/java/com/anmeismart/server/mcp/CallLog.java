package com.anmeismart.server.mcp;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes {@code mcp_call_logs} off the call's path: calls enqueue a row and return; a timer flushes the queue in
 * batches (one INSERT per batch). The queue is bounded: under a flood, rows beyond it are dropped and counted
 * ({@code mcp_call_log_dropped}) rather than slowing the calls or exhausting memory.
 */
final class CallLog {

  private static final Logger LOG = LoggerFactory.getLogger(CallLog.class);
  private static final int MAX_QUEUED = 50_000;
  private static final int BATCH = 1_000;
  private static final long FLUSH_MS = 200;
  /** Responses can be large (a list of records): the log keeps the first part. */
  private static final int MAX_LOGGED_CHARS = 8_192;

  private record Entry(String tool, UUID groupId, String caller, String request, String response, boolean success,
                       String error, int durationMs, UUID subjectUserId) {
  }

  private final Vertx vertx;
  private final McpStore store;
  private final McpMetrics metrics;
  private final ConcurrentLinkedQueue<Entry> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private long timer = -1;
  private boolean flushing;

  CallLog(Vertx vertx, McpStore store, McpMetrics metrics) {
    this.vertx = vertx;
    this.store = store;
    this.metrics = metrics;
  }

  /** Starts the periodic flush on the calling (verticle) context. */
  void start() {
    timer = vertx.setPeriodic(FLUSH_MS, id -> flush(false));
  }

  /**
   * @param request  the arguments (any context token already removed)
   * @param response the result text, or null
   * @param subject  the user of the call's (verified) context token: the customer it was made for, or null
   */
  void add(String tool, UUID groupId, String caller, JsonObject request, String response, boolean success,
           String error, long durationMs, UUID subject) {
    if (queued.incrementAndGet() > MAX_QUEUED) {
      queued.decrementAndGet();
      metrics.callLogDropped(1);
      return;
    }
    queue.add(new Entry(tool, groupId, caller, request == null ? null : request.encode(), jsonOrText(response),
        success, error, (int) Math.min(Integer.MAX_VALUE, durationMs), subject));
  }

  private static String jsonOrText(String response) {
    if (response == null) {
      return null;
    }
    if (response.length() <= MAX_LOGGED_CHARS && response.startsWith("{")) {
      return response;
    }
    String head = response.length() <= MAX_LOGGED_CHARS ? response : response.substring(0, MAX_LOGGED_CHARS);
    return new JsonObject().put("text", head).put("truncated", response.length() > MAX_LOGGED_CHARS).encode();
  }

  /** @param drain write everything queued (at close); otherwise full batches now, the rest at the next tick */
  private Future<Void> flush(boolean drain) {
    if (flushing || queue.isEmpty()) {
      return Future.succeededFuture();
    }
    flushing = true;
    List<Entry> batch = new ArrayList<>(Math.min(BATCH, queued.get()));
    Entry e;
    while (batch.size() < BATCH && (e = queue.poll()) != null) {
      batch.add(e);
    }
    queued.addAndGet(-batch.size());
    int n = batch.size();
    String[] tools = new String[n];
    UUID[] groups = new UUID[n];
    String[] callers = new String[n];
    String[] requests = new String[n];
    String[] responses = new String[n];
    Boolean[] successes = new Boolean[n];
    String[] errors = new String[n];
    Integer[] durations = new Integer[n];
    UUID[] subjects = new UUID[n];
    for (int i = 0; i < n; i++) {
      Entry x = batch.get(i);
      tools[i] = x.tool();
      groups[i] = x.groupId();
      callers[i] = x.caller();
      requests[i] = x.request();
      responses[i] = x.response();
      successes[i] = x.success();
      errors[i] = x.error();
      durations[i] = x.durationMs();
      subjects[i] = x.subjectUserId();
    }
    return store.insertCallLogs(Tuple.of(tools, groups, callers, requests, responses, successes, errors, durations,
            subjects))
        .onFailure(t -> LOG.warn("could not write {} MCP call-log rows: {}", n, t.getMessage()))
        .eventually(() -> {
          flushing = false;
          // A full batch waiting is written at once, so the log keeps up under load; a smaller remainder waits for
          // the next tick. Writing every remainder at once instead made the flush a busy loop of small INSERTs
          // (about 60 rows each at 9,000 calls/s), and each statement costs PostgreSQL a commit and a WAL flush.
          return queued.get() >= BATCH || (drain && !queue.isEmpty()) ? flush(drain) : Future.succeededFuture();
        });
  }

  /** Stops the timer and writes what is queued. */
  Future<Void> close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    flushing = false;
    return flush(true).recover(t -> Future.succeededFuture());
  }
}
