package com.anmeismart.server.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * WeCom's server API (企业微信服务端API) as its documents describe it, over real HTTP (JDK server), for the two calls
 * the server makes:
 * <ul>
 *   <li>{@code GET /cgi-bin/gettoken?corpid=&corpsecret=} → {@code {errcode:0, errmsg:"ok", access_token,
 *   expires_in:7200}}; a wrong corp id → 40013 "invalid corpid", a wrong secret → 40001 "invalid credential".</li>
 *   <li>{@code POST /cgi-bin/message/send?access_token=} → {@code {errcode:0, errmsg:"ok", invaliduser:"",
 *   msgid}}; an unknown token → 40014 "invalid access_token", an expired one → 42001 "access_token expired"; a wrong
 *   agentid → 40056; while {@link #throttle} is on → 45009 "api freq out of limit"; recipients WeCom doesn't know
 *   are listed in {@code invaliduser} of a success, and when none is left → 81013 "user & party & tag all
 *   invalid".</li>
 * </ul>
 * A textcard over WeCom's limits (title 128 bytes, description 512 bytes, url 2048 bytes, btntxt 4 characters) is
 * truncated by WeCom; the double records it as a {@link Received#problem} so tests can say the server never sends
 * one. Every request is recorded with its arrival time.
 */
public final class WeComDouble implements AutoCloseable {

  public static final String CORP_ID = "ww0123456789abcdef";
  public static final String SECRET = "s3cr3t-WeCom-app-SECRET-0123456789abcdefXYZ";
  public static final int AGENT_ID = 1000002;

  /** A message/send request: its body, the token it used, what was answered, anything over WeCom's limits. */
  public record Received(JsonObject body, String token, JsonObject answer, String problem, Instant at, long nanos) {
    public String touser() {
      return body.getString("touser");
    }

    public JsonObject textcard() {
      return body.getJsonObject("textcard", new JsonObject());
    }

    public boolean accepted() {
      return answer.getInteger("errcode") == 0;
    }
  }

  public final List<Received> sends = new CopyOnWriteArrayList<>();
  public final AtomicInteger tokenFetches = new AtomicInteger();
  /** Every gettoken/send query string as received (for "the secret is only in the query"). */
  public final List<String> queries = new CopyOnWriteArrayList<>();
  private final Set<String> members = ConcurrentHashMap.newKeySet();
  private final Map<String, Boolean> tokens = new ConcurrentHashMap<>(); // token → still valid
  private final AtomicBoolean throttled = new AtomicBoolean();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(16);
  private volatile int expiresIn = 7200;

  public WeComDouble() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/cgi-bin/gettoken", this::gettoken);
    server.createContext("/cgi-bin/message/send", this::send);
    server.setExecutor(executor);
    server.start();
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** A member of the corp (a WeCom user id messages reach); WeCom compares them without case. */
  public WeComDouble member(String userid) {
    members.add(userid.toLowerCase());
    return this;
  }

  /** Every token issued so far expires now (WeCom answers 42001 for it). */
  public void expireTokens() {
    tokens.replaceAll((t, valid) -> false);
  }

  /** While on, every send is refused with 45009 (the app's API frequency limit). */
  public void throttle(boolean on) {
    throttled.set(on);
  }

  public List<Received> to(String touser) {
    return sends.stream().filter(r -> touser.equalsIgnoreCase(r.touser())).toList();
  }

  public List<Received> acceptedTo(String touser) {
    return to(touser).stream().filter(Received::accepted).toList();
  }

  private void gettoken(HttpExchange ex) throws IOException {
    Map<String, String> q = query(ex);
    queries.add(ex.getRequestURI().getRawQuery());
    tokenFetches.incrementAndGet();
    JsonObject answer;
    if (!CORP_ID.equals(q.get("corpid"))) {
      answer = error(40013, "invalid corpid");
    } else if (!SECRET.equals(q.get("corpsecret"))) {
      answer = error(40001, "invalid credential");
    } else {
      String token = "tok-" + UUID.randomUUID().toString().replace("-", "") + UUID.randomUUID();
      tokens.put(token, true);
      answer = new JsonObject().put("errcode", 0).put("errmsg", "ok").put("access_token", token)
          .put("expires_in", expiresIn);
    }
    reply(ex, answer);
  }

  private void send(HttpExchange ex) throws IOException {
    Instant at = Instant.now();
    long nanos = System.nanoTime();
    queries.add(ex.getRequestURI().getRawQuery());
    String token = query(ex).get("access_token");
    JsonObject body;
    try {
      body = new JsonObject(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      reply(ex, error(40035, "invalid args"));
      return;
    }
    JsonObject answer;
    Boolean valid = token == null ? null : tokens.get(token);
    if (valid == null) {
      answer = error(40014, "invalid access_token");
    } else if (!valid) {
      answer = error(42001, "access_token expired");
    } else if (throttled.get()) {
      answer = error(45009, "api freq out of limit");
    } else if (body.getInteger("agentid", -1) != AGENT_ID) {
      answer = error(40056, "invalid agentid");
    } else {
      StringBuilder invalid = new StringBuilder();
      int known = 0;
      for (String u : body.getString("touser", "").split("\\|")) {
        if (members.contains(u.toLowerCase())) {
          known++;
        } else if (!u.isEmpty()) {
          invalid.append(invalid.isEmpty() ? "" : "|").append(u);
        }
      }
      answer = known == 0 ? error(81013, "user & party & tag all invalid")
          : new JsonObject().put("errcode", 0).put("errmsg", "ok").put("invaliduser", invalid.toString())
              .put("msgid", "msg" + UUID.randomUUID().toString().replace("-", ""));
    }
    sends.add(new Received(body, token, answer, problem(body), at, nanos));
    reply(ex, answer);
  }

  /** What WeCom would silently truncate or refuse in a textcard, or null. */
  private static String problem(JsonObject body) {
    if (!"textcard".equals(body.getString("msgtype"))) {
      return "msgtype " + body.getString("msgtype");
    }
    JsonObject card = body.getJsonObject("textcard", new JsonObject());
    if (bytes(card.getString("title")) > 128) {
      return "title over 128 bytes";
    }
    if (bytes(card.getString("description")) > 512) {
      return "description over 512 bytes";
    }
    if (card.getString("url") == null || bytes(card.getString("url")) > 2048) {
      return "url missing or over 2048 bytes";
    }
    String btn = card.getString("btntxt", "");
    if (btn.codePointCount(0, btn.length()) > 4) {
      return "btntxt over 4 characters";
    }
    String text = card.getString("title", "") + card.getString("description", "");
    if (text.codePoints().anyMatch(cp -> cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE)) {
      return "text cut inside a character (a lone surrogate is not UTF-8)";
    }
    return null;
  }

  private static int bytes(String s) {
    return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static JsonObject error(int code, String message) {
    return new JsonObject().put("errcode", code).put("errmsg", message + ", hint: [" + UUID.randomUUID()
        .toString().substring(0, 8) + "], from ip: 127.0.0.1");
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> out = new HashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String pair : raw.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
              URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
      }
    }
    return out;
  }

  private static void reply(HttpExchange ex, JsonObject answer) throws IOException {
    byte[] bytes = answer.encode().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json; charset=UTF-8");
    ex.sendResponseHeaders(200, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
