package com.anmeismart.server;

import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.db.Database;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What every verticle is given at deployment: the configuration, the database and the meter registry that
 * {@code /metrics} scrapes. Verticles never get each other; they talk over the event bus.
 */
public record AppContext(AppConfig config, Database database, MeterRegistry metrics) {
}
