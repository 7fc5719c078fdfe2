package com.anmeismart.server.mcp.transport;

import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The MCP port's route table. Every route passes the {@link McpAuth} guard first; bodies above the limit are
 * refused with 413 before anything reads them.
 */
public final class McpRoutes {

  private McpRoutes() {
  }

  public static Router router(Vertx vertx, McpAuth auth, StreamableHttpTransport streamable, SseTransport sse,
                              RestToolApi rest, QuotaGate quotas, long maxBodyBytes) {
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    router.route().failureHandler(McpRoutes::failure);

    router.post("/mcp").handler(auth).handler(streamable::post);
    // GET /mcp with a session is the Streamable HTTP listening stream; without one it is the legacy SSE handshake.
    router.get("/mcp").handler(auth).handler(ctx -> {
      if (ctx.request().getHeader(StreamableHttpTransport.SESSION_HEADER) != null) {
        streamable.get(ctx);
      } else {
        sse.connect(ctx);
      }
    });
    router.delete("/mcp").handler(auth).handler(streamable::delete);
    router.route("/mcp").handler(ctx -> JsonRpc.fail(ctx.response(), 405, JsonRpc.INVALID_REQUEST,
        "Method not allowed: use POST, GET or DELETE"));

    router.get("/mcp/sse").handler(auth).handler(sse::connect);
    router.post(SseTransport.MESSAGE_PATH).handler(auth).handler(quotas).handler(sse::message);

    router.get("/mcp/status").handler(auth).handler(rest::status);
    router.get("/mcp/tools").handler(auth).handler(rest::tools);
    router.post("/mcp/call/:tool").handler(auth).handler(rest::call);

    for (int status : new int[] {404, 405}) {
      router.errorHandler(status, ctx -> JsonRpc.fail(ctx.response(), status, JsonRpc.INVALID_REQUEST,
          status == 404 ? "Not found" : "Method not allowed"));
    }
    return router;
  }

  private static void failure(RoutingContext ctx) {
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    if (ctx.response().headWritten()) {
      ctx.request().connection().close(); // a stream already started: nothing sensible can follow on it
      return;
    }
    String message = switch (status) {
      case 413 -> "Request body too large";
      case 400 -> "Bad request";
      default -> "Internal error";
    };
    JsonRpc.fail(ctx.response(), status, status == 500 ? JsonRpc.INTERNAL_ERROR : JsonRpc.INVALID_REQUEST, message);
  }
}
