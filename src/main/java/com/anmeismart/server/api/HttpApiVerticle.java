package com.anmeismart.server.api;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.Servers;
import com.anmeismart.server.accounts.IdempotencyKeys;
import com.anmeismart.server.accounts.PasswordHasher;
import com.anmeismart.server.accounts.Roles;
import com.anmeismart.server.accounts.Tokens;
import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.audit.AuditStore;
import com.anmeismart.server.automation.JobStore;
import com.anmeismart.server.dify.DifyConfigStore;
import com.anmeismart.server.mcp.McpKeys;
import com.anmeismart.server.mcp.McpStore;
import com.anmeismart.server.mcp.tools.ClinicStore;
import com.anmeismart.server.notify.Assignments;
import com.anmeismart.server.notify.wecom.WeComStore;
import com.anmeismart.server.security.SecretBox;
import com.anmeismart.server.chat.ConversationStore;
import com.anmeismart.server.dashboard.DashboardQueries;
import com.anmeismart.server.dashboard.OnboardingFacts;
import com.anmeismart.server.dashboard.TimelineQueries;
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

import java.time.ZoneId;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The REST API on {@code HTTP_PORT} ({@code /api/v1}), the SockJS event-bus bridge ({@code /eventbus}) and the pages
 * ({@code /consultant/}, {@code /customer/}, {@code /admin/}, from the classpath {@code webroot}). Handlers live in
 * one class per resource; this verticle is the route table, the body limit, authentication and the error mapper.
 */
public final class HttpApiVerticle extends VerticleBase {

  /** Bodies above this are refused with 413 before any handler runs. */
  static final long BODY_LIMIT = 64 * 1024;
  private static final String JSON = "application/json";

  private final AppContext app;
  private PasswordHasher hasher;
  private Bridge bridge;
  private Router api;

  public HttpApiVerticle(AppContext app) {
    this.app = app;
  }

