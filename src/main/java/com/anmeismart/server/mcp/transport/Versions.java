package com.anmeismart.server.mcp.transport;

import io.modelcontextprotocol.spec.ProtocolVersions;

import java.util.List;

/** The MCP protocol revisions this server speaks, in both eras. */
public final class Versions {

  /** The stateless revision (no initialize, no session); the SDK 2.1.0 does not know it, our seam serves it. */
  public static final String STATELESS = "2026-07-28";
  /** The handshake-era revisions the SDK negotiates (it echoes the client's when it is one of these). */
  public static final List<String> HANDSHAKE = List.of(ProtocolVersions.MCP_2024_11_05,
      ProtocolVersions.MCP_2025_03_26, ProtocolVersions.MCP_2025_06_18, ProtocolVersions.MCP_2025_11_25);
  /** Every revision served on {@code /mcp}, newest first (what {@code server/discover} lists). */
  public static final List<String> ALL = List.of(STATELESS, ProtocolVersions.MCP_2025_11_25,
      ProtocolVersions.MCP_2025_06_18, ProtocolVersions.MCP_2025_03_26, ProtocolVersions.MCP_2024_11_05);

  private Versions() {
  }

  /**
   * Whether a revision has tool output schemas and {@code structuredContent} (introduced in 2025-06-18). Revisions
   * are dates, so they compare as text; an unknown (null) revision gets neither field.
   */
  public static boolean hasStructuredOutput(String version) {
    return version != null && version.compareTo(ProtocolVersions.MCP_2025_06_18) >= 0;
  }

  /**
   * Whether a revision is of the stateless era. 2026-07-28 ("Versioning", terminology): "Modern: protocol versions
   * that convey version, identity, and capabilities as per-request metadata (revision 2026-07-28 and later)".
   * Any other text that is not a handshake-era date counts as modern too, so an unknown future revision is answered
   * the modern way (UnsupportedProtocolVersion) rather than as a broken handshake-era request.
   */
  public static boolean isStateless(String version) {
    return version != null && !HANDSHAKE.contains(version) && version.compareTo(STATELESS) >= 0;
  }
}
