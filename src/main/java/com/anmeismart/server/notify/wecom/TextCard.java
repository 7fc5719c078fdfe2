package com.anmeismart.server.notify.wecom;

import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A WeCom {@code textcard} within WeCom's documented limits (发送应用消息, 文本卡片消息): title ≤ 128 bytes,
 * description ≤ 512 bytes, url ≤ 2048 bytes, btntxt ≤ 4 characters, all UTF-8. Text is cut on a character boundary
 * (never inside a multi-byte character or an HTML entity) and marked with "…"; the description's lines are
 * {@code <div class="gray|normal|highlight">} as WeCom styles them, each line's text escaped, so a cut never leaves
 * broken markup.
 */
public record TextCard(String title, String description, String url, String btntxt) {

  public static final int TITLE_BYTES = 128;
  public static final int DESCRIPTION_BYTES = 512;
  public static final int URL_BYTES = 2048;
  public static final int BTNTXT_CHARS = 4;
  private static final String ELLIPSIS = "…";

  /** A description line: WeCom's classes {@code gray}, {@code normal}, {@code highlight}. */
  public record Line(String cssClass, String text) {
  }

  /**
   * @throws IllegalArgumentException when the url is longer than WeCom accepts (a link can't be cut)
   */
  public static TextCard of(String title, List<Line> lines, String url, String btntxt) {
    if (bytes(url) > URL_BYTES) {
      throw new IllegalArgumentException("textcard url longer than " + URL_BYTES + " bytes");
    }
    StringBuilder description = new StringBuilder();
    for (Line line : lines) {
      String open = "<div class=\"" + line.cssClass() + "\">";
      String close = "</div>";
      int room = DESCRIPTION_BYTES - bytes(description.toString()) - bytes(open) - bytes(close);
      if (room <= bytes(ELLIPSIS)) {
        break;
      }
      description.append(open).append(cut(line.text(), room, true)).append(close);
    }
    String button = btntxt.codePointCount(0, btntxt.length()) > BTNTXT_CHARS
        ? btntxt.substring(0, btntxt.offsetByCodePoints(0, BTNTXT_CHARS)) : btntxt;
    return new TextCard(cut(title, TITLE_BYTES, false), description.toString(), url, button);
  }

  public JsonObject toJson() {
    return new JsonObject().put("title", title).put("description", description).put("url", url)
        .put("btntxt", btntxt);
  }

  /**
   * {@code text} (HTML-escaped when {@code escape}) in at most {@code maxBytes} UTF-8 bytes: whole characters (and
   * whole entities) only, "…" at the end when something was cut.
   */
  static String cut(String text, int maxBytes, boolean escape) {
    String s = text == null ? "" : text;
    if (bytes(escape ? escape(s) : s) <= maxBytes) {
      return escape ? escape(s) : s;
    }
    int budget = maxBytes - bytes(ELLIPSIS);
    StringBuilder out = new StringBuilder();
    int used = 0;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      String piece = new String(Character.toChars(cp));
      if (escape) {
        piece = escape(piece);
      }
      int n = bytes(piece);
      if (used + n > budget) {
        break;
      }
      out.append(piece);
      used += n;
      i += Character.charCount(cp);
    }
    return out.append(ELLIPSIS).toString();
  }

  static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
