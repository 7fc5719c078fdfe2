package com.anmeismart.server.dify;

/**
 * Why a Dify call did not give an answer, classified the way {@code reference/dify.md} §5b says to treat it:
 * which failures may be retried (the request never reached Dify, or Dify refused it before starting) and which
 * count against the config's circuit breaker (Dify unavailable) rather than being configuration errors.
 */
public final class DifyException extends RuntimeException {

  /** What went wrong. */
  public enum Kind {
    /** no connection: the request never reached Dify */
    CONNECT,
    /** a non-2xx status before any stream */
    HTTP,
    /** an {@code error} event in the stream (HTTP stayed 200) */
    STREAM_ERROR,
    /** the stream ended or broke without {@code message_end} */
    NO_TERMINAL,
    /** nothing arrived for the config's timeout (not even a ping) */
    IDLE_TIMEOUT,
    /** the answer was not the expected content type or JSON */
    PROTOCOL
  }

  private final Kind kind;
  private final int status;
  private final String code;

  public DifyException(Kind kind, int status, String code, String message) {
    super(message, null, false, false);
    this.kind = kind;
    this.status = status;
    this.code = code;
  }

  public Kind kind() {
    return kind;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** Safe to send again: the request never reached Dify, or Dify said "busy" before creating anything. */
  public boolean retryable() {
    return kind == Kind.CONNECT
        || (kind == Kind.HTTP && (status >= 500 || (status == 429 && !"rate_limit_error".equals(code))));
  }

  /** Dify (or the way to it) is unwell: counts toward opening the breaker. 4xx are our configuration's fault. */
  public boolean unavailable() {
    return switch (kind) {
      case CONNECT, NO_TERMINAL, IDLE_TIMEOUT, PROTOCOL -> true;
      case HTTP -> status >= 500 || status == 429;
      case STREAM_ERROR -> status >= 500;
    };
  }

  /** A short reason for the welcome's metadata, e.g. {@code http_401:unauthorized}. */
  public String reason() {
    return switch (kind) {
      case CONNECT -> "connect_error";
      case HTTP -> "http_" + status + (code == null ? "" : ":" + code);
      case STREAM_ERROR -> "error_event:" + code;
      case NO_TERMINAL -> "no_terminal_event";
      case IDLE_TIMEOUT -> "stream_stalled";
      case PROTOCOL -> "bad_response";
    };
  }
}
