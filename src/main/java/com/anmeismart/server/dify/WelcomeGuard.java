package com.anmeismart.server.dify;

import com.anmeismart.server.settings.GuardPhrases;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The welcome guard's rules (SPEC §11), one sentence at a time: the phrase list (claims China's rules on medical
 * advertising forbid), the service catalogue (services named must exist and be active; prices and durations must
 * match the catalogue), and the customer (no name but the customer's, no one else's contact data). Built once per
 * settings and catalogue snapshot; a {@link Review} holds what one welcome has said so far (the services it named,
 * for the prices of later sentences). Plain string scans over a few dozen phrases and terms: microseconds per
 * sentence (docs/safety.md measures it).
 */
public final class WelcomeGuard {

  /** A catalogue entry as the guard reads it. */
  public record Service(String id, String name, List<String> keywords, boolean active, int priceMin, int priceMax,
                        int durationMinutes) {

    public static Service fromJson(JsonObject j) {
      JsonArray k = j.getJsonArray("keywords", new JsonArray());
      return new Service(j.getString("id"), j.getString("name"), k.stream().map(String::valueOf).toList(),
          j.getBoolean("active", true), j.getInteger("price_min"), j.getInteger("price_max"),
          j.getInteger("duration_minutes"));
    }
  }

  /** The customer the welcome is for. */
  public record Customer(String fullName, String username, List<String> interests, String phone, String email) {

    public static Customer fromProfile(JsonObject p) {
      JsonArray interests = p.getJsonArray("interests", new JsonArray());
      return new Customer(p.getString("full_name"), p.getString("username"),
          interests.stream().map(String::valueOf).toList(), p.getString("phone"), p.getString("email"));
    }
  }

  /**
   * A rule that fired.
   *
   * @param rule  e.g. {@code phrase.guaranteed_effect}, {@code service.unknown}, {@code price.mismatch},
   *              {@code person.other_name}
   * @param match what matched (a phrase, a service, a price), or null where showing it would repeat another
   *              customer's data (the {@code person.*} rules)
   */
  public record Finding(String rule, String match) {
    public JsonObject toJson() {
      return new JsonObject().put("rule", rule).put("match", match);
    }

    /** Another person's name or data: the agent was led astray, so nothing it writes after this is shown. */
    boolean stops() {
      return rule.startsWith("person.");
    }
  }

  /** Procedure names a welcome may mention that are not (yet) in the catalogue: naming one is an unknown service. */
  static final List<String> PROCEDURES = List.of("线雕", "埋线提升", "吸脂", "抽脂", "隆胸", "丰胸", "磨骨", "削骨",
      "下颌角", "自体脂肪", "溶脂针", "童颜针", "少女针", "嗨体", "超声炮", "黄金微针", "美白针", "植发", "纹眉",
      "半永久", "开眼角", "丰唇", "瘦腿针", "瘦肩针", "热拉提", "超皮秒", "眼袋", "拉皮", "胶原蛋白针", "冷冻溶脂",
      "鼻综合", "假体隆鼻", "玻尿酸", "肉毒", "光子嫩肤", "水光针", "热玛吉", "超声刀", "皮秒", "点阵激光", "果酸",
      "小气泡", "激光脱毛", "双眼皮", "瘦脸针", "隆鼻");
  /** Compounds that contain a listed phrase without making its claim ("第一次来" is not "第一"). */
  static final List<String> HARMLESS = List.of("第一次", "第一步", "第一时间", "第一天", "第一位", "第一个", "第一印象",
      "第一眼", "最好先", "最好在", "最好不要", "最好避免", "保证金", "唯一的您");
  private static final Set<String> NOT_NAMES = Set.of("顾客", "客户", "朋友", "用户", "会员", "小伙伴", "您", "你");

