package dev.consulvmagent.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.consulvmagent.host.HostFs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Jinja part rendered with the instance data (what UserDataJinjaOracleTest holds against
 * cloud-init), what the agent refuses instead of rendering differently, and hostile templates and
 * instance data.
 */
class CloudInitJinjaTest {
  static final String PATH = "/etc/consul-vm-agent/agent.yaml";
  static final Path DATA = UserDataJinjaOracleTest.DATA;

  static InstanceData data() throws IOException {
    return new InstanceData(Files.readAllBytes(DATA), InstanceData.SENSITIVE);
  }

  static String render(String template) throws IOException {
    return CloudInitJinja.render("## template: jinja\n" + template, "part 1", data());
  }

  static String refusal(String template) {
    try {
      render(template);
    } catch (SpecException e) {
      assertThat(e.getMessage()).startsWith("part 1: is a Jinja template");
      return e.getMessage();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("rendered: " + template);
  }

  static String userData(String body) {
    return "## template: jinja\n#cloud-config\nwrite_files:\n  - path: "
        + PATH
        + "\n    content: |\n      "
        + body
        + "\n";
  }

  @Test
  void withoutInstanceData_refusesNamingThePartAndTheFile() {
    assertThatThrownBy(
            () ->
                UserData.extract(
                    userData("node: {{ v1.local_hostname }}").getBytes(StandardCharsets.UTF_8),
                    PATH,
                    null,
                    Optional::empty))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("part 1")
        .hasMessageContaining("Jinja template")
        .hasMessageContaining("/run/cloud-init/instance-data-sensitive.json")
        .hasMessageContaining("not there");
  }

  @Test
  void withInstanceData_rendersThenMergesAsCloudConfig() throws Exception {
    InstanceData d = data();
    byte[] got =
        UserData.extract(
            userData("node: {{ v1.local_hostname }} {{ nope }}").getBytes(StandardCharsets.UTF_8),
            PATH,
            null,
            () -> Optional.of(d));
    assertThat(new String(got, StandardCharsets.UTF_8))
        .isEqualTo("node: web-1 CI_MISSING_JINJA_VAR/nope\n");
  }

  @Test
  void instanceDataIsReadOnlyWhenAJinjaPartNeedsIt() {
    byte[] got =
        UserData.extract(
            ("#cloud-config\nwrite_files:\n  - path: " + PATH + "\n    content: x\n")
                .getBytes(StandardCharsets.UTF_8),
            PATH,
            null,
            () -> {
              throw new AssertionError("instance data read");
            });
    assertThat(got).isEqualTo("x".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void rendersAsJinja2Does() throws Exception {
    assertThat(render("{% for k in ds.meta_data.tags %}{{ k }},{% endfor %}"))
        .isEqualTo("consul-dc,consul_dc,role,");
    assertThat(render("{{ merged_cfg.manage_etc_hosts }} {{ ds.meta_data.network_config }}"))
        .isEqualTo("True None");
    assertThat(render("{% if v1.nope %}a{% elif v1.nope is undefined %}b{% endif %}\n"))
        .isEqualTo("b\n");
    assertThat(render("{{ v1['cloud-name'] }} {{ cloud_name }} {{ v1.nope | default('d') }}"))
        .isEqualTo("openstack openstack d");
    // a for loop: a string's characters, nothing for an undefined name (Jinja2's iter)
    assertThat(render("{% for c in 'ab' %}[{{ c }}]{% endfor %}{% for x in nope %}x{% endfor %}"))
        .isEqualTo("[a][b]");
    assertThat(render("{% for k, v in ds.meta_data.tags.items() %}{{ k }}={{ v }};{% endfor %}"))
        .isEqualTo("consul-dc=dc1;consul_dc=dc1;role=web;");
    assertThat(render("{{ 'abc' | join('-') }} {{ 'abc' | first }}{{ 'abc' | last }}"))
        .isEqualTo("a-b-c ac");
    // CRLF becomes LF (Jinja2's lexer); one trailing newline kept (templater.jinja_render)
    assertThat(render("a {{ region }}\r\nb\r\n")).isEqualTo("a RegionOne\nb\n");
    // renders to nothing: cloud-init ignores the part
    assertThat(render("{% if false %}x{% endif %}")).isNull();
  }

  @Test
  void refusesWhatJinjavaRendersDifferently() throws Exception {
    assertThat(refusal("{{ v1.public_ssh_keys }}")).contains("a mapping or a list as text");
    assertThat(refusal("{{ v1 }}")).contains("a mapping or a list as text");
    assertThat(refusal("{{ v1.region | md5 }}")).contains("the filter 'md5'");
    assertThat(refusal("{{ merged_cfg.manage_etc_hosts | string }}")).contains("filter 'string'");
    assertThat(refusal("{{ nope | upper }}")).contains("filter 'upper'");
    assertThat(refusal("{% if v1.region is string %}x{% endif %}")).contains("is string");
    assertThat(refusal("{{ nope.x }}")).contains("undefined variable");
    assertThat(refusal("{% if nope.x %}a{% endif %}")).contains("nope");
    assertThat(refusal("{% cycle 'a','b' %}")).contains("Jinja");
    assertThat(refusal("{{ today() }}")).contains("Jinja");
    assertThat(refusal("{% include 'x' %}")).contains("Jinja");
    assertThat(refusal("a {{- region }}")).contains("whitespace control '{{-'");
    assertThat(refusal("a {# c -#} b")).contains("whitespace control '-#}'");
    assertThat(render("a {%- if true %} b {% endif -%} c")).isEqualTo("a b c");
  }

  @Test
  void hostileTemplates_refusedNamingThePart() {
    assertThat(refusal("{% if %}x{% endif %}")).contains("spelled");
    assertThat(refusal("{% if x %}x")).contains("syntax");
    assertThat(refusal("{% for x in true %}x{% endfor %}")).contains("for loop over");
    assertThat(refusal("{% for x in v1 recursive %}x{% endfor %}")).contains("for loop other");
    assertThat(refusal("{% else /%}")).contains("more than its name");
    assertThat(refusal("{% )endfor %}")).contains("a tag Jinja2");
    assertThat(refusal("{% if v1.region is} defined %}x{% endif %}")).contains("brackets");
    assertThat(refusal("{{ (v1.region }}")).contains("unbalanced");
    assertThat(refusal("{% raw %} endraw {{ x }}")).contains("Jinja");
    assertThat(refusal("{{ v1.region | upperx | length }}")).contains("the filter 'upperx'");
    assertThat(refusal("{{ v1.region || 'x' }}")).contains("the filter '|'");
    assertThat(refusal("{% if v1.region is nothing %}x{% endif %}")).contains("is nothing");
    assertThat(refusal("{% if foo(1) %}x{% endif %}")).contains("'foo()'");
    assertThat(refusal("{{ v1.region.upper() }}")).contains("'upper()'");
    // a review found these ran as Java method calls (String.repeat: 100 MB from one expression)
    assertThat(refusal("{{ v1.region['toUpperCase']() }}")).contains("a call of a subscript");
    assertThat(refusal("{{ ('x'['repeat'](100000000))['length']() }}")).contains("a call of a");
    assertThat(refusal("{% do 'x'['repeat'](20000000) %}")).contains("Jinja");
    assertThat(refusal("{{ v1.region ['concat'] ('X') }}")).contains("a call of a subscript");
    assertThat(refusal("{{ (v1.region)() }}")).contains("a call of a subscript");
    assertThat(refusal("{{ 'r1'() }}")).contains("a call of a subscript");
    assertThat(refusal("{% set d*c = 1 %}")).contains("'{% set' spelled");
    assertThat(refusal("{% set d.c = 1 %}")).contains("'{% set' spelled");
    assertThat(refusal("{{ -v1.region }}")).contains("arithmetic");
    assertThat(refusal("{{ 4 / 2 }}")).contains("arithmetic");
    assertThat(refusal("{% macro m %}{% endmacro %}")).contains("'{% macro' spelled");
    assertThat(refusal("{{ unclosed")).contains("Jinja");
    assertThat(refusal("{% for i in range(1000000000) %}{% endfor %}")).contains("range()");
    assertThat(
            refusal(
                "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"))
        .contains("steps");
    assertThat(
            refusal(
                "{% set s = '"
                    + "x".repeat(1000)
                    + "' %}{% for i in range(100000) %}{{ s }}{% endfor %}"))
        .contains("output too big");
    assertThat(refusal("{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}")).contains("Jinja");
  }

  @Test
  void malformedInstanceData_refusedWithoutItsContent() {
    InstanceData bad =
        new InstanceData(
            "{\"v1\": {\"secret\": s3cr3t-token-value}}".getBytes(StandardCharsets.UTF_8),
            InstanceData.SENSITIVE);
    assertThatThrownBy(() -> CloudInitJinja.render("## template: jinja\n{{ v1 }}", "part 1", bad))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("part 1")
        .hasMessageContaining("is not JSON (line 1")
        .hasMessageNotContaining("s3cr3t");
    InstanceData many =
        new InstanceData(
            ("{\"a\": [" + "1,".repeat(CloudInitJinja.MAX_VALUES) + "1]}")
                .getBytes(StandardCharsets.UTF_8),
            "f");
    assertThatThrownBy(() -> CloudInitJinja.render("## template: jinja\nx", "part 1", many))
        .hasMessageContaining("more than 200000 JSON values");
    InstanceData list = new InstanceData("[1]".getBytes(StandardCharsets.UTF_8), "f");
    assertThatThrownBy(() -> CloudInitJinja.render("## template: jinja\nx", "part 1", list))
        .hasMessageContaining("not a JSON object");
  }

  @Test
  void secretValuesAreNotPrintedInRefusals() {
    InstanceData d =
        new InstanceData(
            "{\"v1\": {\"token\": \"s3cr3t\", \"n\": 1.5e30}}".getBytes(StandardCharsets.UTF_8),
            InstanceData.SENSITIVE);
    for (String t :
        new String[] {
          "{{ v1.token | md5 }}", "{{ v1.token.x.y }}", "{{ v1.n }}", "{{ v1.token(1) }}"
        }) {
      assertThatThrownBy(() -> CloudInitJinja.render("## template: jinja\n" + t, "part 1", d))
          .isInstanceOf(SpecException.class)
          .hasMessageNotContaining("s3cr3t");
    }
  }

  @Test
  void read_prefersTheSensitiveFile_fallsBackToTheRedacted_capsTheSize(@TempDir Path root)
      throws Exception {
    HostFs fs = new HostFs(root, true);
    assertThat(InstanceData.read(fs)).isEmpty();
    Path run = Files.createDirectories(root.resolve("run/cloud-init"));
    Files.writeString(run.resolve("instance-data.json"), "{\"a\": 1}");
    assertThat(InstanceData.read(fs).orElseThrow().file()).isEqualTo(InstanceData.REDACTED);
    Files.writeString(run.resolve("instance-data-sensitive.json"), "{\"a\": 2}");
    assertThat(InstanceData.read(fs).orElseThrow().file()).isEqualTo(InstanceData.SENSITIVE);
    Files.write(run.resolve("instance-data-sensitive.json"), new byte[InstanceData.MAX_BYTES + 1]);
    assertThatThrownBy(() -> InstanceData.read(fs))
        .isInstanceOf(SpecException.class)
        .hasMessageContaining("larger than 4 MiB");
  }
}
