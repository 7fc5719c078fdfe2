package com.anmeismart.server.ops;

import com.anmeismart.server.config.AppConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * What an operator needs from the start-up log: where the pages, the API, the MCP endpoint and the management
 * port answer, and a warning when the development admin password of conf/config.json is the configured one while
 * the server is reachable from other machines.
 */
public final class StartBanner {

  /** The development admin password conf/config.json ships with (StartBannerTest keeps the two the same). */
  public static final String DEV_ADMIN_PASSWORD = "admin-dev-password";
  /** Where the HTTP servers listen (Servers.listen): every interface. */
  public static final String BIND_HOST = "0.0.0.0";

  private static final Logger LOG = LoggerFactory.getLogger(StartBanner.class);

  private StartBanner() {
  }

  /** Logs the URLs, then the warning if it applies. */
  public static void log(AppConfig config, Map<String, Integer> ports) {
    String base = config.publicBaseUrl() != null ? config.publicBaseUrl().replaceAll("/+$", "")
        : "http://localhost:" + ports.get("HTTP_PORT");
    LOG.info("pages: {}/customer/ {}/consultant/ {}/admin/; API {}/api/v1; bridge {}/eventbus", base, base, base, base,
        base);
    LOG.info("MCP: http://localhost:{}/mcp; health, readiness, metrics: http://localhost:{}/health /ready /metrics",
        ports.get("MCP_PORT"), ports.get("MANAGEMENT_PORT"));
    devPasswordWarning(config, BIND_HOST).ifPresent(LOG::warn);
  }

  /** The warning, when the dev password is configured and the server is not on loopback only. */
  static java.util.Optional<String> devPasswordWarning(AppConfig config, String bindHost) {
    if (!DEV_ADMIN_PASSWORD.equals(config.adminPassword()) || loopbackOnly(config, bindHost)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of("ADMIN_PASSWORD is the development password from conf/config.json and the server "
        + "listens on " + bindHost + (config.publicBaseUrl() == null ? "" : " (public URL " + config.publicBaseUrl()
        + ")") + ": anyone who reaches it can sign in as admin '" + config.adminUsername() + "'. Set ADMIN_PASSWORD "
        + "(env) to a secret, or run with conf/production.json; an existing admin keeps its password, so change "
        + "it as well.");
  }

  private static boolean loopbackOnly(AppConfig config, String bindHost) {
    if (!isLoopback(bindHost)) {
      return false;
    }
    return config.publicBaseUrl() == null || isLoopback(URI.create(config.publicBaseUrl()).getHost());
  }

  private static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    try {
      return "localhost".equalsIgnoreCase(host) || InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
