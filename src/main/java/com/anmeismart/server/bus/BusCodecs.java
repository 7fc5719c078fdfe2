package com.anmeismart.server.bus;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

import java.util.function.Function;

/** Registers the payload records' codecs as defaults, once per Vert.x instance, before any verticle is deployed. */
public final class BusCodecs {

  private BusCodecs() {
  }

  public static void register(Vertx vertx) {
    EventBus bus = vertx.eventBus();
    add(bus, WelcomeRequest.class, WelcomeRequest::toJson, WelcomeRequest::fromJson);
    add(bus, WelcomeResult.class, WelcomeResult::toJson, WelcomeResult::fromJson);
    add(bus, NewCustomer.class, NewCustomer::toJson, NewCustomer::fromJson);
    add(bus, NotifyResult.class, NotifyResult::toJson, NotifyResult::fromJson);
    add(bus, AdminAlert.class, AdminAlert::toJson, AdminAlert::fromJson);
    add(bus, ChatRequest.class, ChatRequest::toJson, ChatRequest::fromJson);
    add(bus, ChatResult.class, ChatResult::toJson, ChatResult::fromJson);
    add(bus, ToolTestRequest.class, ToolTestRequest::toJson, ToolTestRequest::fromJson);
    add(bus, ToolTestResult.class, ToolTestResult::toJson, ToolTestResult::fromJson);
  }

  private static <T> void add(EventBus bus, Class<T> type, Function<T, JsonObject> to, Function<JsonObject, T> from) {
    bus.registerDefaultCodec(type, new RecordCodec<>(type, to, from));
  }
}
