package com.anmeismart.server.bench.chaos;

import com.anmeismart.server.testing.Http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bench/cluster.sh} driven from a chaos run, as an operator would drive it: {@code up}, {@code kill},
 * {@code wait}, {@code start}, {@code down}, each a process whose output goes to the run's directory and whose
 * failure fails the run. The cluster lives in {@code <run>/cluster} ({@code CLUSTER_DIR}), with its own PostgreSQL,
 * and its addresses are read from the {@code cluster.env} that {@code up} writes.
 */
final class ClusterScript implements AutoCloseable {

  private static final Pattern KILLED =
      Pattern.compile("killed \\(SIGKILL\\) node\\(s\\) .* at (\\d\\d:\\d\\d:\\d\\d\\.\\d{3})");
  private static final Pattern ASSIGNMENT = Pattern.compile("(\\w+)=(?:'([^']*)'|(\\S*))");

  private final Path dir;
  private final Map<String, String> env;
  private final Path log;
  private final Map<String, String> vars = new HashMap<>();
  private boolean up;

  /** @param env the nodes' settings (admin, secrets, …): cluster.sh passes its environment on to them */
  ClusterScript(Path runDir, Map<String, String> env) {
    this.dir = runDir.resolve("cluster");
    this.env = env;
    this.log = runDir.resolve("cluster-sh.log");
  }

  ClusterScript up(int nodes) throws IOException, InterruptedException {
    up = true;
    run("up", String.valueOf(nodes));
    for (String line : Files.readAllLines(dir.resolve("cluster.env"), StandardCharsets.UTF_8)) {
      if (line.startsWith("#")) {
        continue;
      }
      Matcher m = ASSIGNMENT.matcher(line);
      while (m.find()) {
        vars.put(m.group(1), m.group(2) != null ? m.group(2) : m.group(3));
      }
    }
    return this;
  }

  /**
   * SIGKILL to the node; returns the moment of the kill as the script printed it ({@code date -u +%T.%3N} right
   * after {@code kill -9}), not the later moment the script's process ended.
   */
  Instant kill(int node) throws IOException, InterruptedException {
    Instant before = Instant.now();
    run("kill", String.valueOf(node));
    Matcher m = KILLED.matcher(Files.readString(log, StandardCharsets.UTF_8));
    String at = null;
    while (m.find()) {
      at = m.group(1);
    }
    if (at == null) {
      return before;
    }
    Instant printed = LocalDate.now(ZoneOffset.UTC).atTime(LocalTime.parse(at)).toInstant(ZoneOffset.UTC);
    return printed.isBefore(before) ? before : printed;
  }

  void start(int node) throws IOException, InterruptedException {
    run("start", String.valueOf(node));
  }

  /** Returns once every live node sees {@code members} members. */
  void await(int members) throws IOException, InterruptedException {
    run("wait", String.valueOf(members));
  }

  List<String> baseUrls() {
    return Arrays.asList(vars.get("BASE_URLS").split(","));
  }

  Http http(int node) {
    return new Http(baseUrls().get(node - 1));
  }

  Http management(int node) {
    return new Http(vars.get("MANAGEMENT_URLS").split(",")[node - 1]);
  }

  /** The cluster's PostgreSQL for JDBC (the ledger reads it), from {@code postgresql://user@host:port/db}. */
  String jdbcUrl() {
    Matcher m = Pattern.compile("postgresql://([^@]+)@([^/]+)/(\\w+)").matcher(vars.get("PG_URL"));
    if (!m.matches()) {
      throw new IllegalStateException("unexpected PG_URL " + vars.get("PG_URL"));
    }
    return "jdbc:postgresql://" + m.group(2) + "/" + m.group(3) + "?user=" + m.group(1);
  }

  Path dir() {
    return dir;
  }

  private void run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bench/cluster.sh"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().keySet().removeIf(k -> k.endsWith("_PORT") || k.equals("PG_URL") || k.equals("DATA_DIR"));
    pb.environment().putAll(env);
    pb.environment().put("CLUSTER_DIR", dir.toString());
    int status = pb.start().waitFor();
    if (status != 0) {
      throw new IllegalStateException("bench/cluster.sh " + String.join(" ", args) + " exited with " + status
          + " (output in " + log + ")");
    }
  }

  /** {@code down}: every node stopped, then the PostgreSQL; logs stay in the run's directory. */
  @Override
  public void close() throws IOException, InterruptedException {
    if (up) {
      up = false;
      run("down");
    }
  }
}
