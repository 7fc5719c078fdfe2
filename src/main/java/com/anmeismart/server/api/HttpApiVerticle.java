package com.anmeismart.server.api;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.Servers;
import com.anmeismart.server.accounts.PasswordHasher;
import com.anmeismart.server.accounts.Roles;
import com.anmeismart.server.accounts.Tokens;
import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.automation.JobStore;
import com.anmeismart.server.dify.DifyConfigStore;
import com.anmeismart.server.mcp.McpKeys;
import com.anmeismart.server.mcp.McpStore;
import com.anmeismart.server.security.SecretBox;
import com.anmeismart.server.chat.ConversationStore;
import com.anmeismart.server.notify.Inbox;
import com.anmeismart.server.notify.Presence;
import com.anmeismart.server.notify.PushStore;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.JWTAuthHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.sqlclient.Pool;

import java.util.Set;
import java.util.UUID;

/**
 * The REST API on {@code HTTP_PORT} ({@code /api/v1}), the SockJS event-bus bridge ({@code /eventbus}) and the pages
 * ({@code /consultant/}, {@code /customer/}, from the classpath {@code webroot}). Handlers live in one class per
 * resource; this verticle is the route table, the body limit, authentication and the error mapper.
 */
public final class HttpApiVerticle extends VerticleBase {

  /** Bodies above this are refused with 413 before any handler runs. */
  static final long BODY_LIMIT = 64 * 1024;
  private static final String JSON = "application/json";

  private final AppContext app;
  private PasswordHasher hasher;
  private Bridge bridge;

  public HttpApiVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    Pool pool = app.database().pool(vertx);
    UserStore users = new UserStore(pool);
    hasher = PasswordHasher.create(vertx, app.config().passwordHashThreads());
    Tokens tokens = new Tokens(vertx, app.config().jwtSecret(), app.config().jwtTtlSeconds());
    AuthApi auth = new AuthApi(users, hasher, tokens, new Registrations(users, vertx.eventBus()));
    AdminUsersApi adminUsers = new AdminUsersApi(users, hasher);
    AutomationAdminApi automation = new AutomationAdminApi(new SettingsStore(pool), new JobStore(pool),
        vertx.eventBus());
    DifyConfigsApi dify = new DifyConfigsApi(new DifyConfigStore(pool, new SecretBox(app.config().secretsKey())),
        vertx.eventBus());
    McpAdminApi mcp = new McpAdminApi(new McpStore(pool), new McpKeys(pool, new SecretBox(app.config().secretsKey())),
        vertx.eventBus());
    ConversationsApi conversations = new ConversationsApi(new ConversationStore(pool), vertx.eventBus());
    int presenceTtl = app.config().presenceTtlSeconds();
    NotificationsApi notifications = new NotificationsApi(new Inbox(pool, presenceTtl), new PushStore(pool),
        app.metrics());
    bridge = new Bridge(vertx, tokens.auth(), new Presence(pool, presenceTtl), new ConversationStore(pool),
        "http-" + UUID.randomUUID());
    RateLimit registerLimit = RateLimit.perMinute(vertx, app.config().authRateLimitPerMinute());
    RateLimit loginLimit = RateLimit.perMinute(vertx, app.config().authRateLimitPerMinute());
    var jwt = Access.bearer(JWTAuthHandler.create(tokens.auth()));
    var staff = Access.roles(Set.of(Roles.CONSULTANT, Roles.ADMIN));

    Router api = Router.router(vertx);
    api.route().handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
    api.route().failureHandler(ApiErrors::handle);

    api.post("/auth/register").consumes(JSON).handler(registerLimit).handler(auth::register);
    api.post("/auth/login").consumes(JSON).handler(loginLimit).handler(auth::login);
    api.get("/auth/me").handler(jwt).handler(auth::me);

