package com.anmeismart.server.settings;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The automation settings document: defaults, parsing, the rules, and reading documents that break them. */
class AutomationSettingsTest {

  static final AutomationSettings DEFAULTS = AutomationSettings.DEFAULTS;

  @Test
  void defaultsAreThePrdValuesAndSurviveTheirJson() {
    assertThat(DEFAULTS.enabled()).isTrue();
    assertThat(DEFAULTS.rolloutPercent()).isEqualTo(100);
    assertThat(DEFAULTS.retryDelaysSeconds()).containsExactly(5.0, 15.0, 60.0);
    assertThat(DEFAULTS.maxRetries()).isEqualTo(3);
    assertThat(DEFAULTS.welcomeTemplate()).startsWith("欢迎来到安美智享");
    assertThat(AutomationSettings.check(DEFAULTS.toJson())).isEmpty();
    assertThat(AutomationSettings.fromJson(DEFAULTS.toJson())).isEqualTo(DEFAULTS);
    assertThat(AutomationSettings.fromJson(new JsonObject())).isEqualTo(DEFAULTS);
    // whole minutes stay integers in the stored JSON, fractions stay fractions
    assertThat(DEFAULTS.toJson().getValue("escalation_minutes")).isEqualTo(10);
    assertThat(AutomationSettings.fromJson(new JsonObject().put("escalation_minutes", 0.5)).toJson()
        .getValue("escalation_minutes")).isEqualTo(0.5);
  }

  @Test
  void aPartialDocumentKeepsTheDefaultsForWhatItLeavesOut() {
    AutomationSettings s = AutomationSettings.fromJson(new JsonObject().put("rollout_percent", 30)
        .put("notifications", new JsonObject().put("web_push", false)));
    assertThat(s.rolloutPercent()).isEqualTo(30);
    assertThat(s.notifyWebPush()).isFalse();
    assertThat(s.notifyConsultants()).as("the other switches keep their defaults").isTrue();
    assertThat(s.maxRetries()).isEqualTo(3);
  }

  @Test
  void retryDelaysRepeatTheirLastValue() {
    AutomationSettings s = AutomationSettings.fromJson(new JsonObject().put("retry_delays_seconds",
        new JsonArray().add(1).add(2.5)));
    assertThat(List.of(s.retryDelaySeconds(1), s.retryDelaySeconds(2), s.retryDelaySeconds(7)))
        .containsExactly(1.0, 2.5, 2.5);
  }

  @Test
  void theRolloutIsDecidedByTheUserIdAndOnlyGrows() {
    AutomationSettings half = AutomationSettings.fromJson(new JsonObject().put("rollout_percent", 50));
    AutomationSettings most = AutomationSettings.fromJson(new JsonObject().put("rollout_percent", 80));
    for (int i = 0; i < 500; i++) {
      UUID id = UUID.randomUUID();
      assertThat(half.inRollout(id)).isEqualTo(half.inRollout(id));
      if (half.inRollout(id)) {
        assertThat(most.inRollout(id)).isTrue();
      }
    }
    assertThat(AutomationSettings.fromJson(new JsonObject().put("rollout_percent", 0)).inRollout(UUID.randomUUID()))
        .isFalse();
  }

  @Test
  void theRulesNameEveryWrongFieldWithTheSchemasText() {
    JsonObject problems = AutomationSettings.check(new JsonObject().put("rollout_percent", "50")
        .put("max_retries", 21).put("retry_delays_seconds", new JsonArray()).put("welcome_template", "")
        .put("notifications", new JsonObject().put("admins", "yes")).put("escalation_minutes", 0)
        .put("some_future_field", 1));
    assertThat(problems.fieldNames()).containsExactlyInAnyOrder("rollout_percent", "max_retries",
        "retry_delays_seconds", "welcome_template", "notifications", "escalation_minutes");
    assertThat(problems.getString("rollout_percent")).isEqualTo("must be an integer from 0 to 100");
    assertThat(AutomationSettings.check(new JsonObject().put("some_future_field", 1))).as("unknown fields are ignored")
        .isEmpty();
  }

  @Test
  void anInvalidStoredDocumentRunsOnItsValidFieldsAndTheFallbackForTheRest() {
    // the document of issue #10: rollout_percent as a string (it used to throw ClassCastException on every read)
    JsonObject stored = new JsonObject().put("rollout_percent", "50").put("enabled", false)
        .put("expected_response_minutes", 7);
    AutomationSettings lastGood = AutomationSettings.fromJson(new JsonObject().put("rollout_percent", 40));
    AutomationSettings.Parsed parsed = AutomationSettings.parse(stored, lastGood);
    assertThat(parsed.valid()).isFalse();
    assertThat(parsed.problems().fieldNames()).containsExactly("rollout_percent");
    assertThat(parsed.settings().rolloutPercent()).as("the last good value").isEqualTo(40);
    assertThat(parsed.settings().enabled()).as("valid fields are kept: an admin's off switch stays off").isFalse();
    assertThat(parsed.settings().expectedResponseMinutes()).isEqualTo(7);
    assertThat(AutomationSettings.parse(stored, DEFAULTS).settings().rolloutPercent()).isEqualTo(100);
  }

  @Test
  void aBrokenSwitchFallsBackAloneAndTheOthersStay() {
    AutomationSettings.Parsed parsed = AutomationSettings.parse(new JsonObject().put("notifications",
        new JsonObject().put("consultants", false).put("web_push", "off").put("sms", true)), DEFAULTS);
    assertThat(parsed.problems().fieldNames()).containsExactly("notifications");
    assertThat(parsed.settings().notifyConsultants()).isFalse();
    assertThat(parsed.settings().notifyWebPush()).isTrue();
  }

  @Test
  void aStoredValueThatIsNoObjectAtAllRunsOnTheFallback() {
    for (Object stored : new Object[] {"text", 42, new JsonArray().add(1), null}) {
      AutomationSettings.Parsed parsed = AutomationSettings.parse(stored, DEFAULTS);
      assertThat(parsed.settings()).isEqualTo(DEFAULTS);
      assertThat(parsed.problems().getString("document")).contains("not a JSON object");
    }
  }

  @Test
  void aValidDocumentParsesWithoutProblems() {
    AutomationSettings.Parsed parsed = AutomationSettings.parse(new JsonObject().put("max_retries", 1), DEFAULTS);
    assertThat(parsed.valid()).isTrue();
    assertThat(parsed.settings().maxRetries()).isEqualTo(1);
  }
}
