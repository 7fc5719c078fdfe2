package com.anmeismart.server.notify.wecom;

import com.anmeismart.server.testing.WeComDouble;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The WeCom client against the WeCom double over real HTTP: one token for many sends, one refresh when it dies. */
class WeComClientTest {

  Vertx vertx;
  Context context;
  WeComDouble wecom;
  WeComClient client;
  WeComConfig config;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    wecom = new WeComDouble();
    for (int i = 0; i < 100; i++) {
      wecom.member("staff" + i);
    }
    client = new WeComClient(vertx, 5_000);
    config = new WeComConfig(true, WeComDouble.CORP_ID, WeComDouble.AGENT_ID, WeComDouble.SECRET, wecom.baseUrl(),
        "https://clinic.example");
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    wecom.close();
    vertx.close().await();
  }

  /** Runs on the client's one context, as the notification verticle does, and waits for the result. */
  <T> T on(Supplier<Future<T>> call) throws Exception {
    CompletableFuture<T> done = new CompletableFuture<>();
    context.runOnContext(v -> call.get().onComplete(ar -> {
      if (ar.succeeded()) {
        done.complete(ar.result());
      } else {
        done.completeExceptionally(ar.cause());
      }
    }));
    return done.get(30, TimeUnit.SECONDS);
  }

  JsonObject card(String touser) {
    return new JsonObject().put("touser", touser).put("msgtype", "textcard").put("textcard", new JsonObject()
        .put("title", "新客户注册").put("description", "<div class=\"normal\">客户：王小美</div>")
        .put("url", "https://clinic.example/consultant/#conversation=1").put("btntxt", "认领"));
  }

  Future<List<WeComClient.Answer>> many(int n) {
    List<Future<WeComClient.Answer>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(client.send(config, card("staff" + i)));
    }
    return Future.all(all).map(cf -> cf.<WeComClient.Answer>list());
  }

  @Test
  void aHundredParallelSendsShareOneTokenFetch() throws Exception {
    List<WeComClient.Answer> answers = on(() -> many(100));
    assertThat(answers).hasSize(100).allMatch(WeComClient.Answer::ok).allMatch(a -> a.msgid() != null);
    assertThat(wecom.tokenFetches.get()).as("one gettoken for all of them").isEqualTo(1);
    assertThat(wecom.sends).hasSize(100).allMatch(r -> r.body().getInteger("agentid") == WeComDouble.AGENT_ID);
    assertThat(on(() -> client.send(config, card("staff1"))).ok()).isTrue();
    assertThat(wecom.tokenFetches.get()).as("the cached token serves later sends too").isEqualTo(1);
  }

  @Test
  void aTokenThatExpiresMidRunIsRefreshedOnceAndEveryMessageDelivered() throws Exception {
    assertThat(on(() -> client.send(config, card("staff0"))).ok()).isTrue();
    wecom.expireTokens();
    List<WeComClient.Answer> answers = on(() -> many(20));
    assertThat(answers).allMatch(WeComClient.Answer::ok);
    assertThat(wecom.tokenFetches.get()).as("one refresh for the twenty refused sends").isEqualTo(2);
    assertThat(wecom.sends.stream().filter(r -> r.answer().getInteger("errcode") == 42001)).hasSize(20);
    assertThat(wecom.sends.stream().filter(WeComDouble.Received::accepted)).hasSize(21);
  }

  @Test
  void aRateLimitIsReportedNotRetriedByTheClient() throws Exception {
    wecom.throttle(true);
    WeComClient.Answer a = on(() -> client.send(config, card("staff0")));
    assertThat(a.errcode()).isEqualTo(45009);
    assertThat(wecom.sends).hasSize(1);
  }

  @Test
  void unknownRecipientsComeBackAsWeComSaysThem() throws Exception {
    WeComClient.Answer some = on(() -> client.send(config, card("staff0|nobody")));
    assertThat(some.ok()).isTrue();
    assertThat(some.invalidUsers()).containsExactly("nobody");
    assertThat(on(() -> client.send(config, card("nobody"))).errcode()).isEqualTo(81013);
  }

  @Test
  void aRefusedSecretFailsWithoutTheSecretInTheMessage() throws Exception {
    WeComConfig wrong = new WeComConfig(true, WeComDouble.CORP_ID, WeComDouble.AGENT_ID, "not-the-secret-42",
        wecom.baseUrl(), null);
    Throwable failure = null;
    try {
      on(() -> client.send(wrong, card("staff0")));
    } catch (Exception e) {
      failure = e.getCause();
    }
    assertThat(failure).isInstanceOf(WeComClient.WeComException.class);
    assertThat(((WeComClient.WeComException) failure).errcode()).isEqualTo(40001);
    assertThat(failure.getMessage()).doesNotContain("not-the-secret-42");
    assertThat(wecom.sends).isEmpty();
    assertThat(WeComClient.redact("timeout executing POST /cgi-bin/message/send?access_token=abc.DEF-1&x=1 and "
        + "GET /cgi-bin/gettoken?corpid=ww1&corpsecret=s3cr3t")).doesNotContain("abc.DEF-1").doesNotContain("s3cr3t")
        .contains("access_token=******").contains("corpsecret=******");
  }
}
