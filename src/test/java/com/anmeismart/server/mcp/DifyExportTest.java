package com.anmeismart.server.mcp;

import com.anmeismart.server.mcp.tools.ToolDef;
import com.anmeismart.server.mcp.tools.Tools;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Dify app exports in {@code conf/dify/} stay true to this server: the current DSL version with its dependencies
 * block, the inputs the gateway sends, the MCP tools and the arguments they take, and (chatflow) the output variables
 * Dify makes from the tool's output schema.
 */
class DifyExportTest {

  private static final List<String> GATEWAY_INPUTS = List.of("user_id", "context_token", "username", "full_name",
      "interests", "source");
  private final Map<String, ToolDef> tools = Tools.all(null, null, null, java.time.ZoneId.of("Asia/Shanghai")).stream()
      .collect(Collectors.toMap(ToolDef::name, d -> d));

  @SuppressWarnings("unchecked")
  private static Map<String, Object> load(String file) {
    return new YAMLMapper().readValue(Path.of("conf", "dify", file).toFile(), Map.class);
  }

  @SuppressWarnings("unchecked")
  private static void dslHeader(Map<String, Object> dsl, String mode) {
    assertThat(dsl.get("version")).isEqualTo("0.6.0");
    assertThat(dsl.get("kind")).isEqualTo("app");
    assertThat(((Map<String, Object>) dsl.get("app")).get("mode")).isEqualTo(mode);
    List<Map<String, Object>> deps = (List<Map<String, Object>>) dsl.get("dependencies");
    assertThat(deps).isNotEmpty().allSatisfy(d -> {
      assertThat(d.get("type")).isEqualTo("marketplace");
      assertThat(((Map<String, Object>) d.get("value")).get("marketplace_plugin_unique_identifier").toString())
          .matches("[a-z0-9_-]+/[a-z0-9_-]+:[0-9.]+@[0-9a-f]{64}");
    });
  }

  private void toolArguments(String tool, Map<?, ?> params) {
    JsonObject input = tools.get(tool).inputSchema().getJsonObject("properties");
    assertThat(params.keySet()).as(tool).allSatisfy(name -> assertThat(input.containsKey((String) name))
        .as(tool + " takes " + name).isTrue());
  }

  @Test
  @SuppressWarnings("unchecked")
  void theAgentAppExportIsCurrentAndUsesRealTools() {
    Map<String, Object> dsl = load("welcome-agent.yml");
    dslHeader(dsl, "agent-chat");
    Map<String, Object> config = (Map<String, Object>) dsl.get("model_config");
    List<Map<String, Object>> used = (List<Map<String, Object>>) ((Map<String, Object>) config.get("agent_mode"))
        .get("tools");
    assertThat(used).extracting(t -> t.get("tool_name")).containsExactly("get_user_profile", "service_info");
    used.forEach(t -> {
      assertThat(t.get("provider_type")).isEqualTo("mcp");
      toolArguments((String) t.get("tool_name"), (Map<?, ?>) t.get("tool_parameters"));
    });
    List<Map<String, Map<String, Object>>> form = (List<Map<String, Map<String, Object>>>) config.get(
        "user_input_form");
    assertThat(form.stream().map(f -> f.values().iterator().next().get("variable")))
        .containsExactlyElementsOf(GATEWAY_INPUTS);
  }

  @Test
  @SuppressWarnings("unchecked")
  void theChatflowReadsTheProfileThroughItsOutputSchemaVariables() {
    Map<String, Object> dsl = load("welcome-chatflow.yml");
    dslHeader(dsl, "advanced-chat");
    List<Map<String, Object>> nodes = (List<Map<String, Object>>) ((Map<String, Object>) ((Map<String, Object>)
        dsl.get("workflow")).get("graph")).get("nodes");
    Map<String, Map<String, Object>> byId = nodes.stream().collect(Collectors.toMap(n -> (String) n.get("id"),
        n -> (Map<String, Object>) n.get("data")));
    assertThat(((List<Map<String, Object>>) byId.get("start").get("variables")).stream().map(v -> v.get("variable")))
        .containsExactlyElementsOf(GATEWAY_INPUTS);
    Map<String, Object> profile = byId.get("profile");
    assertThat(profile.get("provider_type")).isEqualTo("mcp");
    assertThat(profile.get("tool_name")).isEqualTo("get_user_profile");
    toolArguments("get_user_profile", (Map<?, ?>) profile.get("tool_parameters"));

    // every {{#profile.x#}} the prompt reads is a property of the tool's output schema (a Dify variable)
    String prompt = byId.get("welcome").get("prompt_template").toString();
    JsonObject outputs = tools.get("get_user_profile").outputSchema().getJsonObject("properties");
    Matcher m = Pattern.compile("\\{\\{#profile\\.([a-z_]+)#}}").matcher(prompt);
    int read = 0;
    while (m.find()) {
      read++;
      assertThat(outputs.containsKey(m.group(1))).as("output variable " + m.group(1)).isTrue();
    }
    assertThat(read).isGreaterThanOrEqualTo(4);
    assertThat(byId.get("answer").get("answer")).isEqualTo("{{#welcome.text#}}");
  }
}
