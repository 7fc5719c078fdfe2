package com.anmeismart.server.notify;

import com.anmeismart.server.security.SecretBox;
import com.zerodeplibs.webpush.EncryptedPushMessage;
import com.zerodeplibs.webpush.MessageEncryption;
import com.zerodeplibs.webpush.MessageEncryptions;
import com.zerodeplibs.webpush.PushMessage;
import com.zerodeplibs.webpush.UserAgentMessageEncryptionKeyInfo;
import com.zerodeplibs.webpush.VAPIDKeyPair;
import com.zerodeplibs.webpush.VAPIDKeyPairs;
import com.zerodeplibs.webpush.jwt.VAPIDJWTParam;
import com.zerodeplibs.webpush.key.PrivateKeySources;
import com.zerodeplibs.webpush.key.PublicKeySources;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.net.URI;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Sends Web Push messages (RFC 8030) with the zerodep library's low-level calls: aes128gcm payload encryption
 * (RFC 8291) and a VAPID authorization (RFC 8292, ES256, audience = the push service's origin with its port),
 * computed on a small worker pool because it is elliptic-curve work; the HTTP request goes out through a Vert.x 5
 * WebClient (the library's own Vert.x helper targets Vert.x 4). The key pair is generated on the first start and
 * kept in PostgreSQL (private key sealed with {@code SECRETS_KEY}), so every node signs with the same key.
 */
final class WebPush {

  private static final Logger LOG = LoggerFactory.getLogger(WebPush.class);
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  /** How long a push service should keep trying to reach a browser that is offline. */
  private static final long TTL_SECONDS = 24 * 3600;

  /** What the push service said. */
  enum Outcome { ACCEPTED, GONE, REJECTED, ERROR }

  /**
   * A send's outcome, with the push service's HTTP status (0 without an answer) and, when accepted, the message's
   * {@code Location} (RFC 8030 §5: the push message resource, the provider's id of it).
   */
  record Result(Outcome outcome, int status, String location) {
  }

  private record Prepared(byte[] body, String contentEncoding, String authorization) {
  }

  /** A VAPID authorization for one push service origin, and when to make a new one. */
  private record Vapid(String header, long renewAtMillis) {
  }

  /** How long a VAPID JWT is valid (RFC 8292: at most 24 h), and how long one is reused before a new one is signed. */
  private static final int VAPID_HOURS = 12;
  private static final long VAPID_REUSE_MS = TimeUnit.HOURS.toMillis(VAPID_HOURS - 1);

  /** Null when the stored private key can't be decrypted: push is off (logged at start). */
  private final VAPIDKeyPair keyPair;
  private final String publicKey;
  private final String subject;
  /**
   * One per crypto thread: the library's MessageEncryption objects are NOT thread-safe (its javadoc), and the pool
   * runs two at once; a shared one produced bodies push services can't decrypt (tag mismatch) as soon as two pushes
   * were encrypted together (bench/ladder.sh: 8 of 300). The VAPID key pair is thread-safe with the library's default
   * JWT generator (its signatures verified in every one of those runs).
   */
  private static final ThreadLocal<MessageEncryption> ENCRYPTION = ThreadLocal.withInitial(MessageEncryptions::of);
  private final WorkerExecutor crypto;
  /**
   * The JWT depends only on the push service's origin (its audience), so one is signed per origin and reused for
   * most of its life, as RFC 8292 §2 allows: a burst of pushes (the alert ladder at 1,000 consultants) then costs one
   * ES256 signature per push service, not one per message.
   */
  private final Map<String, Vapid> vapid = new ConcurrentHashMap<>();
  private final WebClient client;
  private final int timeoutMs;

  private WebPush(Vertx vertx, VAPIDKeyPair keyPair, String publicKey, String subject, int timeoutMs) {
    this.keyPair = keyPair;
    this.publicKey = publicKey;
    this.subject = subject;
    this.timeoutMs = timeoutMs;
    this.crypto = vertx.createSharedWorkerExecutor("web-push-crypto", 2);
    this.client = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(timeoutMs)
        .setIdleTimeout(60).setUserAgent("anmeismart-server"));
  }

  /** Loads the stored key pair, or generates and stores one (the first node to store it wins). */
  static Future<WebPush> start(Vertx vertx, PushStore store, SecretBox box, String subject, int timeoutMs) {
    return store.keys()
        .compose(found -> found.isPresent() ? Future.succeededFuture(found.get())
            : vertx.executeBlocking(() -> generate(box)).compose(store::keepFirst))
        .compose(keys -> vertx.executeBlocking(() -> {
          String pkcs8;
          try {
            pkcs8 = box.decrypt(keys.privateKeySealed());
          } catch (IllegalArgumentException e) {
            // Another SECRETS_KEY sealed it (a node configured differently, or the key was changed). Regenerating
            // would invalidate every browser's subscription, so keep the data, run without push, and say so.
            LOG.error("Web Push is OFF: the stored VAPID private key can't be decrypted with this SECRETS_KEY; "
                + "start with the SECRETS_KEY that sealed it (or delete push_vapid_keys and push_subscriptions)");
            return new WebPush(vertx, null, keys.publicKey(), subject, timeoutMs);
          }
          VAPIDKeyPair pair = VAPIDKeyPairs.of(PrivateKeySources.ofPKCS8Bytes(Base64.getDecoder().decode(pkcs8)),
              PublicKeySources.ofUncompressedBytes(Base64.getUrlDecoder().decode(keys.publicKey())));
          return new WebPush(vertx, pair, keys.publicKey(), subject, timeoutMs);
        }));
  }

  private static PushStore.StoredKeys generate(SecretBox box) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = gen.generateKeyPair();
    ECPublicKey pub = (ECPublicKey) pair.getPublic();
    byte[] point = new byte[65];
    point[0] = 4;
    copyFixed(pub.getW().getAffineX(), point, 1);
    copyFixed(pub.getW().getAffineY(), point, 33);
    LOG.info("generated the VAPID key pair for Web Push");
    return new PushStore.StoredKeys(B64URL.encodeToString(point),
        box.encrypt(Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded())));
  }

  /** A coordinate as exactly 32 big-endian bytes (BigInteger adds a sign byte or drops leading zeros). */
  private static void copyFixed(BigInteger v, byte[] out, int at) {
    byte[] b = v.toByteArray();
    int n = Math.min(b.length, 32);
    System.arraycopy(b, b.length - n, out, at + 32 - n, n);
  }

  /** base64url of the uncompressed P-256 public key: the page's {@code applicationServerKey}. */
  String publicKey() {
    return publicKey;
  }

  /** Encrypts {@code payload} for the subscription and posts it to its push service. */
  Future<Result> send(PushStore.Subscription sub, JsonObject payload) {
    if (keyPair == null) {
      return Future.succeededFuture(new Result(Outcome.ERROR, 0, null));
    }
    return crypto.executeBlocking(() -> {
          EncryptedPushMessage message = ENCRYPTION.get().encrypt(UserAgentMessageEncryptionKeyInfo.of(sub.p256dh(),
              sub.auth()), PushMessage.ofUTF8(payload.encode()));
          return new Prepared(message.toBytes(), message.contentEncoding(), authorization(sub.endpoint()));
        }, false)
        .compose(p -> client.postAbs(sub.endpoint())
            .putHeader("Authorization", p.authorization())
            .putHeader("Content-Encoding", p.contentEncoding())
            .putHeader("Content-Type", "application/octet-stream")
            .putHeader("TTL", Long.toString(TTL_SECONDS))
            .putHeader("Urgency", "high")
            .timeout(timeoutMs)
            .sendBuffer(Buffer.buffer(p.body())))
        .map(res -> {
          int status = res.statusCode();
          if (status >= 200 && status < 300) {
            return new Result(Outcome.ACCEPTED, status, res.getHeader("Location"));
          }
          LOG.warn("push service answered {} for subscription {}", status, sub.id());
          return new Result(status == 404 || status == 410 ? Outcome.GONE : Outcome.REJECTED, status, null);
        })
        .recover(t -> {
          LOG.warn("Web Push to subscription {} failed: {}", sub.id(), t.getMessage());
          return Future.succeededFuture(new Result(Outcome.ERROR, 0, null));
        });
  }

  /** The VAPID header for the endpoint's push service: reused while it has more than an hour left. */
  private String authorization(String endpoint) {
    URI uri = URI.create(endpoint);
    String origin = uri.getScheme() + "://" + uri.getRawAuthority();
    long now = System.currentTimeMillis();
    Vapid current = vapid.get(origin);
    if (current == null || now >= current.renewAtMillis()) {
      current = new Vapid(keyPair.generateAuthorizationHeaderValue(VAPIDJWTParam.getBuilder()
          .resourceURLString(endpoint).expiresAfter(VAPID_HOURS, TimeUnit.HOURS).subject(subject).build()),
          now + VAPID_REUSE_MS);
      vapid.put(origin, current);
    }
    return current.header();
  }

  Future<Void> close() {
    client.close();
    return crypto.close();
  }
}
