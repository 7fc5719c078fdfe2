package com.anmeismart.server.ops;

import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.List;

/**
 * Ids as fields of the log lines written inside a try-with-resources block: {@code job_id}, {@code user_id},
 * {@code conversation_id}, {@code request_id}. They go to the MDC for that block only — on an event loop the MDC
 * must never outlive the line, since the thread runs other requests' callbacks next — so the JSON log format
 * carries them in its {@code mdc} object; the text format keeps its message as it was.
 */
public final class LogFields implements AutoCloseable {

  private final List<String> keys = new ArrayList<>(4);

  private LogFields() {
  }

  /** Key/value pairs; null values are left out. */
  public static LogFields of(Object... keyValues) {
    LogFields fields = new LogFields();
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      if (keyValues[i + 1] != null) {
        String key = keyValues[i].toString();
        MDC.put(key, keyValues[i + 1].toString());
        fields.keys.add(key);
      }
    }
    return fields;
  }

  @Override
  public void close() {
    keys.forEach(MDC::remove);
  }
}
