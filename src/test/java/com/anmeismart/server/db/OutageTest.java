package com.anmeismart.server.db;

import io.vertx.core.VertxException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.SocketException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which failures mean "the database is away, retry shortly" (503) and which are bugs or bad input (not). */
class OutageTest {

  static PgException pg(String state) {
    return new PgException("message", "FATAL", state, null);
  }

  @Test
  void serverStatesOfAShutdownRestartOrConnectionLossAreOutages() {
    for (String state : new String[] {"57P01", "57P02", "57P03", "53300", "08006", "08003", "08001"}) {
      assertThat(Outage.isDatabaseUnavailable(pg(state))).as(state).isTrue();
    }
  }

  @Test
  void lostConnectionsRefusedConnectsAndPoolTimeoutsAreOutages() {
    assertThat(Outage.isDatabaseUnavailable(ClosedConnectionException.INSTANCE)).isTrue();
    assertThat(Outage.isDatabaseUnavailable(new ConnectException("Connection refused"))).isTrue();
    assertThat(Outage.isDatabaseUnavailable(new VertxException("Timeout waiting for connection", true))).isTrue();
    assertThat(Outage.isDatabaseUnavailable(VertxException.noStackTrace("Timeout"))).isTrue();
    assertThat(Outage.isDatabaseUnavailable(new ConnectionPoolTooBusyException("queue full"))).isTrue();
    // seen during bench/chaos.sh pg-restart: both used to answer 500
    assertThat(Outage.isDatabaseUnavailable(VertxException.noStackTrace(
        "Connection is not active now, current status: CLOSED"))).isTrue();
    assertThat(Outage.isDatabaseUnavailable(new SocketException("Connection reset by peer"))).isTrue();
    assertThat(Outage.isDatabaseUnavailable(new RuntimeException("wrapped", new ConnectException("refused"))))
        .as("found along the cause chain").isTrue();
  }

  @Test
  void queryErrorsAndBugsAreNot() {
    for (String state : new String[] {"22021", "22P05", "23505", "42P01", "57014"}) {
      assertThat(Outage.isDatabaseUnavailable(pg(state))).as(state).isFalse();
    }
    assertThat(Outage.isDatabaseUnavailable(new IllegalStateException("bug"))).isFalse();
    assertThat(Outage.isDatabaseUnavailable(new VertxException("Timeout of something else in a sentence"))).isFalse();
    assertThat(Outage.isDatabaseUnavailable(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, "x"))).isFalse();
  }
}