  // over the normalised text (NFKC, lower case, no white space)
  private static final Pattern PRICE = Pattern.compile(
      "¥(\\d+(?:\\.\\d+)?)(万|千|k)?(?:(?:-|~|–|—|至|到)¥?(\\d+(?:\\.\\d+)?)(万|千|k)?)?"
          + "|(\\d+(?:\\.\\d+)?)(万|千|k)?(?:(?:-|~|–|—|至|到)(\\d+(?:\\.\\d+)?)(万|千|k)?)?(?:元|块|rmb)");
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(?:-|~|–|至|到)?(\\d+)?(分钟|小时)(?!内)");
  private static final Pattern RATE_CLAIM = Pattern.compile(
      "(有效|治愈|成功|满意|见效|好评)率|\\d{2,3}(?:\\.\\d+)?%的?(顾客|客户|人|患者)?(都)?(有效|满意|见效|改善|治愈|成功)");
  private static final Pattern PHONE = Pattern.compile("(?<!\\d)1[3-9]\\d{9}(?!\\d)");
  private static final Pattern ID_NUMBER = Pattern.compile("(?<!\\d)\\d{17}[\\dx](?!\\d)");
  private static final Pattern EMAIL = Pattern.compile("[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}");
  // over the NFKC text with its spacing (names are cased)
  private static final Pattern HONORIFIC = Pattern.compile("(\\p{IsHan}{1,3})(女士|先生|小姐|同学)");
  private static final Pattern ADDRESSED = Pattern.compile("(?:亲爱的|尊敬的)\\s*([\\p{IsHan}A-Za-z0-9_.\\-]{1,32}?)"
      + "(?=女士|先生|小姐|同学|[，,！!：:。\\s]|$)");
  private static final Pattern GREETED = Pattern.compile("(?:早上好|中午好|下午好|晚上好|您好|你好|hi|hello|嗨)"
      + "[，,、\\s]*(\\p{IsHan}{2,4}|[A-Za-z][A-Za-z0-9_.\\-]{2,31})\\s*[！!]", Pattern.CASE_INSENSITIVE);

  private record Term(String text, Service service, boolean known) {
  }

  private record Phrase(String text, String category) {
  }

  private final List<Phrase> phrases;
  private final List<Term> terms;
  private final List<Service> active;
  private final int globalMin;
  private final int globalMax;

  /**
   * @param phrases   the setting's phrase list
   * @param catalogue every catalogue entry, active or not
   */
  public WelcomeGuard(List<String> phrases, List<Service> catalogue) {
    List<Phrase> p = new ArrayList<>();
    for (String phrase : phrases) {
      String n = normalise(phrase);
      if (!n.isEmpty()) {
        p.add(new Phrase(n, GuardPhrases.category(phrase.strip())));
      }
    }
    this.phrases = List.copyOf(p);
    this.active = catalogue.stream().filter(Service::active).toList();
    List<Term> t = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (Service s : catalogue) {
      // names name a service; keywords only give a price its context
      if (seen.add(normalise(s.name()))) {
        t.add(new Term(normalise(s.name()), s, s.active()));
      }
    }
    for (Service s : active) {
      for (String k : s.keywords()) {
        if (seen.add(normalise(k))) {
          t.add(new Term(normalise(k), s, true));
        }
      }
    }
    for (String proc : PROCEDURES) {
      String n = normalise(proc);
      if (seen.add(n)) {
        Service known = active.stream().filter(s -> normalise(s.name()).contains(n)
            || s.keywords().stream().anyMatch(k -> normalise(k).equals(n))).findFirst().orElse(null);
        Service inactive = known != null ? null : catalogue.stream().filter(s -> !s.active()
            && normalise(s.name()).contains(n)).findFirst().orElse(null);
        t.add(new Term(n, known != null ? known : inactive, known != null));
      }
    }
    t.sort(Comparator.comparingInt((Term x) -> -x.text().length()));
    this.terms = List.copyOf(t);
    this.globalMin = active.stream().mapToInt(Service::priceMin).min().orElse(0);
    this.globalMax = active.stream().mapToInt(Service::priceMax).max().orElse(Integer.MAX_VALUE);
  }

