package com.anmeismart.server.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What counts as text PostgreSQL can store (the rule the guard applies to every string of every JSON body). */
class RequestGuardTest {

  @Test
  void ordinaryTextIncludingChineseAndEmojiIsStorable() {
    assertThat(RequestGuard.storable("")).isTrue();
    assertThat(RequestGuard.storable("王小美 likes 补水")).isTrue();
    assertThat(RequestGuard.storable("emoji \uD83D\uDE00 (a surrogate pair)")).isTrue();
    assertThat(RequestGuard.storable("tab\tnewline\ncontrol\u0001")).as("PostgreSQL stores other control characters")
        .isTrue();
  }

  @Test
  void nulAndUnpairedSurrogatesAreNot() {
    assertThat(RequestGuard.storable("a\u0000b")).isFalse();
    assertThat(RequestGuard.storable("\u0000")).isFalse();
    assertThat(RequestGuard.storable("a\uD800")).as("high surrogate at the end").isFalse();
    assertThat(RequestGuard.storable("a\uD800b")).as("high surrogate before ASCII").isFalse();
    assertThat(RequestGuard.storable("a\uD800中")).as("high surrogate before a non-ASCII character").isFalse();
    assertThat(RequestGuard.storable("\uDC00a")).as("a lone low surrogate").isFalse();
    assertThat(RequestGuard.storable("\uDE00\uD83D")).as("a pair in the wrong order").isFalse();
  }
}
