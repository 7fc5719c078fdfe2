package com.anmeismart.server.notify.wecom;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * WeCom's server API (企业微信服务端API) on the Vert.x WebClient: {@code GET /cgi-bin/gettoken} and
 * {@code POST /cgi-bin/message/send}. The access token is shared by every send of the process: cached until shortly
 * before its {@code expires_in}, and fetched by one request at a time (every send waiting for a token waits for the
 * same one). A send refused for its token (40014 invalid, 42001 expired, 42009) gets a fresh token and is sent once
 * more. Used on one Vert.x context (the notification verticle's), so the cache needs no locks.
 *
 * <p>Neither the secret nor a token is ever in a log line, an error message or a metric: both travel only in the
 * request's query, and every failure message passes {@link #redact} (Vert.x puts the request URI in its timeout
 * messages).
 */
public final class WeComClient {

  /** errcodes that mean "this token is no good": fetch a new one and resend once. */
  static final Set<Integer> TOKEN_ERRORS = Set.of(40014, 42001, 42009);
  /** WeCom's connection count is not limited; 16 connections send 100 cards in parallel well under its rates. */
  private static final int CONNECTIONS = 16;
  /** A token is used until this long before WeCom says it expires (clocks, a slow request). */
  private static final long EARLY_SECONDS = 300;

  /** What WeCom answered (HTTP 200 with its JSON). */
  public record Answer(int errcode, String errmsg, String msgid, List<String> invalidUsers) {
    public boolean ok() {
      return errcode == 0;
    }
  }

  /** A request that got no usable WeCom answer (timeout, connection, HTTP status), or a token WeCom refused. */
  public static final class WeComException extends RuntimeException {
    private final int errcode;

    WeComException(int errcode, String message) {
      super(redact(message), null, false, false);
      this.errcode = errcode;
    }

    /** WeCom's errcode, or -1 when WeCom did not answer. */
    public int errcode() {
      return errcode;
    }
  }

  private final WebClient client;
  private final int timeoutMs;
  private final Supplier<Long> clock;
  private String tokenKey;
  private String token;
  private long tokenUntil;
  private Future<String> fetching;
  private String fetchingKey;
  private long tokenFetches;

  public WeComClient(Vertx vertx, int timeoutMs) {
    this(vertx, timeoutMs, System::currentTimeMillis);
  }

  WeComClient(Vertx vertx, int timeoutMs, Supplier<Long> clock) {
    this.timeoutMs = timeoutMs;
    this.clock = clock;
    this.client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(timeoutMs).setIdleTimeout(60)
        .setUserAgent("anmeismart-server").setFollowRedirects(false), new PoolOptions().setHttp1MaxSize(CONNECTIONS));
  }

  /** How many tokens this process fetched (for the status and the tests' "one token for 100 sends"). */
  public long tokenFetches() {
    return tokenFetches;
  }

  /** A token for these credentials: the cached one, the one being fetched, or a new fetch. */
  public Future<String> token(WeComConfig c) {
    String key = key(c);
    if (token != null && key.equals(tokenKey) && clock.get() < tokenUntil) {
      return Future.succeededFuture(token);
    }
    if (fetching != null && key.equals(fetchingKey)) {
      return fetching;
    }
    tokenFetches++;
    Promise<String> promise = Promise.promise();
    fetching = promise.future();
    fetchingKey = key;
    Future<String> mine = fetching;
    client.getAbs(c.baseUrl().replaceAll("/+$", "") + "/cgi-bin/gettoken")
        .addQueryParam("corpid", c.corpId()).addQueryParam("corpsecret", c.secret())
        .timeout(timeoutMs).send()
        .transform(ar -> answer(ar.succeeded() ? ar.result() : null, ar.cause()))
        .compose(json -> {
          int errcode = json.getInteger("errcode", 0);
          String accessToken = json.getString("access_token");
          if (errcode != 0 || accessToken == null || accessToken.isEmpty()) {
            return Future.<String>failedFuture(new WeComException(errcode,
                "gettoken refused: errcode " + errcode + " " + json.getString("errmsg", "")));
          }
          long expires = json.getLong("expires_in", 7200L);
          token = accessToken;
          tokenKey = key;
          tokenUntil = clock.get() + Math.max(expires - EARLY_SECONDS, expires / 2) * 1000L;
          return Future.succeededFuture(accessToken);
        })
        .onComplete(promise)
        .onComplete(ar -> {
          if (fetching == mine) {
            fetching = null;
            fetchingKey = null;
          }
        });
    return mine;
  }

  /**
   * Sends one application message ({@code touser}, {@code msgtype}, … as WeCom documents them; {@code agentid} is
   * added). A token refusal gets one fresh token and one resend.
   */
  public Future<Answer> send(WeComConfig c, JsonObject message) {
    JsonObject body = message.copy().put("agentid", c.agentId());
    return token(c).compose(t -> post(c, t, body).compose(a -> {
      if (!TOKEN_ERRORS.contains(a.errcode())) {
        return Future.succeededFuture(a);
      }
      forget(t);
      return token(c).compose(fresh -> post(c, fresh, body));
    }));
  }

  /** Drops a token WeCom refused (unless a newer one already replaced it). */
  private void forget(String refused) {
    if (refused.equals(token)) {
      token = null;
      tokenUntil = 0;
    }
  }

  private Future<Answer> post(WeComConfig c, String accessToken, JsonObject body) {
    return client.postAbs(c.baseUrl().replaceAll("/+$", "") + "/cgi-bin/message/send")
        .addQueryParam("access_token", accessToken).timeout(timeoutMs).sendJsonObject(body)
        .transform(ar -> answer(ar.succeeded() ? ar.result() : null, ar.cause()))
        .map(json -> {
          String invalid = json.getString("invaliduser", "");
          return new Answer(json.getInteger("errcode", 0), json.getString("errmsg", ""), json.getString("msgid"),
              invalid.isEmpty() ? List.of() : Arrays.stream(invalid.split("\\|")).filter(s -> !s.isBlank()).toList());
        });
  }

  private static Future<JsonObject> answer(HttpResponse<?> res, Throwable failure) {
    if (res == null) {
      String why = failure == null ? "no answer" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
      return Future.failedFuture(new WeComException(-1, "WeCom did not answer: " + why));
    }
    if (res.statusCode() != 200) {
      return Future.failedFuture(new WeComException(-1, "WeCom answered HTTP " + res.statusCode()));
    }
    try {
      JsonObject json = res.bodyAsJsonObject();
      return json == null ? Future.failedFuture(new WeComException(-1, "WeCom answered an empty body"))
          : Future.succeededFuture(json);
    } catch (RuntimeException e) {
      return Future.failedFuture(new WeComException(-1, "WeCom answered something that is not JSON"));
    }
  }

  /** Takes tokens and secrets out of a text (Vert.x names the request URI, query included, in some failures). */
  public static String redact(String text) {
    return text == null ? null : text.replaceAll("(?i)(access_token|corpsecret)=[^&\\s]*", "$1=******");
  }

  private static String key(WeComConfig c) {
    return c.baseUrl() + "\n" + c.corpId() + "\n" + c.secret();
  }

  public void close() {
    client.close();
  }
}
