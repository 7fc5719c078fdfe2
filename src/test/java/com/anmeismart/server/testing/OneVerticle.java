package com.anmeismart.server.testing;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.config.AppConfig;
import com.anmeismart.server.db.Database;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/**
 * What a test of one verticle deploys it with: a fresh migrated database of its own on the test PostgreSQL, a
 * configuration (the test servers' defaults plus {@code extra}), and its own meter registry, readable by the test.
 */
public final class OneVerticle implements AutoCloseable {

  public final String pgUrl;
  public final AppContext context;

  private OneVerticle(String pgUrl, AppContext context) {
    this.pgUrl = pgUrl;
    this.context = context;
  }

  public static OneVerticle create(JsonObject extra) {
    try {
      String pgUrl = TestPg.newDatabase();
      JsonObject conf = TestApp.defaults(Files.createTempDirectory("anmei-one-verticle")).put("PG_URL", pgUrl);
      if (extra != null) {
        conf.mergeIn(extra);
      }
      AppConfig config = AppConfig.from(conf);
      Database database = Database.open(config);
      database.migrate();
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      return new OneVerticle(pgUrl, new AppContext(config, database, registry));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public SimpleMeterRegistry registry() {
    return (SimpleMeterRegistry) context.metrics();
  }

  public Db db() {
    return new Db(pgUrl);
  }

  @Override
  public void close() {
    context.database().close();
  }
}
