package com.anmeismart.server.dify;

import com.anmeismart.server.settings.GuardPhrases;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The welcome guard's rules and the sentence gate, without a server: each kind of violation, and what passes. */
class WelcomeGuardTest {

  static final List<WelcomeGuard.Service> CATALOGUE = List.of(
      new WelcomeGuard.Service("water_light_injection", "水光针", List.of("补水", "水光", "保湿"), true, 1280, 2980, 40),
      new WelcomeGuard.Service("ipl_photorejuvenation", "光子嫩肤", List.of("光子嫩肤", "嫩肤", "色斑"), true, 980, 1980,
          30),
      new WelcomeGuard.Service("thermage_flx", "热玛吉", List.of("抗衰", "紧致"), false, 12800, 29800, 90));
  static final WelcomeGuard GUARD = new WelcomeGuard(GuardPhrases.DEFAULT_LIST, CATALOGUE);
  static final WelcomeGuard.Customer CUSTOMER = new WelcomeGuard.Customer("王小美", "xiaomei", List.of("补水"),
      "13800138000", "xiaomei@example.com");

  static List<String> rules(String sentence) {
    return GUARD.review(CUSTOMER).check(sentence).stream().map(WelcomeGuard.Finding::rule).toList();
  }

  @Test
  void theLocalAgentsWelcomePasses() {
    WelcomeGuard.Review r = GUARD.review(CUSTOMER);
    for (String s : List.of("下午好，王小美！欢迎来到安美智享 🌸\n", "我是您的专属AI咨询助手，很高兴认识您。",
        "看到您对「补水」和「光子嫩肤」感兴趣，我已经为您记下了。", "我们的「水光针」单次约 40 分钟，很受和您兴趣相近的顾客欢迎。",
        "水光针的价格在 1280 到 2980 元之间。", "这是您第一次来吧？专业顾问会在 5 分钟内联系您。", "王女士，您好！")) {
      assertThat(r.check(s)).as(s).isEmpty();
    }
  }

  @Test
  void eachKindOfClaimIsCaughtByItsCategory() {
    assertThat(rules("我们保证效果，一次见效！")).contains("phrase.guaranteed_effect");
    assertThat(rules("本院是全国最好的医美机构。")).contains("phrase.superlative");
    assertThat(rules("治疗无副作用，零风险。")).contains("phrase.safety_claim");
    assertThat(rules("有效率高达98%的顾客都满意。")).contains("claim.cure_rate");
    assertThat(rules("看看这些术前术后对比照吧。")).contains("phrase.before_after");
    assertThat(rules("名额有限，限时优惠！")).contains("phrase.urgency");
    assertThat(rules("全程１００％安全。")).as("full-width digits").contains("phrase.guaranteed_effect");
    assertThat(rules("颜值即正义。")).contains("phrase.appearance_anxiety");
  }

  @Test
  void servicesPricesAndDurationsMustMatchTheCatalogue() {
    assertThat(rules("推荐您试试线雕提升。")).containsExactly("service.unknown");
    assertThat(rules("热玛吉现在也可以预约。")).containsExactly("service.inactive");
    assertThat(rules("水光针只要 99 元。")).containsExactly("price.mismatch");
    assertThat(rules("水光针单次约 2 小时。")).containsExactly("duration.mismatch");
    assertThat(rules("光子嫩肤 ¥1280 起。")).isEmpty();
    // a price refers to the last service named
    WelcomeGuard.Review r = GUARD.review(CUSTOMER);
    assertThat(r.check("我们的光子嫩肤很受欢迎。")).isEmpty();
    assertThat(r.check("现在只要 500 元！")).extracting(WelcomeGuard.Finding::rule).containsExactly("price.mismatch");
  }

  @Test
  void onlyTheCustomerIsNamedAndNoOneElsesDataAppears() {
    assertThat(rules("早上好，李华！")).containsExactly("person.other_name");
    assertThat(rules("张女士上周也做了水光针。")).containsExactly("person.other_name");
    assertThat(rules("您可以联系 13912345678 咨询。")).containsExactly("person.other_data");
    assertThat(rules("您留的手机 13800138000 我们已记下。")).isEmpty();
    assertThat(rules("亲爱的xiaomei，欢迎！")).isEmpty();
    WelcomeGuard.Finding f = GUARD.review(CUSTOMER).check("早上好，李华！").get(0);
    assertThat(f.match()).as("another customer's name is not repeated in the metadata").isNull();
  }

  @Test
  void theGateReleasesOnlySentencesThatPassAndNeverWithdrawsOne() {
    List<String> shown = new ArrayList<>();
    SentenceGate gate = new SentenceGate(GUARD.review(CUSTOMER), shown::add);
    for (String chunk : List.of("您好，王小", "美！我们保证", "效果。水光针", "很适合您。")) {
      gate.accept(chunk);
    }
    gate.finish();
    assertThat(shown).containsExactly("您好，王小美！", "水光针很适合您。");
    assertThat(String.join("", shown)).doesNotContain("保证");
    assertThat(gate.replace()).isFalse();
    JsonObject v = gate.verdict();
    assertThat(v.getString("result")).isEqualTo("trimmed");
    assertThat(v.getJsonArray("rules").getList()).containsExactly("phrase.guaranteed_effect");
  }

  @Test
  void nothingPassingMeansTheTemplateAndAnotherPersonEndsTheWelcome() {
    List<String> shown = new ArrayList<>();
    SentenceGate gate = new SentenceGate(GUARD.review(CUSTOMER), shown::add);
    gate.acceptWhole("全国第一的水光针！保证永不反弹。");
    assertThat(shown).isEmpty();
    assertThat(gate.replace()).isTrue();
    assertThat(gate.verdict().getString("result")).isEqualTo("replaced");

    List<String> shown2 = new ArrayList<>();
    SentenceGate stopped = new SentenceGate(GUARD.review(CUSTOMER), shown2::add);
    stopped.acceptWhole("您好，王小美！李华女士也在我们这里。水光针很适合您。");
    assertThat(shown2).containsExactly("您好，王小美！");
    assertThat(stopped.verdict().getInteger("dropped")).isEqualTo(2);
  }

  @Test
  void withTheGuardOffChunksFlowAsTheyCome() {
    List<String> shown = new ArrayList<>();
    SentenceGate gate = new SentenceGate(null, shown::add);
    gate.accept("您好，王小");
    assertThat(shown).containsExactly("您好，王小");
    assertThat(gate.verdict().getString("result")).isEqualTo("disabled");
  }
}