  /**
   * What the guard would do with {@code text} written for {@code customer}, as a welcome checked whole (the
   * settings panel's preview): {@code {result, text (what would be stored; the template when replaced: null),
   * rules, sentences: [{text, shown, findings}]}}. Admin-facing: it shows the dropped sentences.
   */
  public JsonObject preview(String text, Customer customer) {
    SentenceGate gate = new SentenceGate(review(customer), s -> { }, false);
    gate.acceptWhole(text);
    JsonObject verdict = gate.verdict();
    JsonArray sentences = new JsonArray();
    List<String> judged = gate.sentences();
    for (int i = 0; i < judged.size(); i++) {
      JsonArray found = new JsonArray();
      for (Object o : verdict.getJsonArray("findings")) {
        JsonObject f = (JsonObject) o;
        if (f.getInteger("sentence") == i) {
          found.add(new JsonObject().put("rule", f.getString("rule")).put("match", f.getString("match")));
        }
      }
      sentences.add(new JsonObject().put("text", judged.get(i)).put("shown", found.isEmpty()).put("findings", found));
    }
    return new JsonObject().put("result", verdict.getString("result")).put("rules", verdict.getJsonArray("rules"))
        .put("text", gate.replace() ? null : gate.released().strip()).put("sentences", sentences);
  }

  /** A new review: one welcome, sentence by sentence, for this customer. */
  public Review review(Customer customer) {
    return new Review(customer);
  }

  /** One welcome's check: remembers the services named so far (a price refers to the last one named). */
  public final class Review {
    private final Customer customer;
    private final String phone;
    private final String email;
    private List<Service> lastNamed = List.of();

    private Review(Customer customer) {
      this.customer = customer;
      this.phone = customer.phone() == null ? null : customer.phone().replaceAll("\\D", "");
      this.email = customer.email() == null ? null : customer.email().toLowerCase(Locale.ROOT).strip();
    }

    /** What is wrong with this sentence (empty when it may be shown). */
    public List<Finding> check(String sentence) {
      List<Finding> out = new ArrayList<>();
      String nfkc = Normalizer.normalize(sentence, Normalizer.Form.NFKC);
      String n = compact(nfkc);
      String masked = mask(n);
      for (Phrase p : phrases) {
        if (masked.contains(p.text())) {
          out.add(new Finding("phrase." + p.category(), p.text()));
        }
      }
      Matcher rate = RATE_CLAIM.matcher(n);
      if (rate.find()) {
        out.add(new Finding("claim.cure_rate", rate.group()));
      }
      List<Service> named = services(n, out);
      prices(n, named, out);
      durations(n, named, out);
      people(nfkc, n, out);
      if (!named.isEmpty()) {
        lastNamed = named;
      }
      return out;
    }

    /** The services a sentence names (active ones), reporting unknown and inactive ones. */
    private List<Service> services(String n, List<Finding> out) {
      List<Service> named = new ArrayList<>();
      boolean[] covered = new boolean[n.length()];
      for (Term t : terms) {
        int from = 0;
        int at;
        while ((at = n.indexOf(t.text(), from)) >= 0) {
          from = at + 1;
          if (covered[at]) {
            continue; // inside a longer term already read ("超皮秒" is not "皮秒")
          }
          for (int i = at; i < at + t.text().length(); i++) {
            covered[i] = true;
          }
          if (t.known()) {
            if (!named.contains(t.service())) {
              named.add(t.service());
            }
          } else if (t.service() != null) {
            out.add(new Finding("service.inactive", t.service().name()));
          } else {
            out.add(new Finding("service.unknown", t.text()));
          }
        }
      }
      return named;
    }

    private void prices(String n, List<Service> named, List<Finding> out) {
      Matcher m = PRICE.matcher(n);
      while (m.find()) {
        int base = m.group(1) != null ? 1 : 5;
        double low = amount(m.group(base), m.group(base + 1));
        double high = m.group(base + 2) == null ? low : amount(m.group(base + 2), m.group(base + 3));
        List<Service> context = !named.isEmpty() ? named : lastNamed;
        boolean fits = context.isEmpty() ? low >= globalMin && high <= globalMax
            : context.stream().anyMatch(s -> low >= s.priceMin() && high <= s.priceMax());
        if (!fits) {
          out.add(new Finding("price.mismatch", m.group()));
        }
      }
    }

