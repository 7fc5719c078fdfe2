package com.anmeismart.server.accounts;

import com.anmeismart.server.AppContext;
import com.anmeismart.server.config.AppConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The first admin: created at start from {@code ADMIN_USERNAME}/{@code ADMIN_PASSWORD} when no user has that name.
 * An existing user is left alone (its password is never reset from config).
 */
public final class AdminBootstrap {

  private static final Logger LOG = LoggerFactory.getLogger(AdminBootstrap.class);

  private AdminBootstrap() {
  }

  public static Future<Void> ensure(Vertx vertx, AppContext app) {
    AppConfig config = app.config();
    if (config.adminUsername() == null) {
      return Future.succeededFuture();
    }
    UserStore users = new UserStore(app.database().pool(vertx));
    String email = config.adminEmail() != null ? config.adminEmail() : config.adminUsername() + "@anmeismart.local";
    return users.usernameExists(config.adminUsername())
        .compose(exists -> {
          if (exists) {
            return Future.succeededFuture();
          }
          PasswordHasher hasher = PasswordHasher.create(vertx, 1);
          return hasher.hash(config.adminPassword())
              .compose(hash -> users.insert(new UserStore.NewUser(config.adminUsername(), email, hash, Roles.ADMIN,
                  null, null, null, null, List.of(), null)))
              .onSuccess(u -> LOG.info("created admin account '{}'", config.adminUsername()))
              .recover(t -> t instanceof UserStore.DuplicateException
                  ? Future.succeededFuture() // created meanwhile by another process
                  : Future.failedFuture(t))
              .eventually(() -> {
                hasher.close();
                return Future.succeededFuture();
              })
              .mapEmpty();
        })
        .mapEmpty();
  }
}
