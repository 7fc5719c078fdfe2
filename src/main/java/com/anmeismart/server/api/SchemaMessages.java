package com.anmeismart.server.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * zh-CN texts for JSON Schema validation errors, by keyword (the last segment of the validator's
 * {@code keywordLocation}), with the schema's own limit filled in: "至少 8 个字符" for {@code minLength: 8}. Used
 * when a schema property has no {@code x-error-zh} of its own.
 */
final class SchemaMessages {

  private static final Map<String, String> TYPES = Map.of(
      "string", "文本", "integer", "整数", "number", "数字", "boolean", "true 或 false", "object", "对象",
      "array", "列表", "null", "空值");

  private static final Map<String, String> FORMATS = Map.ofEntries(
      Map.entry("email", "电子邮箱地址"), Map.entry("uuid", "UUID"), Map.entry("date", "日期（YYYY-MM-DD）"),
      Map.entry("date-time", "日期时间（ISO 8601，如 2026-01-31T08:00:00Z）"), Map.entry("time", "时间"),
      Map.entry("uri", "网址"), Map.entry("uri-reference", "网址"), Map.entry("hostname", "主机名"),
      Map.entry("ipv4", "IPv4 地址"), Map.entry("ipv6", "IPv6 地址"), Map.entry("regex", "正则表达式"),
      Map.entry("duration", "时长（ISO 8601）"));

  private SchemaMessages() {
  }

  /**
   * The zh-CN text for a failed {@code keyword} whose value in the schema is {@code limit}; {@code item} is true when
   * the failing value is an element of the field (a list item), not the field itself.
   */
  static String zh(String keyword, Object limit, boolean item) {
    String text = switch (keyword) {
      case "required" -> "必填";
      case "type" -> "类型不对，应为" + types(limit);
      case "enum" -> "须为以下之一：" + list(limit);
      case "const" -> "须为 " + value(limit);
      case "minLength" -> "至少 " + value(limit) + " 个字符";
      case "maxLength" -> "最多 " + value(limit) + " 个字符";
      case "pattern" -> "格式不正确";
      case "format" -> "格式不正确，应为" + FORMATS.getOrDefault(String.valueOf(limit), String.valueOf(limit));
      case "minimum" -> "不能小于 " + value(limit);
      case "maximum" -> "不能大于 " + value(limit);
      case "exclusiveMinimum" -> "须大于 " + value(limit);
      case "exclusiveMaximum" -> "须小于 " + value(limit);
      case "multipleOf" -> "须为 " + value(limit) + " 的倍数";
      case "minItems" -> "至少 " + value(limit) + " 项";
      case "maxItems" -> "最多 " + value(limit) + " 项";
      case "uniqueItems" -> "各项不能重复";
      case "minProperties" -> "至少 " + value(limit) + " 个字段";
      case "maxProperties" -> "最多 " + value(limit) + " 个字段";
      case "additionalProperties", "unevaluatedProperties" -> "含有不允许的字段";
      case "propertyNames" -> "字段名不符合要求";
      case "dependentRequired", "dependentSchemas" -> "缺少与之相关的字段";
      case "items", "prefixItems", "contains", "minContains", "maxContains", "unevaluatedItems" -> "列表中有不符合要求的项";
      default -> "填写有误"; // not, anyOf, oneOf, allOf, if/then/else, $ref …: no single reason to name
    };
    return item ? "其中一项" + text : text;
  }

  private static String types(Object limit) {
    if (limit instanceof JsonArray a) {
      return a.stream().map(t -> TYPES.getOrDefault(String.valueOf(t), String.valueOf(t)))
          .collect(Collectors.joining("或"));
    }
    return TYPES.getOrDefault(String.valueOf(limit), String.valueOf(limit));
  }

  private static String list(Object limit) {
    if (limit instanceof JsonArray a) {
      return a.stream().map(SchemaMessages::value).collect(Collectors.joining("、"));
    }
    return value(limit);
  }

  private static String value(Object v) {
    if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString(d.longValue());
    }
    return v instanceof String || v instanceof Number || v instanceof Boolean ? String.valueOf(v)
        : v == null ? "null" : v instanceof JsonObject o ? o.encode() : String.valueOf(v);
  }
}
