package com.anmeismart.server.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatling.http.action.ws.WsInboundMessage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The event-bus bridge as the pages use it: SockJS's WebSocket transport ({@code /eventbus/<server>/<session>/websocket},
 * what {@code sockjs-client} opens), each SockJS message a bridge frame. Outbound, a frame is sent as a one-element
 * JSON array of its text ({@code ["{…}"]}); inbound, the server's {@code a[…]} frames carry one or more bridge frames,
 * {@code o} opens and {@code h} is SockJS's heartbeat. Register frames carry the JWT as their
 * {@code Authorization} header, as {@code @vertx/eventbus-bridge-client.js} sends it ({@code eb.defaultHeaders}).
 */
public final class Bridge {

  /** The bridge closes a socket after 10 s without a ping; the browser client pings every 5 s. */
  public static final long PING_EVERY_MS = 5_000;

  private Bridge() {
  }

  /** A fresh SockJS WebSocket URL (random server and session ids, as sockjs-client makes them). */
  public static String url() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    return "/eventbus/" + r.nextInt(100, 1000) + "/" + Long.toString(r.nextLong() & Long.MAX_VALUE, 36) + "/websocket";
  }

  /** The SockJS message that carries a register frame for {@code address} with the token in its headers. */
  public static String register(String address, String token) {
    ObjectNode frame = Setup.JSON.createObjectNode().put("type", "register").put("address", address);
    frame.putObject("headers").put("Authorization", "Bearer " + token);
    return sockJs(frame);
  }

  /** The SockJS message that carries the bridge's ping frame. */
  public static String ping() {
    return sockJs(Setup.JSON.createObjectNode().put("type", "ping"));
  }

  private static String sockJs(JsonNode frame) {
    ArrayNode message = Setup.JSON.createArrayNode().add(frame.toString());
    return message.toString();
  }

  /** A bridge frame as it arrived: Gatling's arrival time (epoch ms) and the frame. */
  public record Frame(long at, JsonNode frame) {
    /** The delivered message's body type ({@code rec} frames), else null. */
    public String bodyType() {
      JsonNode body = frame.path("body");
      return "rec".equals(frame.path("type").asText()) && body.isObject() ? body.path("type").asText() : null;
    }

    public JsonNode body() {
      return frame.path("body");
    }
  }

  /** The bridge frames in the messages Gatling buffered, in arrival order (SockJS open/heartbeat frames skipped). */
  public static List<Frame> frames(List<WsInboundMessage> messages) {
    List<Frame> frames = new ArrayList<>();
    for (WsInboundMessage m : messages) {
      if (m instanceof WsInboundMessage.Text text && text.message().startsWith("a")) {
        try {
          for (JsonNode inner : Setup.JSON.readTree(text.message().substring(1))) {
            frames.add(new Frame(text.timestamp(), Setup.JSON.readTree(inner.asText())));
          }
        } catch (IOException e) {
          throw new IllegalStateException("not a SockJS message: " + text.message(), e);
        }
      }
    }
    return frames;
  }
}
