package com.anmeismart.server.mcp;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Writes {@code mcp_call_logs} off the call's path: calls enqueue a row and return; a timer flushes the queue in
 * batches (one INSERT per batch). The queue is bounded: under a flood, rows beyond it are dropped and counted
 * ({@code mcp_call_log_dropped}) rather than slowing the calls or exhausting memory.
 * <p>
 * Whatever a caller sent, its row can be written: text is cleaned of what PostgreSQL refuses (NUL, which neither
 * {@code text} nor {@code jsonb} stores, and unpaired surrogates, which have no UTF-8 form) and capped in size, before
 * the batch is built. Should a batch still fail, it is split and retried, so one row the database refuses costs that
 * row alone (counted as dropped, cause {@code unwritable}) and never the rows written with it.
 */
final class CallLog {

  private static final Logger LOG = LoggerFactory.getLogger(CallLog.class);
  private static final int MAX_QUEUED = 50_000;
  private static final int BATCH = 1_000;
  private static final long FLUSH_MS = 200;
  /** Requests and responses can be large (a list of records): the log keeps the first part. */
  static final int MAX_LOGGED_CHARS = 8_192;
  /** Tool names, callers and error messages come from the request too: a name is short, an error a paragraph. */
  static final int MAX_NAME_CHARS = 100;
  static final int MAX_ERROR_CHARS = 2_000;
  private static final char REPLACEMENT = '\uFFFD';

  /** Where batches go: {@code McpStore.insertCallLogs}, the owner of the table. */
  @FunctionalInterface
  interface Sink {
    Future<Void> insert(Tuple columns);
  }

  private record Entry(String tool, UUID groupId, String caller, String request, String response, boolean success,
                       String error, int durationMs, UUID subjectUserId, String keyUsed) {
  }

  private final Vertx vertx;
  private final Sink sink;
  private final McpMetrics metrics;
  private final ConcurrentLinkedQueue<Entry> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private long timer = -1;
  private boolean flushing;

  CallLog(Vertx vertx, Sink sink, McpMetrics metrics) {
    this.vertx = vertx;
    this.sink = sink;
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
    add(tool, groupId, caller, request, response, success, error, durationMs, subject, null);
  }

  /** @param keyUsed {@code current} or {@code previous} (the key the request presented), null in-process */
  void add(String tool, UUID groupId, String caller, JsonObject request, String response, boolean success,
           String error, long durationMs, UUID subject, String keyUsed) {
    if (queued.incrementAndGet() > MAX_QUEUED) {
      queued.decrementAndGet();
      metrics.callLogDropped("queue_full", 1);
      return;
    }
    queue.add(new Entry(tool, groupId, caller, request == null ? null : requestJson(request), responseJson(response),
        success, error, (int) Math.min(Integer.MAX_VALUE, durationMs), subject, keyUsed));
  }

  /**
   * The arguments as JSON that {@code jsonb} accepts, at most {@link #MAX_LOGGED_CHARS} long. This runs on the call's
   * path: arguments with nothing to clean (the common case) cost one encoding and one scan, no copy.
   */
  static String requestJson(JsonObject request) {
    String json = request.encode();
    if (ESCAPES_JSONB_REFUSES.matcher(json).find() || cleanText(json) != json) {
      json = clean(request).encode();
    }
    return json.length() <= MAX_LOGGED_CHARS ? json : truncated(json);
  }

  /** The result text: a small JSON object as it is, anything else (too long, not an object) wrapped. */
  static String responseJson(String response) {
    if (response == null) {
      return null;
    }
    if (response.length() <= MAX_LOGGED_CHARS && response.startsWith("{")) {
      // A tool may echo an argument: its NUL or lone surrogate is then a backslash-u escape in the JSON text, which
      // jsonb refuses too. Only such text is decoded and cleaned; the rest is stored as the tool wrote it.
      if (!ESCAPES_JSONB_REFUSES.matcher(response).find() && cleanText(response) == response) {
        return response;
      }
      try {
        return clean(new JsonObject(response)).encode();
      } catch (RuntimeException e) {
        // not JSON after all: stored as text below
      }
    }
    return response.length() <= MAX_LOGGED_CHARS
        ? new JsonObject().put("text", cleanText(response)).put("truncated", false).encode() : truncated(response);
  }

