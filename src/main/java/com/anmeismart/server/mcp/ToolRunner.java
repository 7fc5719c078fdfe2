package com.anmeismart.server.mcp;

import com.anmeismart.server.db.Outage;
import com.anmeismart.server.mcp.tools.Schema;
import com.anmeismart.server.mcp.tools.ToolCall;
import com.anmeismart.server.mcp.tools.ToolDef;
import com.anmeismart.server.mcp.tools.ToolError;
import com.anmeismart.server.security.ContextTokens;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a tool for a caller: the one place that enforces the group (a tool the group does not hold enabled is
 * "unknown", exactly like a tool that does not exist), validates arguments, applies context tokens, the per-tool
 * timeout, and records the call (metrics, call log). Every transport (Streamable HTTP, SSE, stdio, the REST pair)
 * goes through here, so the rules can't differ between them.
 */
public final class ToolRunner {

  private static final Logger LOG = LoggerFactory.getLogger(ToolRunner.class);

  /**
   * Who is calling.
   *
   * @param groupId      the group of the key the request carried
   * @param contextToken the {@code X-Context-Token} header, or null
   * @param callerId     who to name in the call log (client name or transport)
   */
  public record Caller(UUID groupId, String contextToken, String callerId, String keyUsed) {
    /** An in-process caller (an admin's test call): no key was presented. */
    public Caller(UUID groupId, String contextToken, String callerId) {
      this(groupId, contextToken, callerId, null);
    }
  }

  /**
   * The result: unknown tool (for the caller's group), a tool error (isError, with a message), or the JSON text.
   *
   * @param structured   the result as a JSON value when the tool declares an output schema (the transports send it
   *                     as {@code structuredContent} to clients whose revision has it), else null
   * @param retryAfterMs above 0: the call was refused by a quota (the tool did not run); retry after this long.
   *                     HTTP transports answer 429 with {@code Retry-After}, JSON-RPC ones -32000 with
   *                     {@code data.retry_after_ms}
   */
  public record Outcome(boolean unknown, boolean error, String text, Object structured, long retryAfterMs) {
    public Outcome(boolean unknown, boolean error, String text, Object structured) {
      this(unknown, error, text, structured, 0);
    }

    static Outcome unknownTool() {
      return new Outcome(true, true, null, null);
    }

    public boolean throttled() {
      return retryAfterMs > 0;
    }
  }

  /** The JSON-RPC error code of a quota refusal: implementation-defined server error (-32000 to -32099). */
  public static final int THROTTLED_CODE = -32000;
  public static final String RETRY_AFTER_MS = "retry_after_ms";

  private final Vertx vertx;
  private final GroupRegistry registry;
  private final Map<String, ToolDef> tools = new LinkedHashMap<>();
  private final Map<String, Validator> validators = new LinkedHashMap<>();
  private final Map<String, Validator> outputValidators = new LinkedHashMap<>();
  private final ContextTokens contextTokens;
  private final CallLog callLog;
  private final McpMetrics metrics;
  private final Quotas quotas;

  ToolRunner(Vertx vertx, GroupRegistry registry, List<ToolDef> defs, ContextTokens contextTokens, CallLog callLog,
             McpMetrics metrics) {
    this(vertx, registry, defs, contextTokens, callLog, metrics, new Quotas());
  }

  ToolRunner(Vertx vertx, GroupRegistry registry, List<ToolDef> defs, ContextTokens contextTokens, CallLog callLog,
             McpMetrics metrics, Quotas quotas) {
    this.quotas = quotas;
    this.vertx = vertx;
    this.registry = registry;
    this.contextTokens = contextTokens;
    this.callLog = callLog;
    this.metrics = metrics;
    JsonSchemaOptions options = new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("app:///")
        .setOutputFormat(OutputFormat.Basic);
    for (ToolDef d : defs) {
      tools.put(d.name(), d);
      // From a copy: the validator library writes its own keys (__absolute_uri__) into the object it compiles, and
      // the definition's schema is what the tools publish, byte for byte.
      validators.put(d.name(), Validator.create(JsonSchema.of(d.inputSchema().copy()), options));
      if (d.outputSchema() != null) {
        outputValidators.put(d.name(), Validator.create(JsonSchema.of(d.outputSchema().copy()), options));
      }
    }
  }

  /** Every tool the server implements (the SDK lists them; the group filter hides the others). */
  public List<ToolDef> definitions() {
    return List.copyOf(tools.values());
  }

  /** The tools a group may see now, with the description its row gives them. */
  public List<ToolDef> visible(UUID groupId) {
    McpGroup g = registry.byId(groupId);
    List<ToolDef> out = new ArrayList<>();
    if (g == null || !g.enabled()) {
      return out;
    }
    for (ToolDef d : tools.values()) {
      if (g.enabledTool(d.name()) != null) {
        out.add(d);
      }
    }
    return out;
  }