    api.route("/admin/*").handler(jwt).handler(Access.roles(Set.of(Roles.ADMIN)));
    api.get("/admin/users").handler(adminUsers::list);
    api.post("/admin/users").consumes(JSON).handler(adminUsers::create);
    api.put("/admin/users/:id").consumes(JSON).handler(adminUsers::update);
    api.get("/admin/registration-automation/settings").handler(automation::getSettings);
    api.put("/admin/registration-automation/settings").consumes(JSON).handler(automation::putSettings);
    api.get("/admin/registration-automation/jobs").handler(automation::listJobs);
    api.get("/admin/registration-automation/jobs/:id").handler(automation::getJob);
    api.post("/admin/registration-automation/jobs/:id/retry").handler(automation::retryJob);
    api.get("/admin/mcp/metrics").handler(mcp::metrics);

    api.route("/mcp/*").handler(jwt).handler(Access.roles(Set.of(Roles.ADMIN)));
    api.get("/mcp/groups").handler(mcp::listGroups);
    api.post("/mcp/groups").consumes(JSON).handler(mcp::createGroup);
    api.put("/mcp/groups/:id").consumes(JSON).handler(mcp::updateGroup);
    api.delete("/mcp/groups/:id").handler(mcp::deleteGroup);
    api.get("/mcp/groups/:id/api-key").handler(mcp::viewKey);
    api.post("/mcp/groups/:id/regenerate-key").handler(mcp::rotateKey);
    api.get("/mcp/tools").handler(mcp::listTools);
    api.put("/mcp/tools/:id").consumes(JSON).handler(mcp::updateTool);

    api.route("/dify/*").handler(jwt).handler(Access.roles(Set.of(Roles.ADMIN)));
    api.get("/dify/configs").handler(dify::list);
    api.post("/dify/configs").consumes(JSON).handler(dify::create);
    api.put("/dify/configs/:id").consumes(JSON).handler(dify::update);
    api.delete("/dify/configs/:id").handler(dify::delete);
    api.get("/dify/configs/:id/health").handler(dify::health);

    api.get("/conversations").handler(jwt).handler(conversations::list);
    api.get("/conversations/:id/messages").handler(jwt).handler(conversations::messages);
    api.post("/conversations/:id/messages").consumes(JSON).handler(jwt).handler(conversations::send);
    api.post("/conversations/:id/claim").handler(jwt).handler(Access.roles(Set.of(Roles.CONSULTANT)))
        .handler(conversations::claim);
    api.get("/notifications").handler(jwt).handler(staff).handler(notifications::list);
    api.post("/notifications/:id/read").handler(jwt).handler(staff).handler(notifications::read);
    api.post("/notifications/:id/delivered").handler(jwt).handler(staff).handler(notifications::delivered);
    api.get("/push/vapid-public-key").handler(jwt).handler(staff).handler(notifications::vapidPublicKey);
    api.post("/push/subscriptions").consumes(JSON).handler(jwt).handler(staff).handler(notifications::subscribe);
    api.delete("/push/subscriptions").handler(jwt).handler(staff).handler(notifications::unsubscribe);

    Router root = Router.router(vertx);
    root.route().handler(new AccessLog(app.config().accessLog()));
    root.route("/api/v1/*").subRouter(api);
    root.route("/eventbus/*").subRouter(bridge.router());
    root.getWithRegex("/(consultant|customer)").handler(ctx -> ctx.redirect(ctx.request().path() + "/"));
    // only these folders: any other path keeps the API's 404/405 error shape (StaticHandler strips the route prefix)
    for (String folder : new String[] {"consultant", "customer", "common", "vendor"}) {
      root.get("/" + folder + "/*").handler(StaticHandler.create("webroot/" + folder).setCachingEnabled(false));
    }
    // keeps this instance's bridge sockets counted as online (rows of a dead node expire after the TTL)
    vertx.setPeriodic(presenceTtl * 1000L / 3, id -> bridge.heartbeat());
    for (int status : new int[] {400, 404, 405, 406, 413, 415, 500}) {
      root.errorHandler(status, ApiErrors::handleStatus);
    }

    return Servers.listen(vertx, vertx.createHttpServer(new HttpServerOptions().setCompressionSupported(true))
        .requestHandler(root), "HTTP_PORT", app.config().httpPort());
  }

  @Override
  public Future<?> stop() {
    if (hasher != null) {
      hasher.close();
    }
    return bridge == null ? Future.succeededFuture() : bridge.stop().recover(t -> Future.succeededFuture());
  }
}
