package com.anmeismart.server.notify.wecom;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The textcard within WeCom's byte limits, cut on character boundaries, its markup intact. */
class TextCardTest {

  static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  static boolean wholeCharacters(String s) {
    return s.codePoints().noneMatch(cp -> cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE);
  }

  @Test
  void shortTextIsKeptAsItIs() {
    TextCard card = TextCard.of("新客户注册", List.of(new TextCard.Line("highlight", "客户：王小美"),
        new TextCard.Line("normal", "感兴趣：热玛吉、水光针")), "https://clinic.example/consultant/#conversation=1", "认领");
    assertThat(card.title()).isEqualTo("新客户注册");
    assertThat(card.description()).isEqualTo("<div class=\"highlight\">客户：王小美</div>"
        + "<div class=\"normal\">感兴趣：热玛吉、水光针</div>");
    assertThat(card.btntxt()).isEqualTo("认领");
  }

  @Test
  void longChineseAndEmojiAreCutOnCharacterBoundariesWithinTheLimits() {
    // 3-byte CJK and 4-byte emoji (a surrogate pair in Java): a byte cut would split one
    String title = "新客户「" + "😀美".repeat(60) + "」已注册";
    String name = "王".repeat(100) + "🌟".repeat(100);
    TextCard card = TextCard.of(title, List.of(new TextCard.Line("gray", "新客户注册"),
        new TextCard.Line("highlight", "客户：" + name), new TextCard.Line("normal", "来源：官网")),
        "https://clinic.example/consultant/#conversation=1", "认领");
    assertThat(bytes(card.title())).isLessThanOrEqualTo(TextCard.TITLE_BYTES).isGreaterThan(TextCard.TITLE_BYTES - 8);
    assertThat(card.title()).endsWith("…").startsWith("新客户「😀美");
    assertThat(bytes(card.description())).isLessThanOrEqualTo(TextCard.DESCRIPTION_BYTES);
    assertThat(wholeCharacters(card.title())).isTrue();
    assertThat(wholeCharacters(card.description())).isTrue();
    // every line that is there is whole markup; the name's line was cut, the source line had no room left
    assertThat(card.description()).startsWith("<div class=\"gray\">新客户注册</div><div class=\"highlight\">客户：王王")
        .endsWith("…</div>").doesNotContain("来源");
  }

  @Test
  void customerTextIsEscapedAndNeverCutInsideAnEntity() {
    String name = "<script>&\"".repeat(80);
    TextCard card = TextCard.of("t", List.of(new TextCard.Line("normal", name)), "https://x.example/", "认领");
    assertThat(card.description()).doesNotContain("<script>");
    String inner = card.description().substring("<div class=\"normal\">".length(),
        card.description().length() - "</div>".length());
    assertThat(inner).matches("(&lt;script&gt;|&amp;|&quot;|&lt;|[a-z])*(&lt;|&gt;|&amp;|&quot;|[a-z])*…");
    assertThat(bytes(card.description())).isLessThanOrEqualTo(TextCard.DESCRIPTION_BYTES);
  }

  @Test
  void theButtonIsAtMostFourCharactersAndALongUrlIsRefused() {
    assertThat(TextCard.of("t", List.of(), "https://x.example/", "立即认领客户").btntxt()).isEqualTo("立即认领");
    assertThatThrownBy(() -> TextCard.of("t", List.of(), "https://x.example/" + "a".repeat(2048), "认领"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
