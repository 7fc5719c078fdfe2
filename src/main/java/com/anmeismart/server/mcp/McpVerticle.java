package com.anmeismart.server.mcp;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.Servers;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/** The MCP server on {@code MCP_PORT}. */
public final class McpVerticle extends VerticleBase {

  private final AppContext app;

  public McpVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/mcp/status").handler(ctx -> ctx.json(new JsonObject().put("status", "starting")));
    return Servers.listen(vertx, vertx.createHttpServer().requestHandler(router), "MCP_PORT", app.config().mcpPort());
  }
}