  public boolean visible(UUID groupId, String toolName) {
    McpGroup g = registry.byId(groupId);
    return g != null && g.enabled() && g.enabledTool(toolName) != null && tools.containsKey(toolName);
  }

  public Future<Outcome> call(Caller caller, String toolName, JsonObject arguments) {
    long t0 = System.nanoTime();
    McpGroup group = registry.byId(caller.groupId());
    McpGroup.Tool row = group == null || !group.enabled() ? null : group.enabledTool(toolName);
    ToolDef def = tools.get(toolName);
    String groupName = group == null ? "none" : group.name();
    JsonObject args = arguments == null ? new JsonObject() : arguments.copy();
    if (row == null || def == null) {
      String logged = toolName == null || toolName.length() > 100 ? "(invalid)" : toolName;
      metrics.call("(unknown)", groupName, "unknown", System.nanoTime() - t0);
      callLog.add(logged, group == null ? null : group.id(), caller.callerId(), null, null, false, "unknown tool",
          0, null, caller.keyUsed());
      return Future.succeededFuture(Outcome.unknownTool());
    }
    if ("previous".equals(caller.keyUsed())) {
      metrics.previousKey(group.name());
    }
    // the quota first: a refused call costs nothing but this check and its log row
    Quotas.Admission admission = quotas.admit(group, row);
    if (admission instanceof Quotas.Refused refused) {
      return Future.succeededFuture(refuse(caller, group, toolName, args, refused, t0));
    }
    Quotas.Permit permit = (Quotas.Permit) admission;
    Object tokenArg = args.remove(Schema.CONTEXT_TOKEN);
    String token = tokenArg instanceof String s && !s.isBlank() ? s : caller.contextToken();
    JsonObject logged = args.copy();
    if (token != null) {
      logged.put(Schema.CONTEXT_TOKEN, "[redacted]");
    }
    Future<Object> result;
    Future<UUID> scope = Future.succeededFuture(); // the context token's user: the customer the call was made for
    String invalid = validate(toolName, args);
    if (invalid != null) {
      result = Future.failedFuture(new ToolError("Invalid arguments: " + invalid));
    } else if (token == null && group.requiresContextToken()) {
      result = Future.failedFuture(new ToolError("This tool group requires a context token (header X-Context-Token "
          + "or argument context_token)"));
    } else {
      scope = token == null ? Future.succeededFuture(null) : contextTokens.verify(token)
          .recover(t -> Future.failedFuture(new ToolError("The context token is invalid or expired")));
      result = timeout(scope.compose(user -> {
        try {
          return def.handler().call(new ToolCall(args, user, group.name(), row.config()));
        } catch (RuntimeException e) {
          return Future.failedFuture(e);
        }
      }), row.timeoutSeconds());
    }
    Future<UUID> subject = scope;
    return result.transform(ar -> {
      permit.release();
      long nanos = System.nanoTime() - t0;
      long ms = nanos / 1_000_000;
      Outcome outcome;
      String outcomeTag;
      String mismatch = ar.succeeded() ? outputMismatch(toolName, ar.result()) : null;
      if (mismatch != null) {
        outcome = new Outcome(false, true, mismatch, null);
        outcomeTag = "error";
      } else if (ar.succeeded()) {
        outcome = new Outcome(false, false, Json.encode(ar.result()), def.outputSchema() == null ? null : ar.result());
        outcomeTag = "success";
      } else {
        outcome = new Outcome(false, true, errorText(toolName, row, ar.cause()), null);
        outcomeTag = ar.cause() instanceof TimeoutException ? "timeout" : "error";
      }
      UUID user = subject.succeeded() ? subject.result() : null;
      if (ContextTokens.WARM_UP.equals(user)) {
        return Future.succeededFuture(outcome); // the server's own warm-up at start: not a call anyone made
      }
      metrics.call(toolName, group.name(), outcomeTag, nanos);
      callLog.add(toolName, group.id(), caller.callerId(), logged, outcome.error() ? null : outcome.text(),
          !outcome.error(), outcome.error() ? outcome.text() : null, ms, user, caller.keyUsed());
      return Future.succeededFuture(outcome);
    });
  }

  /**
   * For a transport that must decide before it hands a call on (the legacy SSE POST, answered before the call
   * runs): the refusal the call would get now, recorded like any refusal (metrics, call log), or null when the
   * quota admits it (the call itself then takes its permit in {@link #call}).
   */
  public Outcome precheck(Caller caller, String toolName, JsonObject arguments) {
    McpGroup group = registry.byId(caller.groupId());
    McpGroup.Tool row = group == null || !group.enabled() ? null : group.enabledTool(toolName);
    if (row == null || !tools.containsKey(toolName)) {
      return null; // unknown: the call says so itself
    }
    Quotas.Refused refused = quotas.wouldRefuse(group, row);
    return refused == null ? null : refuse(caller, group, toolName, arguments == null ? new JsonObject()
        : arguments.copy(), refused, System.nanoTime());
  }

