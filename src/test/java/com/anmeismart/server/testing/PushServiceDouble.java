package com.anmeismart.server.testing;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local push service (RFC 8030) playing the browser too: it owns the subscription's keys, and for each request it
 * checks the VAPID authorization (RFC 8292: ES256 JWT whose audience is this service's origin, port included,
 * signed by the key in {@code k}) and decrypts the aes128gcm body (RFC 8188 + RFC 8291). Paths ending in
 * {@code /gone} answer 410, like a subscription the browser dropped. JDK only.
 */
public final class PushServiceDouble implements AutoCloseable {

  /** One request, checked and decrypted; {@code problem} says what was wrong, else null; {@code at} its arrival. */
  public record Received(String path, String vapidKey, JsonObject jwtClaims, JsonObject payload, String problem,
                         java.time.Instant at) {
    Received(String path, String vapidKey, JsonObject jwtClaims, JsonObject payload, String problem) {
      this(path, vapidKey, jwtClaims, payload, problem, java.time.Instant.now());
    }
  }

  private static final Base64.Decoder B64 = Base64.getUrlDecoder();
  public final List<Received> received = new CopyOnWriteArrayList<>();
  private final HttpServer server;
  /** Requests handled side by side, as a push service does (one thread would queue a burst behind its decryption). */
  private final java.util.concurrent.ExecutorService handlers = java.util.concurrent.Executors.newFixedThreadPool(4);
  private final KeyPair ua;
  private final byte[] uaPublic;
  private final byte[] auth = new byte[16];

