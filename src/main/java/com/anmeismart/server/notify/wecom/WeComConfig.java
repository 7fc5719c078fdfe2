package com.anmeismart.server.notify.wecom;

import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.settings.NotificationSettings;

/**
 * The WeCom channel's settings in force: the notification settings' saved values, else the {@code WECOM_*} env
 * values (SPEC §7: env gives the defaults, saved values win). Holds the secret: never logged, never serialised
 * ({@link #toString} hides it).
 *
 * @param enabled the channel is switched on (saved {@code wecom_enabled}, else on when the env gives corp id, agent
 *                id and secret)
 * @param secret  the saved secret (unsealed), else {@code WECOM_SECRET}; null when neither
 */
public record WeComConfig(boolean enabled, String corpId, Integer agentId, String secret, String baseUrl,
                          String publicBaseUrl) {

  /**
   * @param savedSecret the secret saved in the console (unsealed), or null when none is saved
   */
  public static WeComConfig resolve(NotificationSettings saved, String savedSecret, AppConfig env) {
    String corpId = saved.wecomCorpId() != null ? saved.wecomCorpId() : env.wecomCorpId();
    Integer agentId = saved.wecomAgentId() != null ? saved.wecomAgentId() : env.wecomAgentId();
    String secret = savedSecret != null ? savedSecret : env.wecomSecret();
    boolean enabled = saved.wecomEnabled() != null ? saved.wecomEnabled()
        : env.wecomCorpId() != null && env.wecomAgentId() != null && env.wecomSecret() != null;
    return new WeComConfig(enabled, corpId, agentId, secret, env.wecomBaseUrl(), env.publicBaseUrl());
  }

  /** Switched on and everything a send needs is there. */
  public boolean usable() {
    return enabled && corpId != null && agentId != null && secret != null && !secret.isEmpty();
  }

  /** What is missing, for the status and the test button ({@code corp_id}, …), or null when usable. */
  public String missing() {
    if (!enabled) {
      return "disabled";
    }
    StringBuilder m = new StringBuilder();
    if (corpId == null) {
      m.append("corp_id ");
    }
    if (agentId == null) {
      m.append("agent_id ");
    }
    if (secret == null || secret.isEmpty()) {
      m.append("secret ");
    }
    return m.isEmpty() ? null : m.toString().trim().replace(' ', ',');
  }

  @Override
  public String toString() {
    return "WeComConfig[enabled=" + enabled + ", corpId=" + corpId + ", agentId=" + agentId + ", secret="
        + (secret == null ? "unset" : "******") + ", baseUrl=" + baseUrl + "]";
  }
}
