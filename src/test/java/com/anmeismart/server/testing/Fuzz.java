package com.anmeismart.server.testing;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * Seeded random inputs for the fuzz tests: JSON values of every type, strings with the characters that broke the
 * server (NUL, unpaired surrogates, a high surrogate before a non-ASCII character), huge strings, deep nesting, and
 * JSON text written by hand so those characters go out exactly as backslash-u escapes (a JSON
 * library would replace a lone surrogate by {@code ?} on the way). Same seed, same inputs.
 */
public final class Fuzz {

  /** The seed of a fuzz run: {@code -Dfuzz.seed=N} to replay a failure, else the fixed default. */
  public static long seed(long fixed) {
    return Long.getLong("fuzz.seed", fixed);
  }

  private static final List<String> INTERESTING = List.of("", " ", "admin", "customer", "consultant", "operator",
      "../../etc/passwd", "' OR 1=1 --", "<script>alert(1)</script>", "1900-01-01", "2999-12-31", "0000-00-00",
      "http://127.0.0.1:9/v1", "https://push.example/abc", "agent", "chat", "streaming", "blocking", "welcome",
      "true", "null", "NaN", "-1", "1e309", "%zz", "%00", "\\", "\"", "{}", "[]", "王小美", "😀", "a@b.c",
      "internal", "external", "male", "female", "dead", "failed");

  private final Random random;
  private long counter;

  public Fuzz(long seed) {
    this.random = new Random(seed);
  }

  public Random random() {
    return random;
  }

  public int nextInt(int bound) {
    return random.nextInt(bound);
  }

  public boolean chance(int percent) {
    return random.nextInt(100) < percent;
  }

  public <T> T pick(List<T> list) {
    return list.get(random.nextInt(list.size()));
  }

  /** A name no earlier call returned (usernames, emails, group names must be new to pass). */
  public String unique(String prefix) {
    return prefix + Long.toString(++counter, 36) + Integer.toString(random.nextInt(1_000_000), 36);
  }

  /** A string of random pieces: ASCII, Chinese, emoji pairs, and now and then the characters that can't be stored. */
  public String string() {
    int kind = random.nextInt(20);
    if (kind == 0) {
      return "x".repeat(1 + random.nextInt(66_000)); // sometimes over the 64 KiB body limit with the rest
    }
    if (kind == 1) {
      return pick(INTERESTING);
    }
    StringBuilder b = new StringBuilder();
    int pieces = random.nextInt(8);
    for (int i = 0; i < pieces; i++) {
      switch (random.nextInt(12)) {
        case 0 -> b.append('\u0000');
        case 1 -> b.append('\uD800');                      // lone high surrogate
        case 2 -> b.append('\uDC00');                      // lone low surrogate
        case 3 -> b.append('\uD83D').append('中');          // high surrogate before a non-ASCII character
        case 4 -> b.append("\uD83D\uDE00");                // a proper pair
        case 5 -> b.append("补水光子嫩肤");
        case 6 -> b.append((char) random.nextInt(0x20));  // control characters
        case 7 -> b.append((char) (0x80 + random.nextInt(0xD800 - 0x80)));
        default -> b.append(UUID.randomUUID().toString(), 0, 1 + random.nextInt(12));
      }
    }
    return b.toString();
  }

  /** A JSON value of any type, nested at most {@code depth} levels. */
  public Object value(int depth) {
    int kind = random.nextInt(depth > 0 ? 14 : 10);
    return switch (kind) {
      case 0 -> null;
      case 1 -> random.nextBoolean();
      case 2 -> random.nextInt();
      case 3 -> random.nextInt(400) - 50;
      case 4 -> pick(List.of(0.5, -1.0, 1e308, -0.0, 3.0, 1e-300, 86_400.5, 0.01));
      case 5 -> new BigInteger(40 + random.nextInt(100), random);
      case 6, 7, 8, 9 -> string();
      case 10, 11 -> {
        int n = random.nextInt(5);
        java.util.ArrayList<Object> list = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
          list.add(value(depth - 1));
        }
        yield list;
      }
      default -> {
        Map<String, Object> map = new LinkedHashMap<>();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
          map.put(chance(20) ? string() : pick(List.of("a", "name", "type", "Authorization", "id", "x")),
              value(depth - 1));
        }
        yield map;
      }
    };
  }

  /** {@code [[[[…]]]]} or {@code {"a":{"a":…}}} this deep. */
  public static String nested(int depth, boolean objects) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < depth; i++) {
      b.append(objects ? "{\"a\":" : "[");
    }
    b.append("1");
    for (int i = 0; i < depth; i++) {
      b.append(objects ? "}" : "]");
    }
    return b.toString();
  }

  /**
   * JSON text of {@code value} (maps, lists, strings, numbers, booleans, null). Non-ASCII characters are written as
   * backslash-u escapes or raw UTF-8 at random; surrogates (paired or not) and control characters always as
   * escapes, so they arrive exactly as written.
   */
  public String json(Object value) {
    StringBuilder b = new StringBuilder();
    write(b, value);
    return b.toString();
  }

  private void write(StringBuilder b, Object v) {
    if (v == null) {
      b.append("null");
    } else if (v instanceof String s) {
      b.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '"' || c == '\\') {
          b.append('\\').append(c);
        } else if (c < 0x20 || Character.isSurrogate(c) || c >= 0x7f && chance(50)) {
          b.append(String.format("\\u%04x", (int) c));
        } else {
          b.append(c);
        }
      }
      b.append('"');
    } else if (v instanceof Map<?, ?> m) {
      b.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          b.append(',');
        }
        first = false;
        write(b, String.valueOf(e.getKey()));
        b.append(':');
        write(b, e.getValue());
      }
      b.append('}');
    } else if (v instanceof List<?> l) {
      b.append('[');
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        write(b, l.get(i));
      }
      b.append(']');
    } else if (v instanceof Double d && (d.isInfinite() || d.isNaN())) {
      b.append(d > 0 ? "1e999" : "-1e999");
    } else {
      b.append(v);
    }
  }

  /** Random bytes, often not UTF-8. */
  public byte[] bytes(int max) {
    byte[] b = new byte[random.nextInt(max + 1)];
    random.nextBytes(b);
    return b;
  }
}