  public PushServiceDouble() throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(new ECGenParameterSpec("secp256r1"));
    ua = gen.generateKeyPair();
    uaPublic = point((ECPublicKey) ua.getPublic());
    new SecureRandom().nextBytes(auth);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      java.time.Instant at = java.time.Instant.now();
      byte[] body = exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      Received r = check(path, exchange.getRequestHeaders().getFirst("Authorization"),
          exchange.getRequestHeaders().getFirst("Content-Encoding"), body);
      received.add(new Received(r.path(), r.vapidKey(), r.jwtClaims(), r.payload(), r.problem(), at));
      // as a push service does (RFC 8030 §5): 201 and the push message resource's Location
      exchange.getResponseHeaders().add("Location", origin() + "/message/" + java.util.UUID.randomUUID());
      exchange.sendResponseHeaders(path.endsWith("/gone") ? 410 : 201, -1);
      exchange.close();
    });
    server.setExecutor(handlers);
    server.start();
  }

  /** What arrived on {@code path} so far. */
  public List<Received> on(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  public String origin() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The browser's PushSubscription JSON for an endpoint on this service. */
  public JsonObject subscription(String path) {
    return new JsonObject().put("endpoint", origin() + path).put("keys", new JsonObject()
        .put("p256dh", Base64.getUrlEncoder().withoutPadding().encodeToString(uaPublic))
        .put("auth", Base64.getUrlEncoder().withoutPadding().encodeToString(auth)));
  }

  private Received check(String path, String authorization, String encoding, byte[] body) {
    try {
      if (authorization == null || !authorization.startsWith("vapid ")) {
        return new Received(path, null, null, null, "no vapid authorization: " + authorization);
      }
      String t = null;
      String k = null;
      for (String part : authorization.substring(6).split(",")) {
        String[] kv = part.trim().split("=", 2);
        if (kv[0].equals("t")) {
          t = kv[1];
        } else if (kv[0].equals("k")) {
          k = kv[1];
        }
      }
      String[] jwt = t.split("\\.");
      Signature es256 = Signature.getInstance("SHA256withECDSAinP1363Format");
      es256.initVerify(publicKey(B64.decode(k)));
      es256.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
      if (!es256.verify(B64.decode(jwt[2]))) {
        return new Received(path, k, null, null, "bad VAPID signature");
      }
      JsonObject header = new JsonObject(new String(B64.decode(jwt[0]), StandardCharsets.UTF_8));
      JsonObject claims = new JsonObject(new String(B64.decode(jwt[1]), StandardCharsets.UTF_8));
      long now = System.currentTimeMillis() / 1000;
      if (!"ES256".equals(header.getString("alg")) || !origin().equals(claims.getString("aud"))
          || claims.getLong("exp") <= now || claims.getLong("exp") > now + 24 * 3600 || claims.getString("sub") == null) {
        return new Received(path, k, claims, null, "bad VAPID claims " + header + " " + claims);
      }
      if (!"aes128gcm".equals(encoding)) {
        return new Received(path, k, claims, null, "Content-Encoding " + encoding);
      }
      return new Received(path, k, claims, new JsonObject(new String(decrypt(body), StandardCharsets.UTF_8)), null);
    } catch (Exception e) {
      return new Received(path, null, null, null, e.toString());
    }
  }

  /** RFC 8291 §3.4 key derivation, then the single aes128gcm record of RFC 8188. */
  private byte[] decrypt(byte[] body) throws Exception {
    ByteBuffer in = ByteBuffer.wrap(body);
    byte[] salt = new byte[16];
    in.get(salt);
    in.getInt(); // record size: one record here
    byte[] asPublic = new byte[in.get() & 0xff];
    in.get(asPublic);
    byte[] record = new byte[in.remaining()];
    in.get(record);
    KeyAgreement ecdh = KeyAgreement.getInstance("ECDH");
    ecdh.init(ua.getPrivate());
    ecdh.doPhase(publicKey(asPublic), true);
    byte[] prkKey = hmac(auth, ecdh.generateSecret());
    byte[] ikm = hmac(prkKey, concat("WebPush: info\0".getBytes(StandardCharsets.US_ASCII), uaPublic, asPublic,
        new byte[] {1}));
    byte[] prk = hmac(salt, ikm);
    byte[] cek = Arrays.copyOf(hmac(prk, concat("Content-Encoding: aes128gcm\0".getBytes(StandardCharsets.US_ASCII),
        new byte[] {1})), 16);
    byte[] nonce = Arrays.copyOf(hmac(prk, concat("Content-Encoding: nonce\0".getBytes(StandardCharsets.US_ASCII),
        new byte[] {1})), 12);
    Cipher aes = Cipher.getInstance("AES/GCM/NoPadding");
    aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(cek, "AES"), new GCMParameterSpec(128, nonce));
    byte[] plain = aes.doFinal(record);
    int end = plain.length - 1;
    while (end >= 0 && plain[end] == 0) {
      end--;
    }
    if (end < 0 || plain[end] != 2) {
      throw new IllegalStateException("no last-record delimiter");
    }
    return Arrays.copyOf(plain, end);
  }

  private PublicKey publicKey(byte[] uncompressed) throws Exception {
    ECPoint w = new ECPoint(new BigInteger(1, Arrays.copyOfRange(uncompressed, 1, 33)),
        new BigInteger(1, Arrays.copyOfRange(uncompressed, 33, 65)));
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, ((ECPublicKey) ua.getPublic()).getParams()));
  }

  private static byte[] point(ECPublicKey key) {
    byte[] out = new byte[65];
    out[0] = 4;
    byte[] x = key.getW().getAffineX().toByteArray();
    byte[] y = key.getW().getAffineY().toByteArray();
    System.arraycopy(x, Math.max(0, x.length - 32), out, 1 + 32 - Math.min(32, x.length), Math.min(32, x.length));
    System.arraycopy(y, Math.max(0, y.length - 32), out, 33 + 32 - Math.min(32, y.length), Math.min(32, y.length));
    return out;
  }

  private static byte[] hmac(byte[] key, byte[] data) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data);
  }

  private static byte[] concat(byte[]... parts) {
    ByteBuffer b = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
    for (byte[] p : parts) {
      b.put(p);
    }
    return b.array();
  }

  @Override
  public void close() throws IOException {
    server.stop(0);
    handlers.shutdownNow();
  }
}
