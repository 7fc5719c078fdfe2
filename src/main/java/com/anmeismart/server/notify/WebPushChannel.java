package com.anmeismart.server.notify;

import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.List;

/**
 * Web Push as an offline channel: the row's payload to every subscription of the consultant (each browser they
 * turned it on in). Sent when any push service accepted it; a subscription the push service says is gone
 * (404/410) is dropped; a timeout, 429 or 5xx may pass, so the row is retried.
 */
final class WebPushChannel implements OfflineChannel {

  static final String NAME = "web_push";

  private final WebPush push;
  private final PushStore subscriptions;
  private final Inbox inbox;
  private final NotifyMetrics metrics;

  WebPushChannel(WebPush push, PushStore subscriptions, Inbox inbox, NotifyMetrics metrics) {
    this.push = push;
    this.subscriptions = subscriptions;
    this.inbox = inbox;
    this.metrics = metrics;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<Outcome> send(OfflineSends.Due due) {
    return subscriptions.ofUsers(List.of(due.consultantId())).compose(subs -> {
      if (subs.isEmpty()) {
        return Future.succeededFuture(Outcome.failed("no_subscription"));
      }
      List<Future<WebPush.Result>> sends = new ArrayList<>(subs.size());
      for (PushStore.Subscription sub : subs) {
        sends.add(push.send(sub, due.payload()).compose(r -> (switch (r.outcome()) {
          case ACCEPTED -> subscriptions.succeeded(sub.id());
          case GONE -> {
            metrics.pushFailure("gone");
            yield subscriptions.drop(sub.id());
          }
          case REJECTED, ERROR -> {
            metrics.pushFailure(r.outcome() == WebPush.Outcome.REJECTED ? "rejected" : "error");
            yield subscriptions.failed(sub.id());
          }
        }).map(r)));
      }
      return Future.join(sends).transform(ar -> {
        String location = null;
        boolean accepted = false;
        boolean retryable = false;
        String error = null;
        for (Future<WebPush.Result> f : sends) {
          WebPush.Result r = f.result();
          if (r == null) {
            retryable = true;
            error = "error";
          } else if (r.outcome() == WebPush.Outcome.ACCEPTED) {
            accepted = true;
            location = location == null ? r.location() : location;
          } else if (r.outcome() != WebPush.Outcome.GONE) {
            retryable |= r.status() == 0 || r.status() == 429 || r.status() >= 500;
            error = r.status() == 0 ? "no answer from the push service" : "push service answered " + r.status();
          } else if (error == null) {
            error = "gone";
          }
        }
        if (accepted) {
          metrics.sent("push", 1);
          String id = location;
          return (due.notificationId() == null ? Future.<Void>succeededFuture()
              : inbox.markPushed(List.of(due.notificationId()))).map(v -> Outcome.sent(id));
        }
        return Future.succeededFuture(retryable ? Outcome.retry(error) : Outcome.failed(error));
      });
    });
  }
}
