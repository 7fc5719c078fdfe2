package com.anmeismart.server.dify;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The local agent's pen: a warm Chinese welcome from the profile that {@code get_user_profile} returned and the
 * service {@code service_info} found for the customer's first interest. Deterministic: the same profile, service
 * and hour give the same text (no model involved), so tests can check it and the default run needs no LLM.
 */
final class WelcomeWriter {

  private static final Map<String, String> SOURCES = Map.of(
      "wechat", "微信", "web", "官网", "website", "官网", "app", "App", "douyin", "抖音",
      "xiaohongshu", "小红书", "referral", "朋友推荐", "weibo", "微博");

  private WelcomeWriter() {
  }

  /**
   * The welcome, in sentences (the agent streams it sentence by sentence).
   *
   * @param now the time in the clinic's zone ({@code TIME_ZONE}): the greeting follows its hour
   */
  static List<String> write(JsonObject profile, JsonObject service, ZonedDateTime now) {
    List<String> out = new ArrayList<>();
    String name = firstNonBlank(profile.getString("full_name"), profile.getString("username"), "您");
    out.add(greeting(now.toLocalTime()) + "，" + name + "！欢迎来到安美智享 🌸\n");
    out.add("我是您的专属AI咨询助手，很高兴认识您。");
    List<String> interests = strings(profile.getValue("interests"));
    if (!interests.isEmpty()) {
      String listed = interests.size() == 1 ? "「" + interests.get(0) + "」"
          : "「" + interests.get(0) + "」和「" + interests.get(1) + "」";
      out.add("看到您对" + listed + "感兴趣，我已经为您记下了。");
    }
    if (service != null && service.getString("name") != null) {
      StringBuilder s = new StringBuilder("我们的「").append(service.getString("name")).append("」");
      Integer minutes = service.getInteger("duration_minutes");
      if (minutes != null) {
        s.append("单次约 ").append(minutes).append(" 分钟，");
      }
      s.append("很受和您兴趣相近的顾客欢迎，欢迎随时向我了解详情。");
      out.add(s.toString());
    }
    String source = SOURCES.get(String.valueOf(profile.getString("source")).toLowerCase());
    if (source != null) {
      out.add("感谢您通过" + source + "找到我们。");
    }
    out.add("您可以随时向我咨询医美相关问题，专业顾问也会尽快与您联系。");
    return out;
  }

  static String greeting(LocalTime t) {
    int h = t.getHour();
    if (h >= 5 && h < 11) {
      return "早上好";
    } else if (h >= 11 && h < 13) {
      return "中午好";
    } else if (h >= 13 && h < 18) {
      return "下午好";
    } else if (h >= 18 && h < 23) {
      return "晚上好";
    }
    return "您好";
  }

  /** The first catalogue entry in a {@code service_info} answer, whatever its envelope. */
  static JsonObject firstService(JsonObject result) {
    if (result == null) {
      return null;
    }
    for (String key : List.of("services", "items", "results")) {
      JsonArray list = result.getJsonArray(key);
      if (list != null && !list.isEmpty() && list.getValue(0) instanceof JsonObject o) {
        return o;
      }
    }
    return result.getString("name") != null ? result : null;
  }

  private static List<String> strings(Object value) {
    if (value instanceof JsonArray a) {
      return a.stream().map(String::valueOf).filter(s -> !s.isBlank()).toList();
    }
    if (value instanceof String s && !s.isBlank()) {
      return List.of(s.split("[,，、]"));
    }
    return List.of();
  }

  private static String firstNonBlank(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return "";
  }
}
