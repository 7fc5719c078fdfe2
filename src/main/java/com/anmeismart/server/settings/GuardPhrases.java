package com.anmeismart.server.settings;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The welcome guard's default phrase list (setting {@code welcome_guard_phrases}), by the category of claim each
 * one makes. Drawn from China's published rules on medical(-aesthetics) advertising (docs/safety.md cites them):
 * 《医疗广告管理办法》 (2006, art. 7: no guaranteed or implied cure, no cure or efficacy rates, no patients'
 * testimony), 《中华人民共和国广告法》 (art. 9: no "国家级" "最高级" "最佳" and the like; art. 16: no assertion or
 * guarantee of efficacy or safety, no cure or efficacy rates, no comparison with other institutions) and the
 * 《医疗美容广告执法指南》 (published by SAMR on 2021-11-02: guaranteed effects and safety promises, before/after
 * comparisons, "appearance anxiety"). The welcome is a private message, not an advertisement, but it is the
 * clinic's first word to a prospective patient: the same words are the ones a complaint quotes.
 *
 * <p>Admins edit the list (the settings panel); a phrase an admin adds counts as {@code custom}.
 */
public final class GuardPhrases {

  /** Category → phrases, in the order the console shows them. */
  public static final Map<String, List<String>> DEFAULTS = defaults();

  /** The default list, flat (the setting's default value). */
  public static final List<String> DEFAULT_LIST = flat();

  private static final Map<String, String> CATEGORY = categories();

  private GuardPhrases() {
  }

  /** The category of a phrase: one of {@link #DEFAULTS}' keys, or {@code custom} for an admin's own phrase. */
  public static String category(String phrase) {
    return CATEGORY.getOrDefault(phrase, "custom");
  }

  private static Map<String, List<String>> defaults() {
    Map<String, List<String>> m = new LinkedHashMap<>();
    // 保证治愈或者隐含保证治愈 (《医疗广告管理办法》7(2)); 保证性承诺 (《执法指南》)
    m.put("guaranteed_effect", List.of("保证", "包好", "根治", "永久", "永不反弹", "一次见效", "立即见效", "立竿见影",
        "彻底治愈", "彻底解决", "无效退款", "100%", "百分之百", "百分百", "绝对有效"));
    // "国家级" "最高级" "最佳" (《广告法》9(3)); comparisons with other institutions (《广告法》16(3))
    m.put("superlative", List.of("最好", "最佳", "第一", "顶级", "最先进", "最专业", "唯一", "国家级", "最高级",
        "全国领先", "世界领先", "首选", "王牌", "无与伦比"));
    // 表示功效、安全性的断言或者保证; 治愈率、有效率 (《广告法》16(1)(2), 《医疗广告管理办法》7(3))
    m.put("safety_claim", List.of("无副作用", "零风险", "无风险", "安全无害", "零失败", "不会失败", "无痛", "零痛感",
        "治愈率", "有效率", "成功率", "零事故"));
    // 使用患者名义或者形象进行诊疗前后效果对比 (《执法指南》)
    m.put("before_after", List.of("术前术后", "前后对比", "对比照", "效果对比", "判若两人", "脱胎换骨", "换了一个人"));
    // pressure to decide now: 诱导消费 (《执法指南》's "其他严重侵害群众权益"; the clinic's own rule)
    m.put("urgency", List.of("限时", "名额有限", "仅剩", "最后机会", "错过再等", "马上下单", "立即下单", "今天下单",
        "抢购", "秒杀", "手慢无", "倒计时"));
    // 制造"容貌焦虑" (《执法指南》, first of the nine)
    m.put("appearance_anxiety", List.of("颜值即正义", "颜值决定", "长得丑", "变美才能", "不变美就"));
    return java.util.Collections.unmodifiableMap(m);
  }

  private static List<String> flat() {
    List<String> all = new ArrayList<>();
    DEFAULTS.values().forEach(all::addAll);
    return List.copyOf(all);
  }

  private static Map<String, String> categories() {
    Map<String, String> m = new LinkedHashMap<>();
    DEFAULTS.forEach((category, phrases) -> phrases.forEach(p -> m.put(p, category)));
    return Map.copyOf(m);
  }
}
