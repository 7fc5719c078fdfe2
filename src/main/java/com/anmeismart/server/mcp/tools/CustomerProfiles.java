package com.anmeismart.server.mcp.tools;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.chat.ConversationStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.LocalDate;
import java.time.Period;
import java.util.Optional;
import java.util.UUID;

/**
 * A customer as the tools describe them: the account (UserStore), their conversations (ConversationStore) and
 * their appointments and plans (ClinicStore), read from each owner at once.
 */
final class CustomerProfiles {

  private final UserStore users;
  private final ConversationStore conversations;
  private final ClinicStore clinic;

  CustomerProfiles(UserStore users, ConversationStore conversations, ClinicStore clinic) {
    this.users = users;
    this.conversations = conversations;
    this.clinic = clinic;
  }

  /** {@code {id, username, email, phone, role, full_name, gender, birth_date, age, interests, source, is_active,
   * registered_at, default_conversation_id, conversations, booked_appointments, treatment_plans, customer_messages}};
   * empty when there is no such user. */
  Future<Optional<JsonObject>> profile(UUID id) {
    return Future.all(users.findById(id), conversations.customerFigures(id), clinic.customerFigures(id)).map(all -> {
      Optional<JsonObject> found = all.resultAt(0);
      if (found.isEmpty()) {
        return Optional.empty();
      }
      JsonObject u = found.get();
      JsonObject chat = all.resultAt(1);
      JsonObject care = all.resultAt(2);
      String birth = u.getString("birth_date");
      Integer age = birth == null ? null
          : Period.between(LocalDate.parse(birth), LocalDate.now(clinic.zone())).getYears();
      return Optional.of(new JsonObject().put("id", u.getString("id"))
          .put("username", u.getString("username")).put("email", u.getString("email"))
          .put("phone", u.getString("phone")).put("role", u.getString("role"))
          .put("full_name", u.getString("full_name")).put("gender", u.getString("gender"))
          .put("birth_date", birth).put("age", age)
          .put("interests", u.getJsonArray("interests"))
          .put("source", u.getString("source")).put("is_active", u.getBoolean("is_active"))
          .put("registered_at", u.getString("created_at"))
          .put("default_conversation_id", chat.getString("default_conversation_id"))
          .put("conversations", chat.getLong("conversations"))
          .put("booked_appointments", care.getLong("booked_appointments"))
          .put("treatment_plans", care.getLong("treatment_plans"))
          .put("customer_messages", chat.getLong("customer_messages")));
    });
  }
}
