# Build: the fat jar. Node 20 (as the README requires: the build runs `npm ci` for the pages' two browser
# libraries) from the official Node image, with Debian's JDK 17 and Maven 3.8.7 (the pom pins every plugin for it).
FROM node:20-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# dependencies in their own layer, refreshed only when the pom changes
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q -DskipTests package

# Run: a JRE, a non-root user, PostgreSQL from PG_URL (the embedded one is for development).
FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 --create-home --home-dir /app anmei \
 && mkdir -p /app/data /app/conf && chown -R anmei /app
WORKDIR /app
COPY --from=build /src/target/anmeismart-server.jar /app/anmeismart-server.jar
# An example only: the container is configured by env (PG_URL, JWT_SECRET, SECRETS_KEY, ADMIN_*); the development
# conf/config.json (with its development admin password) is deliberately not copied.
COPY conf/production.json /app/conf/production.example.json
USER 10001
ENV DATA_DIR=/app/data LOG_FORMAT=json
VOLUME /app/data
# API + pages + bridge, MCP, management (health, readiness, metrics). The local agent (LOCAL_AGENT_PORT, 8001)
# listens on the container's loopback only, for the server itself: not exposed.
EXPOSE 8080 8000 9090
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/anmeismart-server.jar"]
