package com.anmeismart.server;

import com.anmeismart.server.cluster.ClusterNode;
import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.db.Database;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What every verticle is given at deployment: the configuration, the database, the meter registry that
 * {@code /metrics} scrapes, and this process as a node (its name; its cluster membership when clustered).
 * Verticles never get each other; they talk over the event bus.
 */
public record AppContext(AppConfig config, Database database, MeterRegistry metrics, ClusterNode node) {

  /** A single process named as its settings say (verticle tests). */
  public AppContext(AppConfig config, Database database, MeterRegistry metrics) {
    this(config, database, metrics, ClusterNode.single(config.cluster().nodeNameOrDefault()));
  }
}
