package com.anmeismart.server.dify;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The welcome guard on a stream: the agent's chunks are held until a sentence is whole, the sentence is checked
 * ({@link WelcomeGuard.Review}), and only a sentence that passes is released to the customer. So the customer never
 * sees a sentence that is later withdrawn: a sentence that breaks a rule is never shown, and one that was shown is
 * never taken back. A sentence naming another person ends the welcome there (the agent was led astray: nothing it
 * writes after that is trusted).
 *
 * <p>The verdict at the end: {@code passed} (nothing dropped), {@code trimmed} (sentences dropped, the rest shown and
 * stored), {@code replaced} (nothing passed before the problem: the customer saw nothing of the agent's text, and the
 * welcome is the template). A welcome is never replaced once part of it was shown: that would withdraw what the
 * customer has read.
 *
 * <p>With the guard off ({@code review} null) every chunk is released as it comes, as before the guard existed.
 */
final class SentenceGate {

  /** Sentence ends: the text up to one of these (and any further end marks or closing quotes) is a sentence. */
  private static final String ENDS = "。！？!?…；;\n";
  private static final String CLOSERS = "」』”’）)】》";
  /** A sentence longer than this without an end is cut at its last clause mark, so the text keeps flowing. */
  static final int MAX_SENTENCE = 120;
  private static final String CLAUSES = "，、：,:";

  /** What is left of a text checked whole must keep this share of it to stand on its own (else: the template). */
  static final double STANDS_ALONE = 0.3;

  private final WelcomeGuard.Review review;
  private final Consumer<String> release;
  /** Released sentences reach the customer at once (a stream); false: nothing is shown until the end. */
  private final boolean live;
  private final StringBuilder pending = new StringBuilder();
  private final StringBuilder released = new StringBuilder();
  private final StringBuilder all = new StringBuilder();
  private final Set<String> rules = new LinkedHashSet<>();
  private final JsonArray findings = new JsonArray();
  private final List<String> judged = new ArrayList<>();
  private int sentences;
  private int dropped;
  private boolean stopped;
  private long guardNanos;

  /** @param release called with each passed sentence (or, guard off, each chunk) in order */
  SentenceGate(WelcomeGuard.Review review, Consumer<String> release) {
    this(review, release, true);
  }

  SentenceGate(WelcomeGuard.Review review, Consumer<String> release, boolean live) {
    this.review = review;
    this.release = release;
    this.live = live;
  }

  boolean guarded() {
    return review != null;
  }

  /** A chunk of the agent's text. */
  void accept(String delta) {
    all.append(delta);
    if (review == null) {
      released.append(delta);
      release.accept(delta);
      return;
    }
    pending.append(delta);
    drain(false);
  }

  /** The stream ended: what is left without an end mark is the last sentence. */
  void finish() {
    if (review != null) {
      drain(true);
    }
  }

  /** The text the customer has seen (and the welcome to store, unless {@link #replace()}). */
  String released() {
    return released.toString();
  }

  /** Everything the agent wrote. */
  String written() {
    return all.toString();
  }

  /**
   * The welcome must be the template: nothing passed before a problem, or (a text checked whole, nothing shown
   * yet) what passed is too little of it to stand on its own.
   */
  boolean replace() {
    if (review == null || dropped == 0) {
      return false;
    }
    String kept = released.toString().strip();
    return kept.isEmpty() || !live && kept.length() < STANDS_ALONE * all.toString().strip().length();
  }

  /** The sentences judged so far, in order (a finding's {@code sentence} indexes this list). */
  List<String> sentences() {
    return List.copyOf(judged);
  }

  long guardNanos() {
    return guardNanos;
  }

  /** The metadata's {@code guard}: {@code {result, rules, findings}} (never the dropped text: the customer can
   * read the metadata). */
  JsonObject verdict() {
    if (review == null) {
      return new JsonObject().put("result", "disabled").put("rules", new JsonArray());
    }
    String result = dropped == 0 ? "passed" : replace() ? "replaced" : "trimmed";
    return new JsonObject().put("result", result).put("rules", new JsonArray(new ArrayList<>(rules)))
        .put("sentences", sentences).put("dropped", dropped).put("findings", findings.copy());
  }

  /**
   * Checks a whole text at once (a blocking answer, or Dify's moderation replacing the answer): each sentence as in
   * the stream, released through the same sink.
   */
  void acceptWhole(String text) {
    accept(text);
    finish();
  }

  private void drain(boolean end) {
    int cut;
    while ((cut = sentenceEnd(end)) > 0) {
      String sentence = pending.substring(0, cut);
      pending.delete(0, cut);
      judge(sentence);
    }
  }

  /** Where the first whole sentence of {@code pending} ends (exclusive), or 0 when none is whole yet. */
  private int sentenceEnd(boolean end) {
    int n = pending.length();
    for (int i = 0; i < n; i++) {
      if (ENDS.indexOf(pending.charAt(i)) >= 0) {
        int j = i + 1;
        while (j < n && (ENDS.indexOf(pending.charAt(j)) >= 0 || CLOSERS.indexOf(pending.charAt(j)) >= 0)) {
          j++;
        }
        return j;
      }
    }
    if (n > MAX_SENTENCE) {
      for (int i = n - 1; i > 0; i--) {
        if (CLAUSES.indexOf(pending.charAt(i)) >= 0) {
          return i + 1;
        }
      }
      return n;
    }
    return end ? n : 0;
  }

  private void judge(String sentence) {
    if (sentence.isBlank()) {
      if (!stopped && released.length() > 0) {
        released.append(sentence);
        release.accept(sentence);
      }
      return;
    }
    int index = sentences++;
    judged.add(sentence);
    if (stopped) {
      dropped++;
      findings.add(new JsonObject().put("sentence", index).put("rule", "after_person").put("action", "dropped"));
      return;
    }
    long t0 = System.nanoTime();
    List<WelcomeGuard.Finding> found = review.check(sentence);
    guardNanos += System.nanoTime() - t0;
    if (found.isEmpty()) {
      released.append(sentence);
      release.accept(sentence);
      return;
    }
    dropped++;
    for (WelcomeGuard.Finding f : found) {
      rules.add(f.rule());
      findings.add(f.toJson().put("sentence", index).put("action", "dropped"));
      if (f.stops()) {
        stopped = true;
      }
    }
  }
}
