package com.anmeismart.server.bus;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;

import java.util.List;

/** Registers the payload records' codecs as defaults, once per Vert.x instance, before any verticle is deployed. */
public final class BusCodecs {

  private BusCodecs() {
  }

  /** One codec per payload record (the wire-path test checks each of them). */
  static List<RecordCodec<?>> codecs() {
    return List.of(
        new RecordCodec<>(WelcomeRequest.class, WelcomeRequest::toJson, WelcomeRequest::fromJson),
        new RecordCodec<>(WelcomeResult.class, WelcomeResult::toJson, WelcomeResult::fromJson),
        new RecordCodec<>(NewCustomer.class, NewCustomer::toJson, NewCustomer::fromJson),
        new RecordCodec<>(NotifyResult.class, NotifyResult::toJson, NotifyResult::fromJson),
        new RecordCodec<>(AdminAlert.class, AdminAlert::toJson, AdminAlert::fromJson),
        new RecordCodec<>(ChatRequest.class, ChatRequest::toJson, ChatRequest::fromJson),
        new RecordCodec<>(ChatResult.class, ChatResult::toJson, ChatResult::fromJson),
        new RecordCodec<>(ToolTestRequest.class, ToolTestRequest::toJson, ToolTestRequest::fromJson),
        new RecordCodec<>(ToolTestResult.class, ToolTestResult::toJson, ToolTestResult::fromJson),
        new RecordCodec<>(WeComTest.class, WeComTest::toJson, WeComTest::fromJson),
        new RecordCodec<>(WeComTestResult.class, WeComTestResult::toJson, WeComTestResult::fromJson));
  }

  public static void register(Vertx vertx) {
    EventBus bus = vertx.eventBus();
    codecs().forEach(codec -> add(bus, codec));
  }

  private static <T> void add(EventBus bus, RecordCodec<T> codec) {
    bus.registerDefaultCodec(codec.type(), codec);
  }
}