  /** Records a refusal (metrics by group, scope and limit; the call log) and says when to retry. */
  private Outcome refuse(Caller caller, McpGroup group, String toolName, JsonObject args, Quotas.Refused refused,
                         long t0) {
    String text = refused.describe(group.name(), toolName);
    metrics.call(toolName, group.name(), "throttled", System.nanoTime() - t0);
    metrics.refused(group.name(), refused.scope(), refused.limit());
    JsonObject logged = args.copy();
    if (logged.containsKey(Schema.CONTEXT_TOKEN)) {
      logged.put(Schema.CONTEXT_TOKEN, "[redacted]");
    }
    callLog.add(toolName, group.id(), caller.callerId(), logged, null, false, text, 0, null, caller.keyUsed());
    return new Outcome(false, true, text, null, refused.retryAfterMs());
  }

  /** The quotas this runner enforces (the verticle tells them how many nodes share each limit). */
  public Quotas quotas() {
    return quotas;
  }

  /**
   * {@code work}, failed with a {@link TimeoutException} if it takes longer than {@code seconds}. Not
   * {@code Future.timeout}: the token check's future has no Vert.x context, and a context-less future arms its timer
   * on Netty's global executor thread, so every call would wake that thread twice (arm, cancel). A Vert.x timer is
   * armed on the calling event loop instead.
   */
  private <T> Future<T> timeout(Future<T> work, int seconds) {
    if (work.isComplete()) {
      return work;
    }
    Promise<T> promise = Promise.promise();
    long timer = vertx.setTimer(TimeUnit.SECONDS.toMillis(seconds),
        id -> promise.tryFail(new TimeoutException("timed out after " + seconds + " s")));
    work.onComplete(ar -> {
      vertx.cancelTimer(timer);
      // the try-forms: a no-op when the timer won
      if (ar.succeeded()) {
        promise.tryComplete(ar.result());
      } else {
        promise.tryFail(ar.cause());
      }
    });
    return promise.future();
  }

  private String validate(String toolName, JsonObject args) {
    OutputUnit out = validators.get(toolName).validate(args);
    if (Boolean.TRUE.equals(out.getValid())) {
      return null;
    }
    List<String> problems = new ArrayList<>();
    if (out.getErrors() != null) {
      for (OutputUnit e : out.getErrors()) {
        String where = e.getInstanceLocation() == null ? "" : e.getInstanceLocation().replaceFirst("^#?/?", "");
        problems.add((where.isEmpty() ? "" : where + ": ") + e.getError());
      }
    }
    return problems.isEmpty() ? "arguments do not match the input schema" : String.join("; ", problems);
  }

  /**
   * Spec "Tools", output schema: "Servers MUST provide structured results that conform to this schema." Checked
   * here, once for both eras (the SDK's own per-call check is switched off, see McpServers). A result that does not
   * conform is this server's bug: the caller gets an error with a reference, the log the details; null when fine.
   */
  private String outputMismatch(String toolName, Object result) {
    Validator v = outputValidators.get(toolName);
    if (v == null) {
      return null;
    }
    OutputUnit out = result instanceof JsonObject o ? v.validate(o) : null;
    if (out != null && Boolean.TRUE.equals(out.getValid())) {
      return null;
    }
    String ref = Long.toHexString(System.nanoTime());
    LOG.error("tool {} returned a result its output schema refuses (ref {}): {}", toolName, ref,
        out == null ? "not an object" : out.getErrors());
    return toolName + " failed with an internal error (ref " + ref + ")";
  }

  private static String errorText(String toolName, McpGroup.Tool row, Throwable t) {
    if (t instanceof ToolError) {
      return t.getMessage();
    }
    if (t instanceof TimeoutException) {
      return toolName + " timed out after " + row.timeoutSeconds() + " s";
    }
    if (Outage.isDatabaseUnavailable(t)) {
      // a restart or failover of PostgreSQL: worth a retry in a few seconds, not a bug to trace
      LOG.warn("tool {} failed: the database is unavailable ({})", toolName, Outage.describe(t));
      return toolName + " failed: the database is unavailable for a moment, try again in a few seconds";
    }
    String ref = Long.toHexString(System.nanoTime());
    LOG.error("tool {} failed (ref {})", toolName, ref, t);
    return toolName + " failed with an internal error (ref " + ref + ")";
  }
}