  private static String truncated(String text) {
    return new JsonObject().put("text", cleanText(cut(text, MAX_LOGGED_CHARS))).put("truncated", true).encode();
  }

  private static final Pattern ESCAPES_JSONB_REFUSES = Pattern.compile("\\\\u(0000|[dD][89a-fA-F])");

  /** A copy of the JSON value: every key and string cleaned ({@link #cleanText}), numbers JSON can't hold as text. */
  @SuppressWarnings("unchecked")
  static <T> T clean(T value) {
    if (value instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      for (Map.Entry<String, Object> e : o) {
        out.put(cleanText(e.getKey()), clean(e.getValue()));
      }
      return (T) out;
    }
    if (value instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(x -> out.add(clean(x)));
      return (T) out;
    }
    if (value instanceof Double d && !Double.isFinite(d) || value instanceof Float f && !Float.isFinite(f)) {
      return (T) String.valueOf(value);
    }
    return value instanceof String s ? (T) cleanText(s) : value;
  }

  /**
   * The text with NUL and unpaired surrogates replaced by U+FFFD; the same instance when there is nothing to replace
   * (the common case costs one scan).
   */
  static String cleanText(String s) {
    if (s == null) {
      return null;
    }
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean bad;
      if (Character.isHighSurrogate(c)) {
        bad = i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        if (!bad) {
          if (out != null) {
            out.append(c).append(s.charAt(i + 1));
          }
          i++;
          continue;
        }
      } else {
        bad = c == '\u0000' || Character.isLowSurrogate(c);
      }
      if (bad && out == null) {
        out = new StringBuilder(s.length()).append(s, 0, i);
      }
      if (out != null) {
        out.append(bad ? REPLACEMENT : c);
      }
    }
    return out == null ? s : out.toString();
  }

  /** At most {@code max} characters, never ending inside a surrogate pair. */
  static String cut(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
    return s.substring(0, end);
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
    return write(batch)
        .eventually(() -> {
          flushing = false;
          // A full batch waiting is written at once, so the log keeps up under load; a smaller remainder waits for
          // the next tick. Writing every remainder at once instead made the flush a busy loop of small INSERTs
          // (about 60 rows each at 9,000 calls/s), and each statement costs PostgreSQL a commit and a WAL flush.
          return queued.get() >= BATCH || (drain && !queue.isEmpty()) ? flush(drain) : Future.succeededFuture();
        });
  }

  /**
   * Writes the rows in one INSERT; if the database refuses it, writes each half the same way, down to the single
   * row that can't be written (dropped, counted, logged without its content). A database that is down fails every
   * half too: then the batch is lost, as before, but for its own reason.
   */
  private Future<Void> write(List<Entry> rows) {
    return sink.insert(columns(rows)).recover(t -> {
      if (rows.size() == 1) {
        metrics.callLogDropped("unwritable", 1);
        LOG.warn("could not write an MCP call-log row (tool {}): {}", rows.get(0).tool(), t.getMessage());
        return Future.succeededFuture();
      }
      LOG.debug("an MCP call-log batch of {} rows failed ({}); writing it in halves", rows.size(), t.getMessage());
      int half = rows.size() / 2;
      return write(rows.subList(0, half)).compose(v -> write(rows.subList(half, rows.size())));
    });
  }

  private static Tuple columns(List<Entry> batch) {
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
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      Entry x = batch.get(i);
      tools[i] = cleanText(cut(x.tool(), MAX_NAME_CHARS));
      groups[i] = x.groupId();
      callers[i] = cleanText(cut(x.caller(), MAX_NAME_CHARS));
      requests[i] = x.request();
      responses[i] = x.response();
      successes[i] = x.success();
      errors[i] = cleanText(cut(x.error(), MAX_ERROR_CHARS));
      durations[i] = x.durationMs();
      subjects[i] = x.subjectUserId();
      keys[i] = x.keyUsed();
    }
    return Tuple.tuple().addValue(tools).addValue(groups).addValue(callers).addValue(requests).addValue(responses)
        .addValue(successes).addValue(errors).addValue(durations).addValue(subjects).addValue(keys);
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
