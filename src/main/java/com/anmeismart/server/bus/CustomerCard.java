package com.anmeismart.server.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A new customer as consultants see them before anyone claims (SPEC §7): {@code customer: {id, username,
 * display_name, interests, source, registered_at}}, plus the phone masked ({@code 138****8000}): the number itself
 * is for the consultant who claims the customer.
 *
 * @param displayName the full name, else the username
 */
public record CustomerCard(UUID id, String username, String displayName, List<String> interests, String source,
                           Instant registeredAt, String phoneMasked) {

  public CustomerCard {
    interests = interests == null ? List.of() : List.copyOf(interests);
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id.toString()).put("username", username).put("display_name", displayName)
        .put("interests", new JsonArray(interests)).put("source", source)
        .put("registered_at", registeredAt.toString()).put("phone_masked", phoneMasked);
  }

  public static CustomerCard fromJson(JsonObject j) {
    JsonArray interests = j.getJsonArray("interests", new JsonArray());
    return new CustomerCard(UUID.fromString(j.getString("id")), j.getString("username"),
        j.getString("display_name", j.getString("username")),
        interests.stream().map(String::valueOf).toList(), j.getString("source"),
        Instant.parse(j.getString("registered_at")), j.getString("phone_masked"));
  }

  /** {@code 13800138000} → {@code 138****8000}: enough to recognise a call-back, not enough to call. */
  public static String mask(String phone) {
    if (phone == null || phone.isBlank()) {
      return null;
    }
    String digits = phone.replaceAll("[^0-9+]", "");
    if (digits.length() >= 8) {
      return digits.substring(0, 3) + "****" + digits.substring(digits.length() - 4);
    }
    return "*".repeat(Math.max(0, digits.length() - 2)) + digits.substring(Math.max(0, digits.length() - 2));
  }
}
