package com.anmeismart.server.automation;

import com.anmeismart.server.accounts.UserStore;
import com.anmeismart.server.bus.WelcomeResult;
import com.anmeismart.server.testing.Db;
import com.anmeismart.server.testing.OneVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The steps' statements write into other contexts' tables (the conversation, the welcome message) through those
 * owners' fragments; each is guarded by the job's lease, so a step run by an engine that lost its lease writes
 * nothing anywhere, not only nothing on the job.
 */
@ExtendWith(VertxExtension.class)
class JobStoreLeaseTest {

  OneVerticle env;
  Db db;
  Pool pool;
  JobStore store;
  /** Claims need the claimer's own instance lock held (a process that lost it must not hand out work). */
  int instance;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    env = OneVerticle.create(null);
    db = env.db();
    pool = env.context.database().pool(vertx);
    store = new JobStore(pool);
    instance = await(env.context.database().instanceLock(vertx)).number();
  }

  @AfterEach
  void close() {
    env.close();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private ClaimedJob claimOne(String username) throws Exception {
    await(new UserStore(pool).insertCustomerWithJob(new UserStore.NewUser(username, username + "@example.com", "h",
        "customer", null, null, null, null, List.of(), null)));
    List<ClaimedJob> jobs = await(store.claim("test-engine", instance, 60, 1));
    assertThat(jobs).hasSize(1);
    return jobs.get(0);
  }

  private void stealLease(ClaimedJob job) throws Exception {
    await(pool.preparedQuery("UPDATE automation_jobs SET lease_token = gen_random_uuid() WHERE id = $1")
        .execute(Tuple.of(job.id())));
  }

  @Test
  void theConversationIsNotCreatedWithoutTheLease() throws Exception {
    ClaimedJob job = claimOne("lease_conv");
    stealLease(job);
    assertThat(await(store.createConversation(job, "安美智能助手", "general_ai_assistant", "安美智能助手", 0))).isEmpty();
    assertThat(db.count("SELECT count(*) FROM conversations")).isZero();
    assertThat(db.count("SELECT count(*) FROM automation_job_steps")).isZero();
  }

  @Test
  void theWelcomeIsNotStoredWithoutTheLease() throws Exception {
    ClaimedJob job = claimOne("lease_msg");
    JobStore.Conversation conv = await(store.createConversation(job, "t", "a", "n", 0)).orElseThrow();
    ClaimedJob withConversation = job.withConversation(conv.id());
    stealLease(job);
    WelcomeResult welcome = WelcomeResult.fallback("欢迎", 1, "test");
    assertThat(await(store.sendWelcome(withConversation, welcome.content(), welcome.metadata(), 0))).isEmpty();
    assertThat(db.count("SELECT count(*) FROM messages")).isZero();
  }

  @Test
  void withTheLeaseTheWelcomeIsStoredAndReturnedWhole() throws Exception {
    ClaimedJob job = claimOne("lease_ok");
    ClaimedJob withConversation = job.withConversation(await(store.createConversation(job, "t", "a", "n", 0))
        .orElseThrow().id());
    JsonObject metadata = new JsonObject().put("source", "fallback");
    JobStore.SentWelcome first = await(store.sendWelcome(withConversation, "欢迎", metadata, 0)).orElseThrow();
    assertThat(first.inserted()).isTrue();
    assertThat(first.message().seq()).isPositive();
    assertThat(first.message().content()).isEqualTo("欢迎");
    assertThat(first.message().metadata()).isEqualTo(metadata);
    assertThat(first.message().senderType()).isEqualTo("ai");
    assertThat(db.count("SELECT count(*) FROM messages")).isEqualTo(1);
  }
}
