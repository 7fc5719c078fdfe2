package com.anmeismart.server.dify;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/** A general chat turn: blocking where the app allows it, else the stream collected into one answer. */
final class ChatCall {

  private final DifyClient client;
  private final DifyConfig config;
  private final JsonObject body;

  ChatCall(DifyClient client, DifyConfig config, JsonObject body) {
    this.client = client;
    this.config = config;
    this.body = body;
  }

  /** {@code {answer, conversation_id}}; fails after {@code timeoutMs}. */
  Future<JsonObject> run(Vertx vertx, long timeoutMs) {
    if (!config.streaming()) {
      return client.blocking(config, body.copy().put("response_mode", "blocking"), Map.of())
          .timeout(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    Promise<JsonObject> result = Promise.promise();
    StringBuilder text = new StringBuilder();
    String[] conversation = {null};
    DifyClient.Stream stream = client.stream(config, body.copy().put("response_mode", "streaming"), Map.of(), e -> {
      if (conversation[0] == null) {
        conversation[0] = e.data().getString("conversation_id");
      }
      switch (e.name()) {
        case "agent_message", "message" -> text.append(e.data().getString("answer", ""));
        case "message_replace" -> {
          text.setLength(0);
          text.append(e.data().getString("answer", ""));
        }
        default -> {
          // thoughts, pings: not part of the answer
        }
      }
    });
    long timer = vertx.setTimer(timeoutMs, id -> {
      stream.cancel();
      result.tryFail(new WelcomeCall.DeadlineException("chat_timeout"));
    });
    stream.done().onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        result.tryComplete(new JsonObject().put("answer", text.toString()).put("conversation_id", conversation[0]));
      } else {
        result.tryFail(ar.cause());
      }
    });
    return result.future();
  }
}
