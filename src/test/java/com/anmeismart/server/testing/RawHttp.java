package com.anmeismart.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * HTTP/1.1 over a plain socket, byte for byte: for requests no HTTP client library would send (a bad
 * percent-encoding, a request line of 10 KB, a broken chunk, bytes that are not UTF-8). One request per connection.
 */
public final class RawHttp {

  /** Status line, headers (lower-case names in {@link #header}) and body of one response. */
  public record Res(int status, String head, String body) {
    public String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }
  }

  private RawHttp() {
  }

  /** Sends {@code request} as is and reads one response (by Content-Length, else until the server closes). */
  public static Res exchange(int port, byte[] request) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(15_000);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      return read(socket.getInputStream());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A request from its parts: {@code head} lines without the final blank line, then the body bytes. */
  public static byte[] request(String head, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes((head + "\r\n" + (body.length > 0 ? "Content-Length: " + body.length + "\r\n" : "") + "\r\n")
        .getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(body);
    return out.toByteArray();
  }

  private static Res read(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int headEnd = -1;
    int contentLength = -1;
    while (true) {
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException e) {
        break;
      } catch (IOException e) {
        n = -1; // reset by the server after its answer: what was read stands
      }
      if (n < 0) {
        break;
      }
      all.write(buf, 0, n);
      byte[] bytes = all.toByteArray();
      if (headEnd < 0) {
        headEnd = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (headEnd >= 0) {
          String head = new String(bytes, 0, headEnd, StandardCharsets.ISO_8859_1);
          String cl = new Res(0, head, "").header("Content-Length");
          contentLength = cl == null ? -1 : Integer.parseInt(cl);
        }
      }
      if (headEnd >= 0 && contentLength >= 0 && bytes.length >= headEnd + 4 + contentLength) {
        break;
      }
    }
    byte[] bytes = all.toByteArray();
    if (headEnd < 0) {
      return new Res(-1, new String(bytes, StandardCharsets.ISO_8859_1), "");
    }
    String head = new String(bytes, 0, headEnd, StandardCharsets.ISO_8859_1);
    int end = contentLength >= 0 ? Math.min(bytes.length, headEnd + 4 + contentLength) : bytes.length;
    String body = new String(bytes, headEnd + 4, end - headEnd - 4, StandardCharsets.UTF_8);
    int status = Integer.parseInt(head.split(" ", 3)[1]);
    Res res = new Res(status, head, body);
    return "chunked".equalsIgnoreCase(res.header("Transfer-Encoding")) ? new Res(status, head, dechunk(body)) : res;
  }

  /** The body of a chunked response (read whole, until the server closed the connection). */
  private static String dechunk(String chunked) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < chunked.length()) {
      int eol = chunked.indexOf("\r\n", i);
      if (eol < 0) {
        break;
      }
      int size = Integer.parseInt(chunked.substring(i, eol).split(";")[0].trim(), 16);
      if (size == 0) {
        break;
      }
      // sizes count bytes; the bodies here (SockJS frames) are ASCII or escaped JSON
      out.append(chunked, eol + 2, Math.min(chunked.length(), eol + 2 + size));
      i = eol + 2 + size + 2;
    }
    return out.toString();
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i + pattern.length <= data.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
