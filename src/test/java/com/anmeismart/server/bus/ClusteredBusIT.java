package com.anmeismart.server.bus;

import com.anmeismart.server.cluster.ClusterStart;
import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.config.ClusterConfig;
import com.anmeismart.server.testing.JarProcess;
import com.anmeismart.server.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The bus between two real cluster members (two clustered Vert.x on Hazelcast in this JVM, over loopback TCP, set
 * up as the server sets itself up): every payload record crosses from one node to the other and back through its
 * codec's wire path; browser events ({@link ClientEvent}, JSON) published on one node reach a consumer on the
 * other; and what must stay on its node (the request addresses the server registers as local consumers) does.
 */
class ClusteredBusIT {

  private static Vertx a;
  private static Vertx b;

  @BeforeAll
  static void cluster() throws Exception {
    int portA = JarProcess.freePort();
    int portB = JarProcess.freePort();
    String members = "127.0.0.1:" + portA + ",127.0.0.1:" + portB;
    String name = "bus-it-" + UUID.randomUUID();
    a = join(portA, members, name, "bus-a");
    b = join(portB, members, name, "bus-b");
    Poll.until(Duration.ofSeconds(30), "both members see each other", () -> members(a) == 2 && members(b) == 2);
  }

  private static Vertx join(int port, String members, String clusterName, String nodeName) throws Exception {
    ClusterConfig cluster = AppConfig.from(new JsonObject().put("CLUSTER", "true").put("PG_URL", "postgresql://x/y")
        .put("CLUSTER_PORT", String.valueOf(port)).put("CLUSTER_BUS_PORT", "0").put("CLUSTER_MEMBERS", members)
        .put("NODE_NAME", nodeName)).cluster().resolved();
    Vertx vertx = ClusterStart.join(Vertx.builder(), new VertxOptions(), cluster, clusterName)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS).vertx();
    BusCodecs.register(vertx);
    return vertx;
  }

  private static int members(Vertx vertx) {
    return ((io.vertx.core.internal.VertxInternal) vertx).clusterManager().getNodes().size();
  }

  @AfterAll
  static void close() throws Exception {
    for (Vertx v : new Vertx[] {a, b}) {
      if (v != null) {
        v.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void everyPayloadRecordCrossesToTheOtherNodeAndBack() throws Exception {
    for (Map.Entry<Class<?>, Object> sample : RecordCodecTest.SAMPLES.entrySet()) {
      String address = "wire-test." + sample.getKey().getSimpleName();
      List<Object> seenOnB = new CopyOnWriteArrayList<>();
      var consumer = b.eventBus().consumer(address, (Message<Object> m) -> {
        seenOnB.add(m.body());
        m.reply(m.body()); // the record travels back through the same codec
      });
      consumer.completion().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      Object back = Poll.until(Duration.ofSeconds(10), address + " reachable from the other node",
          () -> a.eventBus().request(address, sample.getValue()).map(Message::body)
              .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS));
      assertThat(seenOnB).as(address + ": decoded on the other node").contains(sample.getValue());
      assertThat(back).as(address + ": decoded again on the way back").isEqualTo(sample.getValue())
          .isNotSameAs(sample.getValue());
      consumer.unregister().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void browserEventsPublishedOnOneNodeReachConsumersOnTheOther() throws Exception {
    UUID conversation = UUID.randomUUID();
    String address = Addresses.clientConversation(conversation);
    List<JsonObject> received = new CopyOnWriteArrayList<>();
    b.eventBus().<JsonObject>consumer(address, m -> received.add(m.body())).completion()
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    ClientEvent event = new ClientEvent.WelcomeReplace(conversation, "您好，欢迎！");
    Poll.until(Duration.ofSeconds(10), "the event on the other node", () -> {
      event.publish(a.eventBus(), address);
      return !received.isEmpty();
    });
    assertThat(ClientEvent.fromJson(received.get(0))).isEqualTo(event);
  }

  @Test
  void localConsumersAnswerOnlyTheirOwnNode() throws Exception {
    // how the server registers its request addresses (welcome, notify, Dify, tool tests): a request is answered
    // by the asking node's verticle, never by another node's
    String address = Addresses.WELCOME_GENERATE + ".local-test";
    b.eventBus().localConsumer(address, m -> m.reply("from b")).completion()
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    Future<Message<Object>> fromA = a.eventBus().request(address, "hello");
    assertThatThrownBy(() -> fromA.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ReplyException.class)
        .satisfies(t -> assertThat(((ReplyException) t.getCause()).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS));
    assertThat(b.eventBus().request(address, "hello").map(Message::body).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS)).isEqualTo("from b");
  }
}
