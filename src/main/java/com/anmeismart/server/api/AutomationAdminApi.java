package com.anmeismart.server.api;

import com.anmeismart.server.automation.JobStore;
import com.anmeismart.server.bus.Addresses;
import com.anmeismart.server.settings.AutomationSettings;
import com.anmeismart.server.settings.SettingsStore;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.UUID;

/** {@code /admin/registration-automation}: settings, jobs, manual retry. */
final class AutomationAdminApi {

  private static final JsonBodies SETTINGS = JsonBodies.schema("automation-settings");
  private static final JsonBodies RETRY = JsonBodies.schema("jobs-retry");
  private static final Set<String> STATUSES = Set.of("pending", "running", "failed", "dead", "succeeded", "skipped");
  private static final Set<String> STEPS = Set.of("conversation_created", "welcome_generated", "welcome_sent",
      "consultants_notified");
  /** Jobs per statement of a batch retry. */
  static final int RETRY_BATCH = 500;

  private final SettingsStore settings;
  private final JobStore jobs;
  private final EventBus bus;

  AutomationAdminApi(SettingsStore settings, JobStore jobs, EventBus bus) {
    this.settings = settings;
    this.jobs = jobs;
    this.bus = bus;
  }

  /**
   * GET …/settings → the settings in force, and {@code stored_document}: whether the stored document is valid, its
   * errors (field → message) and, when invalid, the stored value as it is. An invalid document (written by SQL, an
   * older version…) is still read: each invalid field shows the value in force (the default), and a PUT repairs it.
   */
  void getSettings(RoutingContext ctx) {
    settings.automationDocument(AutomationSettings.DEFAULTS)
        .onSuccess(doc -> Responses.json(ctx, 200, doc.settings().toJson().put("stored_document", doc.storedJson())))
        .onFailure(ctx::fail);
  }

  /**
   * PUT …/settings → the new settings. The body may name any subset of the fields: they replace the values in force
   * ({@code notifications} switch by switch); the rest stay. Stored with an audit row, announced to the engines,
   * which apply them to their next job. Unknown fields are ignored.
   */
  void putSettings(RoutingContext ctx) {
    JsonObject body = SETTINGS.validBody(ctx);
    settings.updateAutomation(body, Access.actor(ctx))
        .onSuccess(saved -> Responses.json(ctx, 200, saved.settings().toJson().put("stored_document",
            new JsonObject().put("valid", true).put("errors", new JsonObject())
                .put("updated_at", saved.updatedAt() == null ? null : saved.updatedAt().toString()))))
        .onFailure(t -> ctx.fail(t instanceof SettingsStore.InvalidSettingsException e
            ? ApiException.invalid(SETTINGS.fieldErrors(e.fields())) : t));
  }

  /**
   * GET …/jobs?status=&step=&error_contains=&from=&to=&limit=&offset= → newest activity first; {@code step} is the
   * step a job last failed at, {@code from}/{@code to} bound its last change (ISO-8601 instants).
   */
  void listJobs(RoutingContext ctx) {
    JobStore.Filter filter = new JobStore.Filter(Params.oneOf(ctx, "status", STATUSES),
        Params.oneOf(ctx, "step", STEPS), Params.text(ctx, "error_contains", 200), Params.instant(ctx, "from"),
        Params.instant(ctx, "to"));
    int limit = Params.integer(ctx, "limit", 50, 1, 200);
    int offset = Params.integer(ctx, "offset", 0, 0, 1_000_000);
    jobs.list(filter, limit, offset).onSuccess(page -> Responses.json(ctx, 200, page)).onFailure(ctx::fail);
  }

  /**
   * POST …/jobs/retry {status?, step?, error_contains?, from?, to?} → {retried: n}: every failed or dead job the
   * filter matches is due again now, in batches of {@value #RETRY_BATCH}; running and finished jobs never are.
   */
  void retryJobs(RoutingContext ctx) {
    JsonObject body = RETRY.validBody(ctx);
    JobStore.Filter filter = new JobStore.Filter(body.getString("status"), body.getString("step"),
        body.getString("error_contains"), instant(body, "from"), instant(body, "to"));
    jobs.retryMatching(filter, RETRY_BATCH, Access.actor(ctx))
        .onSuccess(n -> {
          if (n > 0) {
            bus.publish(Addresses.AUTOMATION_WAKE, null);
          }
          Responses.json(ctx, 200, new JsonObject().put("retried", n));
        })
        .onFailure(ctx::fail);
  }

  /** The schema checked the date-time format; anything java.time still can't read is a 400 too, never a 500. */
  private static Instant instant(JsonObject body, String field) {
    String iso = body.getString(field);
    try {
      return iso == null ? null : OffsetDateTime.parse(iso).toInstant();
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(field, "must be an ISO-8601 instant, e.g. 2026-12-01T00:00:00Z",
          "须为带时区的 ISO-8601 时间，例如 2026-12-01T00:00:00Z");
    }
  }

  /** GET …/jobs/{id} → the job and its step log. */
  void getJob(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    jobs.get(id).onSuccess(job -> {
      if (job.isEmpty()) {
        ctx.fail(ApiException.notFound("Job"));
      } else {
        Responses.json(ctx, 200, job.get());
      }
    }).onFailure(ctx::fail);
  }

  /** POST …/jobs/{id}/retry → 202 and the job, due now; 409 unless it is failed or dead. */
  void retryJob(RoutingContext ctx) {
    UUID id = Params.uuid(ctx, "id");
    jobs.retry(id, Access.actor(ctx))
        .compose(retried -> jobs.get(id).map(job -> {
          if (job.isEmpty()) {
            throw ApiException.notFound("Job");
          }
          if (!retried) {
            throw ApiException.conflict("job_not_retryable", "Only failed or dead jobs can be retried (this one is "
                + job.get().getString("status") + ")", new JsonObject().put("status", job.get().getString("status")));
          }
          bus.publish(Addresses.AUTOMATION_WAKE, null);
          return job.get();
        }))
        .onSuccess(job -> Responses.json(ctx, 202, job))
        .onFailure(ctx::fail);
  }
}