  @Override
  public Future<?> start() {
    Pool pool = app.database().pool(vertx);
    UserStore users = new UserStore(pool);
    hasher = PasswordHasher.create(vertx, app.config().passwordHashThreads(), app.config().passwordHashMaxWaitMs());
    Tokens tokens = new Tokens(vertx, app.config().jwtSecret(), app.config().jwtTtlSeconds());
    AuthApi auth = new AuthApi(users, hasher, tokens, new Registrations(users, vertx.eventBus()),
        new IdempotencyKeys(pool, new SecretBox(app.config().secretsKey())));
    AdminUsersApi adminUsers = new AdminUsersApi(users, hasher);
    AutomationAdminApi automation = new AutomationAdminApi(new SettingsStore(pool, vertx.eventBus()),
        new JobStore(pool), vertx.eventBus());
    AuditApi audit = new AuditApi(new AuditStore(pool));
    DifyConfigsApi dify = new DifyConfigsApi(new DifyConfigStore(pool, new SecretBox(app.config().secretsKey())),
        vertx.eventBus());
    McpAdminApi mcp = new McpAdminApi(new McpStore(pool), new McpKeys(pool, new SecretBox(app.config().secretsKey())),
        vertx.eventBus(), app.config().mcpIdleTimeoutSeconds(), app.config().mcpKeyGraceSeconds());
    ZoneId zone = app.config().timeZone();
    DashboardApi dashboard = new DashboardApi(new OnboardingFacts(pool, zone), new DashboardQueries(pool),
        new TimelineQueries(pool), new Presence(pool, app.config().presenceTtlSeconds()), vertx.eventBus(), zone);
    McpCallsApi mcpCalls = new McpCallsApi(new McpStore(pool), vertx.eventBus());
    GuardPreviewApi guardPreview = new GuardPreviewApi(new SettingsStore(pool, null),
        new ClinicStore(pool, app.config().timeZone()));
    ConversationsApi conversations = new ConversationsApi(new ConversationStore(pool), new Assignments(pool),
        vertx.eventBus());
    WeComStore wecomStore = new WeComStore(pool, new SecretBox(app.config().secretsKey()));
    NotificationSettingsApi notifySettings = new NotificationSettingsApi(pool, new SettingsStore(pool, vertx.eventBus()),
        wecomStore, app.config());
    WeComApi wecom = new WeComApi(pool, users, wecomStore, vertx.eventBus());
    CatalogueApi catalogue = new CatalogueApi(new ClinicStore(pool, app.config().timeZone()));
    int presenceTtl = app.config().presenceTtlSeconds();
    NotificationsApi notifications = new NotificationsApi(new Inbox(pool, presenceTtl), new PushStore(pool),
        app.metrics());
    bridge = new Bridge(vertx, tokens.auth(), new Presence(pool, presenceTtl), new ConversationStore(pool),
        app.node().id() + "/http-" + UUID.randomUUID(), app.config().httpIdleTimeoutSeconds());
    RateLimit registerLimit = RateLimit.perMinute(vertx, app.config().authRateLimitPerMinute());
    RateLimit loginLimit = RateLimit.perMinute(vertx, app.config().authRateLimitPerMinute());
    var jwt = Access.bearer(JWTAuthHandler.create(tokens.auth()));
    var staff = Access.roles(Set.of(Roles.CONSULTANT, Roles.ADMIN));

    api = Router.router(vertx);
    api.route().handler(RequestGuard.mediaType());
    api.route().handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
    api.route().handler(RequestGuard::text);
    api.route().failureHandler(ApiErrors::handle);

    // Every route here is an operation of resources/openapi/api.json (OpenApiIT checks both ways): add it there too.
    api.get("/openapi.json").handler(OpenApi.get()::serve);
    api.post("/auth/register").consumes(JSON).handler(registerLimit).handler(auth::register);
    api.post("/auth/login").consumes(JSON).handler(loginLimit).handler(auth::login);
    api.get("/auth/me").handler(jwt).handler(auth::me);
    api.get("/catalogue/services").handler(catalogue::services); // the registration form's interests

    // Admins and operators (SPEC §3: an operator sees what an admin sees and may retry jobs; never a key). These come
    // before the admin-only guards below, which keep every other route under /admin, /mcp and /dify for admins.
    var console = Access.roles(Set.of(Roles.ADMIN, Roles.OPERATOR));
    String ra = "/admin/registration-automation";
    api.get(ra + "/settings").handler(jwt).handler(console).handler(automation::getSettings);
    api.get("/admin/notification-settings").handler(jwt).handler(console).handler(notifySettings::get);
    api.get("/admin/wecom/status").handler(jwt).handler(console).handler(wecom::status);
    api.get(ra + "/jobs").handler(jwt).handler(console).handler(automation::listJobs);
    api.get(ra + "/jobs/:id").handler(jwt).handler(console).handler(automation::getJob);
    api.post(ra + "/jobs/retry").consumes(JSON).handler(jwt).handler(console).handler(automation::retryJobs);
    api.post(ra + "/jobs/:id/retry").handler(jwt).handler(console).handler(automation::retryJob);
    api.get(ra + "/dashboard").handler(jwt).handler(console).handler(dashboard::dashboard);
    api.post(ra + "/welcome-guard/preview").consumes(JSON).handler(jwt).handler(console)
        .handler(guardPreview::preview);
    api.get(ra + "/customers").handler(jwt).handler(console).handler(dashboard::customers);
    api.get(ra + "/customers/:user_id/timeline").handler(jwt).handler(console).handler(dashboard::timeline);
    api.get("/admin/mcp/metrics").handler(jwt).handler(console).handler(mcp::metrics);
    api.get("/admin/mcp/calls").handler(jwt).handler(console).handler(mcpCalls::calls);
    api.get("/mcp/groups").handler(jwt).handler(console).handler(mcp::listGroups);
    api.get("/mcp/tools").handler(jwt).handler(console).handler(mcp::listTools);
    api.get("/dify/configs").handler(jwt).handler(console).handler(dify::list);
    api.get("/dify/configs/:id/health").handler(jwt).handler(console).handler(dify::health);

    api.route("/admin/*").handler(jwt).handler(Access.roles(Set.of(Roles.ADMIN)));
    api.get("/admin/users").handler(adminUsers::list);
    api.post("/admin/users").consumes(JSON).handler(adminUsers::create);
    api.put("/admin/users/:id").consumes(JSON).handler(adminUsers::update);
    api.put(ra + "/settings").consumes(JSON).handler(automation::putSettings);
    api.put("/admin/notification-settings").consumes(JSON).handler(notifySettings::put);
    api.post("/admin/wecom/test").handler(wecom::test);
    api.post("/admin/mcp/tools/:id/test").consumes(JSON).handler(mcpCalls::testCall);
    // admins only, whoever else /admin/* lets in: the audit shows every change (SPEC §3: not operators)
    api.get("/admin/audit").handler(Access.roles(Set.of(Roles.ADMIN))).handler(audit::list);

    api.route("/mcp/*").handler(jwt).handler(Access.roles(Set.of(Roles.ADMIN)));
    api.post("/mcp/groups").consumes(JSON).handler(mcp::createGroup);
    api.put("/mcp/groups/:id").consumes(JSON).handler(mcp::updateGroup);
    api.delete("/mcp/groups/:id").handler(mcp::deleteGroup);
    api.get("/mcp/groups/:id/api-key").handler(mcp::viewKey);
    api.post("/mcp/groups/:id/regenerate-key").handler(mcp::rotateKey);
    api.post("/mcp/groups/:id/revoke-previous-key").handler(mcp::revokePreviousKey);
    api.put("/mcp/tools/:id").consumes(JSON).handler(mcp::updateTool);

    api.route("/dify/*").handler(jwt).handler(Access.roles(Set.of(Roles.ADMIN)));
    api.post("/dify/configs").consumes(JSON).handler(dify::create);
    api.put("/dify/configs/:id").consumes(JSON).handler(dify::update);
    api.delete("/dify/configs/:id").handler(dify::delete);

    api.get("/conversations").handler(jwt).handler(conversations::list);
    api.get("/conversations/:id").handler(jwt).handler(conversations::get);
    api.get("/conversations/:id/messages").handler(jwt).handler(conversations::messages);
    api.post("/conversations/:id/messages").consumes(JSON).handler(jwt).handler(conversations::send);
    var consultant = Access.roles(Set.of(Roles.CONSULTANT));
    api.post("/conversations/:id/claim").handler(jwt).handler(consultant).handler(conversations::claim);
    api.post("/conversations/:id/accept").handler(jwt).handler(consultant).handler(conversations::accept);
    api.post("/conversations/:id/close").handler(jwt).handler(consultant).handler(conversations::close);
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
    root.getWithRegex("/(consultant|customer|admin)").handler(ctx -> ctx.redirect(ctx.request().path() + "/"));
    // only these folders: any other path keeps the API's 404/405 error shape (StaticHandler strips the route prefix)
    for (String folder : new String[] {"consultant", "customer", "admin", "common", "vendor"}) {
      root.get("/" + folder + "/*").handler(StaticHandler.create("webroot/" + folder).setCachingEnabled(false));
    }
    // keeps this instance's bridge sockets counted as online (rows of a dead node expire after the TTL)
    vertx.setPeriodic(presenceTtl * 1000L / 3, id -> bridge.heartbeat());
    // every status the router may end a request with (no route, a path it can't decode, a failing handler)
    for (int status = 400; status < 600; status++) {
      root.errorHandler(status, ApiErrors.forStatus(status));
    }

    // The idle timeout closes connections with no traffic either way for that long (keep-alive connections left
    // open, clients that connect and send nothing). Live streams are never idle: SockJS heartbeats (set to half
    // the timeout by the bridge) and the browsers' bridge pings flow well within it.
    HttpServerOptions options = new HttpServerOptions().setCompressionSupported(true)
        .setIdleTimeout(app.config().httpIdleTimeoutSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS)
        // the only WebSocket here is the bridge's, whose frames are small: a huge one closes the socket (1009)
        .setMaxWebSocketFrameSize((int) BODY_LIMIT).setMaxWebSocketMessageSize((int) BODY_LIMIT);
    return Servers.listen(vertx, vertx.createHttpServer(options).requestHandler(root)
        .invalidRequestHandler(ApiErrors::invalidRequest), "HTTP_PORT", app.config().httpPort());
  }

  /** The {@code /api/v1} router, once started (the route check of OpenApiIT reads its routes). */
  Router apiRouter() {
    return api;
  }

  @Override
  public Future<?> stop() {
    if (hasher != null) {
      hasher.close();
    }
    return bridge == null ? Future.succeededFuture() : bridge.stop().recover(t -> Future.succeededFuture());
  }
}