    /** A session's length, for a service the same sentence names: the catalogue's duration, ±20 %. */
    private void durations(String n, List<Service> named, List<Finding> out) {
      if (named.isEmpty()) {
        return; // "顾问会在 5 分钟内联系您" is a promise about the clinic, not a service's length
      }
      Matcher m = DURATION.matcher(n);
      while (m.find()) {
        double unit = m.group(3).equals("小时") ? 60 : 1;
        double low = Double.parseDouble(m.group(1)) * unit;
        double high = m.group(2) == null ? low : Double.parseDouble(m.group(2)) * unit;
        boolean fits = named.stream().anyMatch(s -> low >= s.durationMinutes() * 0.8
            && high <= s.durationMinutes() * 1.2);
        if (!fits) {
          out.add(new Finding("duration.mismatch", m.group()));
        }
      }
    }

    private void people(String nfkc, String n, List<Finding> out) {
      Matcher h = HONORIFIC.matcher(nfkc);
      while (h.find()) {
        if (!h.group(1).endsWith("位") && !mayBeCustomer(h.group(1), true)) { // 各位女士 names nobody
          out.add(new Finding("person.other_name", null));
        }
      }
      for (Pattern p : List.of(ADDRESSED, GREETED)) {
        Matcher m = p.matcher(nfkc);
        while (m.find()) {
          String name = m.group(1);
          if (!NOT_NAMES.contains(name) && !name.startsWith("欢迎") && !mayBeCustomer(name, false)) {
            out.add(new Finding("person.other_name", null));
          }
        }
      }
      Matcher ph = PHONE.matcher(n);
      while (ph.find()) {
        if (!ph.group().equals(phone)) {
          out.add(new Finding("person.other_data", null));
        }
      }
      Matcher em = EMAIL.matcher(n);
      while (em.find()) {
        if (!em.group().equals(email)) {
          out.add(new Finding("person.other_data", null));
        }
      }
      if (ID_NUMBER.matcher(n).find()) {
        out.add(new Finding("person.other_data", null));
      }
    }

    /**
     * Whether a name the text uses can be this customer's: the full name or the username (any case), or, before an
     * honorific (王女士), ending with the full name's surname or given name (the name is the end of what the
     * pattern caught: "欢迎王女士" catches 欢迎王).
     */
    private boolean mayBeCustomer(String name, boolean beforeHonorific) {
      String full = customer.fullName() == null ? "" : customer.fullName().strip();
      String user = customer.username() == null ? "" : customer.username().strip();
      if (name.equalsIgnoreCase(full) || name.equalsIgnoreCase(user)) {
        return true;
      }
      if (!beforeHonorific || full.isEmpty()) {
        return false;
      }
      return name.endsWith(full) || name.endsWith(full.substring(0, 1))
          || full.length() > 2 && name.endsWith(full.substring(0, 2)) || full.length() > 1 && name.endsWith(
              full.substring(1));
    }
  }

  private static double amount(String number, String unit) {
    double v = Double.parseDouble(number);
    if (unit == null) {
      return v;
    }
    return switch (unit) {
      case "万" -> v * 10_000;
      case "千", "k" -> v * 1_000;
      default -> v;
    };
  }

  /** Harmless compounds blanked out, so a phrase inside them does not match. */
  private static String mask(String n) {
    String out = n;
    for (String h : HARMLESS) {
      if (out.contains(h)) {
        out = out.replace(h, "\u0000".repeat(h.length()));
      }
    }
    return out;
  }

  /** NFKC (full-width digits and ％ become ASCII), lower case. */
  static String normalise(String text) {
    return compact(Normalizer.normalize(text, Normalizer.Form.NFKC));
  }

  /** Lower case, no white space: "1 0 0 %" is "100%". */
  private static String compact(String nfkc) {
    StringBuilder b = new StringBuilder(nfkc.length());
    for (int i = 0; i < nfkc.length(); i++) {
      char c = nfkc.charAt(i);
      if (!Character.isWhitespace(c)) {
        b.append(Character.toLowerCase(c));
      }
    }
    return b.toString();
  }
}
