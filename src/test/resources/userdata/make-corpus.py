#!/usr/bin/python3
"""Writes the user-data corpus (corpus/*) that UserDataOracleTest compares against cloud-init.

Each case is a realistic user-data shape taken from cloud-init's docs, doc/examples and unit
tests (canonical/cloud-init, cited per case in corpus/SOURCES.md), rewritten so that it carries
the agent's write_files entry. Deterministic: gzip members carry mtime 0. Run it from this
directory; the Vagrant cases come from vagrant-mime.rb (the real Vagrant::Util::Mime).
"""
import base64, gzip, io, os

P = "/etc/consul-vm-agent/agent.yaml"
C = "consul:\n  role: server\n  datacenter: dc1\n"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def gz(b):
    o = io.BytesIO()
    with gzip.GzipFile(fileobj=o, mode="wb", mtime=0) as g:
        g.write(b)
    return o.getvalue()


def b64(b, width=76):
    s = base64.b64encode(b).decode()
    return "\n".join(s[i:i + width] for i in range(0, len(s), width))


def entry(extra="", content=C, path=P):
    body = "".join("      " + l + "\n" for l in content.splitlines())
    return f"  - path: {path}\n{extra}    content: |\n{body}"


def mime(parts, boundary="===============2389165605550749110==", top="MIME-Version: 1.0\n", nl="\n"):
    s = f'Content-Type: multipart/mixed; boundary="{boundary}"\n{top}\n'
    for headers, body in parts:
        s += f"--{boundary}\n{headers}\n\n{body}\n"
    s += f"--{boundary}--\n"
    return s.replace("\n", nl)


CC = "#cloud-config\nwrite_files:\n" + entry()
OTHER = "#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: hello\n"
cases = {}
cases["plain.yaml"] = CC + "runcmd:\n  - [systemctl, start, consul-vm-agent-apply.service]\n"
cases["leading-blank-line.yaml"] = "\n" + CC
cases["leading-spaces.yaml"] = "   \n  " + CC
cases["capitalised-header.yaml"] = CC.replace("#cloud-config", "#Cloud-Config", 1)
cases["header-suffix.yaml"] = CC.replace("#cloud-config", "#cloud-configuration", 1)
cases["no-header.yaml"] = CC.replace("#cloud-config\n", "", 1)
cases["shell-script.sh"] = "#!/bin/sh\ncat > " + P + " <<'EOF'\n" + C + "EOF\n"
cases["empty.txt"] = ""
cases["gzip-whole.gz"] = gz(CC.encode())
cases["gzip-whole-mime.gz"] = gz(mime([("Content-Type: text/cloud-config", CC)]).encode())
cases["archive.yaml"] = (
    "#cloud-config-archive\n- type: foo/wark\n  filename: bar\n  content: |\n    This is my payload\n"
    "    hello\n- this is also payload\n- |\n  multi line payload\n  here\n- type: text/cloud-config\n"
    "  content: |\n" + "".join("    " + l + "\n" for l in CC.splitlines()))
cases["archive-untyped.yaml"] = (
    "#cloud-config-archive\n- content: |\n" + "".join("    " + l + "\n" for l in CC.splitlines())
    + "- content: |\n    #!/bin/sh\n    echo hi\n")
cases["archive-merge-header.yaml"] = (
    "#cloud-config-archive\n- content: |\n" + "".join("    " + l + "\n" for l in CC.splitlines())
    + "- content: |\n" + "".join("    " + l + "\n" for l in OTHER.splitlines())
    + "  Merge-Type: 'list(append)+dict(recurse_list,no_replace)+str()'\n")
cases["jsonp.mime"] = mime([
    ("Content-Type: text/cloud-config", "#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: hi\n"),
    ("Content-Type: text/cloud-config-jsonp",
     '#cloud-config-jsonp\n[{"op": "add", "path": "/write_files/-", "value": {"path": "' + P
     + '", "content": "consul:\\n  role: client\\n"}}]'),
])
cases["jsonp-replace.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config-jsonp",
     '#cloud-config-jsonp\n[{"op": "replace", "path": "/write_files/0/content", "value": "x: 1\\n"}]'),
])
cases["make-mime-base64.mime"] = mime([
    ('Content-Type: text/cloud-boothook; charset="us-ascii"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="boothook.sh"',
     b64(b"#!/bin/sh\necho boothook\n")),
    ('Content-Type: text/cloud-config; charset="us-ascii"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="config.yaml"',
     b64(CC.encode())),
])
cases["mime-7bit-no-header-line.mime"] = mime([
    ('Content-Type: text/cloud-config; charset="us-ascii"\nContent-Transfer-Encoding: 7bit', CC.replace("#cloud-config\n", "")),
])
cases["mime-unpadded-base64.mime"] = mime([
    ("Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64",
     base64.b64encode((CC + "#x").encode()).decode().rstrip("=")),
])
qp = CC.replace("datacenter: dc1", "datacenter: dc1  # a long comment line that a quoted-printable encoder folds at seventy-six characters")
def qp_encode(s):
    import quopri
    return quopri.encodestring(s.encode()).decode()
cases["mime-quoted-printable.mime"] = mime([
    ("Content-Type: text/cloud-config\nContent-Transfer-Encoding: quoted-printable", qp_encode(qp)),
])
cases["mime-no-mime-version.mime"] = mime([("Content-Type: text/cloud-config", CC)], top="")
cases["mime-version-late.mime"] = "X-Note: built by hand\nContent-ID: <a@b>\n" + mime([("Content-Type: text/cloud-config", CC)])
cases["mime-crlf.mime"] = mime([("Content-Type: text/cloud-config", CC)], nl="\r\n")
cases["mime-text-plain.mime"] = mime([("Content-Type: text/plain", CC)])
cases["mime-shellscript-is-cloud-config.mime"] = mime([("Content-Type: text/x-shellscript", CC)])
cases["mime-octet-stream.mime"] = mime([("Content-Type: application/octet-stream", CC)])
cases["mime-gzip-part.mime"] = mime([
    ("Content-Type: application/x-gzip\nContent-Transfer-Encoding: base64", b64(gz(CC.encode()))),
])
cases["mime-gzip-in-cloud-config-part.mime"] = mime([
    ("Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64", b64(gz(CC.encode()))),
])
cases["mime-nested.mime"] = mime([
    ('Content-Type: multipart/mixed; boundary="inner"',
     "--inner\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho hi\n--inner\nContent-Type: text/cloud-config\n\n" + CC + "--inner--"),
])
cases["mime-shell-and-config.mime"] = mime([
    ("Content-Type: text/x-shellscript", "#!/bin/sh\necho hi"),
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/part-handler", "#part-handler\ndef list_types():\n    return ['text/x-mine']\ndef handle_part(data, ctype, filename, payload):\n    pass\n"),
])
cases["merge-default-replaces.mime"] = mime([
    ("Content-Type: text/cloud-config", CC), ("Content-Type: text/cloud-config", OTHER)])
cases["merge-default-later-wins.mime"] = mime([
    ("Content-Type: text/cloud-config", OTHER), ("Content-Type: text/cloud-config", CC)])
cases["merge-header.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config\nMerge-Type: list(append)+dict(recurse_array)+str()", OTHER)])
cases["merge-header-lowercase.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config\nmerge-type: list(append)+dict(recurse_array)+str()", OTHER)])
cases["merge-x-header.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config\nX-Merge-Type: list(append)+dict(recurse_array)+str()", OTHER)])
cases["merge-how-list.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config", OTHER + "merge_how:\n  - name: list\n    settings: [append]\n  - name: dict\n    settings: [no_replace, recurse_list]\n")])
cases["merge-type-key.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config", OTHER + "merge_type: 'list(append)+dict(recurse_list)+str()'\n")])
cases["merge-prepend-append-content.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config", "#cloud-config\nmerge_how: 'list(extend)+dict(recurse_list,recurse_str,recurse_dict)+str(append)'\nwrite_files:\n  - content: '  tls: true\\n'\n")])
cases["defer-wins.yaml"] = ("#cloud-config\nwrite_files:\n" + entry("    defer: true\n")
                            + entry(content="consul:\n  role: client\n"))
cases["defer-string.yaml"] = ("#cloud-config\nwrite_files:\n" + entry("    defer: 'yes'\n")
                              + entry(content="consul:\n  role: client\n"))
cases["append-truthy.yaml"] = ("#cloud-config\nwrite_files:\n" + entry() + entry("    append: 'On'\n", content="  ui: true\n")
                               + entry("    append: ' 1 '\n", content="  x: 1\n") + entry("    append: 'y'\n", content="  y: 2\n"))
cases["append-after-later-replace.yaml"] = ("#cloud-config\nwrite_files:\n" + entry() + entry("    append: true\n", content="  ui: true\n")
                                            + entry(content="consul: {role: client}\n"))
cases["append-deferred.yaml"] = ("#cloud-config\nwrite_files:\n" + entry("    append: true\n    defer: true\n", content="  ui: true\n") + entry())
cases["same-path-twice.yaml"] = "#cloud-config\nwrite_files:\n" + entry() + entry(content="consul: {role: client}\n")
cases["path-normalised.yaml"] = "#cloud-config\nwrite_files:\n" + entry(path="//etc/consul-vm-agent/../consul-vm-agent/./agent.yaml")
cases["path-relative.yaml"] = "#cloud-config\nwrite_files:\n" + entry(path="etc/consul-vm-agent/agent.yaml")
cases["empty-content.yaml"] = "#cloud-config\nwrite_files:\n  - path: " + P + "\n    permissions: '0600'\n"
cases["content-int.yaml"] = "#cloud-config\nwrite_files:\n  - path: " + P + "\n    content: 1234\n"
cases["content-null.yaml"] = "#cloud-config\nwrite_files:\n  - path: " + P + "\n    content:\n"
for name, enc, data in [
    ("enc-b64.yaml", "b64", b64(C.encode())), ("enc-base64.yaml", "base64", b64(C.encode())),
    ("enc-B64-upper.yaml", "B64", b64(C.encode())), ("enc-gz-b64.yaml", "gz+b64", b64(gz(C.encode()))),
    ("enc-gzip-base64.yaml", "GZIP+BASE64", b64(gz(C.encode()))), ("enc-gz+base64.yaml", "gz+base64", b64(gz(C.encode()))),
    ("enc-gzip-b64.yaml", " gzip+b64 ", b64(gz(C.encode()))),
    ("enc-b64-unpadded.yaml", "b64", base64.b64encode((C + "#x").encode()).decode().rstrip("=")),
    ("enc-b64-junk.yaml", "b64", base64.b64encode(C.encode()).decode()[:8] + "*&" + base64.b64encode(C.encode()).decode()[8:]),
    ("enc-text-plain.yaml", "text/plain", "'" + C.replace("\n", "\n\n") + "'"),
    ("enc-unknown.yaml", "base32", "'" + C.replace("\n", "\n\n") + "'"),
]:
    body = data if not "\n" in data else "|\n" + "".join("      " + l + "\n" for l in data.splitlines())
    cases[name] = f"#cloud-config\nwrite_files:\n  - path: {P}\n    encoding: '{enc}'\n    content: {body}\n"
cases["enc-binary-gzip.yaml"] = (f"#cloud-config\nwrite_files:\n  - path: {P}\n    encoding: gzip\n    content: !!binary |\n"
                                 + "".join("      " + l + "\n" for l in b64(gz(C.encode())).splitlines()))
cases["enc-gz.yaml"] = (f"#cloud-config\nwrite_files:\n  - path: {P}\n    encoding: gz\n    content: !!binary |\n"
                        + "".join("      " + l + "\n" for l in b64(gz(C.encode())).splitlines()))
cases["enc-binary-plain.yaml"] = (f"#cloud-config\nwrite_files:\n  - path: {P}\n    content: !!binary |\n"
                                  + "".join("      " + l + "\n" for l in b64(C.encode()).splitlines()))
cases["enc-bad-base64.yaml"] = f"#cloud-config\nwrite_files:\n  - path: {P}\n    encoding: b64\n    content: 'Y29uc3VsOg=x'\n"
cases["enc-bad-gzip.yaml"] = f"#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: hi\n  - path: {P}\n    encoding: gz+b64\n    content: '{base64.b64encode(C.encode()).decode()}'\n"
cases["owner-unknown-earlier.yaml"] = ("#cloud-config\nwrite_files:\n  - path: /etc/nginx/conf.d/site.conf\n    owner: 'nginx:nginx'\n    content: x\n" + entry())
cases["owner-unknown-earlier-deferred-ours.yaml"] = ("#cloud-config\nwrite_files:\n  - path: /etc/nginx/conf.d/site.conf\n    owner: 'nginx:nginx'\n    content: x\n" + entry("    defer: true\n"))
cases["owner-unknown-earlier-deferred.yaml"] = ("#cloud-config\nwrite_files:\n  - path: /etc/nginx/conf.d/site.conf\n    owner: 'nginx:nginx'\n    defer: true\n    content: x\n" + entry())
cases["owner-unknown-later.yaml"] = ("#cloud-config\nwrite_files:\n" + entry() + "  - path: /etc/nginx/conf.d/site.conf\n    owner: 'nginx:nginx'\n    content: x\n")
cases["owner-unknown-ours.yaml"] = "#cloud-config\nwrite_files:\n" + entry("    owner: 'consul:consul'\n")
cases["owner-known.yaml"] = "#cloud-config\nwrite_files:\n" + entry("    owner: 'root:root'\n") + "  - path: /srv/x\n    owner: 'nobody:nogroup'\n    content: x\n"
cases["owner-none.yaml"] = "#cloud-config\nwrite_files:\n  - path: /x\n    owner: 'None:-1'\n    content: x\n" + entry()
cases["owner-not-string.yaml"] = "#cloud-config\nwrite_files:\n  - path: /x\n    owner: 0\n    content: x\n" + entry()
cases["entry-without-path.yaml"] = "#cloud-config\nwrite_files:\n  - content: x\n" + entry()
cases["entry-not-mapping.yaml"] = "#cloud-config\nwrite_files:\n  - /etc/motd\n" + entry()
cases["permissions-odd.yaml"] = "#cloud-config\nwrite_files:\n  - path: /x\n    permissions: 'u+x'\n    content: x\n" + entry("    permissions: 0600\n")
cases["source-uri.yaml"] = "#cloud-config\nwrite_files:\n" + entry("    source:\n      uri: https://config.example.com/agent.yaml\n")
cases["source-uri-other.yaml"] = "#cloud-config\nwrite_files:\n  - path: /etc/motd\n    source:\n      uri: https://example.com/motd\n    content: hi\n" + entry()
cases["jinja.yaml"] = "## template: jinja\n#cloud-config\nwrite_files:\n" + entry(content="consul:\n  role: server\n  node_name: {{ v1.local_hostname }}\n")
cases["jinja-shell-part.mime"] = mime([
    ("Content-Type: text/jinja2", "## template: jinja\n#!/bin/sh\necho {{ v1.instance_id }}"),
    ("Content-Type: text/cloud-config", CC)])
cases["include.txt"] = "#include\nhttps://config.example.com/user-data.yaml\n"
cases["include-and-config.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/x-include-url", "https://config.example.com/more.yaml")])
cases["duplicate-keys-unrelated.yaml"] = CC + "runcmd:\n  - [echo, one]\nruncmd:\n  - [echo, two]\n"
cases["duplicate-write-files.yaml"] = OTHER + "write_files:\n" + entry()
cases["merge-keys-unrelated.yaml"] = ("#cloud-config\nx-defaults: &d\n  owner: 'root:root'\n  permissions: '0644'\nwrite_files:\n"
                                       "  - <<: *d\n    path: /etc/motd\n    content: hi\n" + entry())
cases["merge-key-our-entry.yaml"] = ("#cloud-config\nx-defaults: &d\n  owner: 'root:root'\n  permissions: '0600'\nwrite_files:\n"
                                      "  - <<: *d\n    " + entry()[4:])
cases["yaml-tags-unrelated.yaml"] = (CC + "x-set: !!set {a, b}\nx-omap: !!omap [{a: 1}]\nx-when: 2024-01-02T03:04:05Z\n"
                                     "x-float: !!float 1\nx-bin: !!binary aGk=\n")
cases["python-tag.yaml"] = CC + "x: !!python/object/apply:os.system ['true']\n"
cases["non-ascii-7bit-part.mime"] = mime([("Content-Type: text/cloud-config", CC.replace("dc1", "dc1 # café"))])
cases["non-ascii-yaml.yaml"] = CC.replace("dc1", "dc1 # café ☕")
cases["not-utf8.yaml"] = CC.encode() + b"# \xff\xfe\n"
cases["launch-index.yaml"] = CC + "launch-index: 0\n"
cases["write-files-not-list.yaml"] = "#cloud-config\nwrite_files:\n  path: " + P + "\n  content: x\n"
cases["cloud-config-list.yaml"] = "#cloud-config\n- write_files\n"
cases["cloud-config-bad-yaml.yaml"] = CC + "runcmd: [unclosed\n"
cases["two-documents.yaml"] = CC + "---\nruncmd: []\n"

# --- MIME as mail software writes it, and Python's email package reads it ---
cases["mime-uppercase-headers.mime"] = mime([("CONTENT-TYPE: TEXT/Cloud-Config\nCONTENT-TRANSFER-ENCODING: BASE64", b64(CC.encode()))])
cases["mime-cte-trailing-space.mime"] = mime([("Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64  ", b64(CC.encode()))])
cases["mime-folded-content-type.mime"] = (
    "MIME-Version: 1.0\nContent-Type: multipart/mixed;\n\tboundary=\"==B==\"\n\npreamble text\n--==B==\n"
    "Content-Type: text/cloud-config;\n charset=\"utf-8\"\n\n" + CC + "\n--==B==--\nepilogue\n")
cases["mime-unquoted-boundary.mime"] = mime([("Content-Type: text/cloud-config", CC)]).replace('boundary="===============2389165605550749110=="', "boundary=simple").replace("===============2389165605550749110==", "simple")
cases["mime-part-without-headers.mime"] = mime([("", CC)]).replace("--\n\n\n#cloud", "--\n\n#cloud")
cases["mime-two-content-types.mime"] = mime([("Content-Type: text/cloud-config\nContent-Type: text/x-shellscript", CC)])
cases["mime-repeated-merge-type.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config\nMerge-Type: dict(replace)+list()+str()\nMerge-Type: list(append)+dict(recurse_list)+str()", OTHER)])
cases["mime-merge-type-mixed-case.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config\nMerge-Type: List(Append) + Dict(Recurse-List) + Str()", OTHER)])
cases["mime-message-rfc822.mime"] = mime([("Content-Type: message/rfc822", "Content-Type: text/cloud-config\n\n" + CC)])
cases["mime-leading-blank-line.mime"] = "\n" + mime([("Content-Type: text/cloud-config", CC)])
cases["cloud-config-mentions-mime-version.yaml"] = CC + "# MIME-Version: 1.0 is a header of the MIME form\n"
cases["mime-base64-non-ascii.mime"] = mime([("Content-Type: text/cloud-config\nContent-Transfer-Encoding: base64", b64(CC.replace("dc1", "dc1 # café").encode()))])
cases["mime-gzip-part-non-ascii.mime"] = mime([("Content-Type: application/x-gzip\nContent-Transfer-Encoding: base64", b64(gz(CC.replace("dc1", "dc1 # café").encode())))])
cases["mime-8bit-utf8-config-in-content.mime"] = mime([("Content-Type: text/cloud-config\nContent-Transfer-Encoding: 8bit", CC.replace("role: server", "role: server # ☕"))])
cases["mime-boundary-in-content.mime"] = mime([("Content-Type: text/cloud-config", CC.replace("dc1", "dc1 # --===============2389165605550749110== is not at a line start"))])
cases["mime-no-closing-boundary.mime"] = mime([("Content-Type: text/cloud-config", CC)]).replace("--===============2389165605550749110==--\n", "")
# --- JSON patches ---
cases["jsonp-ops.mime"] = mime([
    ("Content-Type: text/cloud-config", OTHER + "x: {a: 1}\n"),
    ("Content-Type: text/cloud-config-jsonp",
     '[{"op": "copy", "from": "/write_files/0", "path": "/write_files/-"},'
     ' {"op": "replace", "path": "/write_files/1/path", "value": "' + P + '"},'
     ' {"op": "test", "path": "/x/a", "value": 1},'
     ' {"op": "move", "from": "/x", "path": "/y"},'
     ' {"op": "remove", "path": "/write_files/0"}]')])
cases["jsonp-failing-op.mime"] = mime([
    ("Content-Type: text/cloud-config", OTHER),
    ("Content-Type: text/cloud-config-jsonp",
     '#cloud-config-jsonp\n[{"op": "add", "path": "/write_files/-", "value": {"path": "' + P + '", "content": "a"}},'
     ' {"op": "remove", "path": "/nonexistent"}]')])
cases["jsonp-first.mime"] = mime([
    ("Content-Type: text/cloud-config-jsonp",
     '[{"op": "add", "path": "/write_files", "value": [{"path": "' + P + '", "content": "a"}]}]'),
    ("Content-Type: text/cloud-config", "#cloud-config\nruncmd: [ls]\nmerge_how: 'dict(recurse_array)+list(append)'\n")])
# --- mergers, as merging.rst spells them ---
cases["merge-settings-string.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config", OTHER + "merge_how:\n  - name: list\n    settings: append\n  - name: dict\n    settings: no_replace\n")])
cases["merge-list-form-tuples.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config", OTHER + "merge_how:\n  - [list, append]\n  - [dict, recurse_list]\n")])
cases["merge-only-list-merger.mime"] = mime([
    ("Content-Type: text/cloud-config", OTHER),
    ("Content-Type: text/cloud-config", CC + "merge_how: 'list(append)'\n")])
cases["merge-str-append.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config", "#cloud-config\nmerge_how: 'dict(no_replace,recurse_list,recurse_str)+list(recurse_dict,recurse_str)+str(append)'\nwrite_files:\n  - content: '  ui: true\\n'\n")])
cases["merge-allow-delete.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config", "#cloud-config\nmerge_how: 'dict(allow_delete,no_replace)+list()+str()'\nwrite_files:\n")])
cases["merge-bad-merger-skips-part.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config", OTHER + "merge_how: 'tuple(append)'\n")])
cases["merge-how-null-merge-type.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config", OTHER + "merge_how:\nmerge_type: 'list(append)+dict(recurse_list)+str()'\n")])
# --- YAML 1.1 values in write_files ---
for name, v in [("yaml-content-yes", "yes"), ("yaml-content-hex", "0x1F"), ("yaml-content-sexagesimal", "1:20"),
                ("yaml-content-date", "2024-01-02"), ("yaml-content-float", "1.5e3"), ("yaml-content-quoted-yes", "'yes'")]:
    cases[name + ".yaml"] = f"#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: {v}\n" + entry()
    cases[name + "-ours.yaml"] = f"#cloud-config\nwrite_files:\n  - path: {P}\n    content: {v}\n"
cases["path-ancestor-written.yaml"] = "#cloud-config\nwrite_files:\n  - path: /etc/consul-vm-agent\n    content: x\n" + entry()
cases["path-root-written.yaml"] = "#cloud-config\nwrite_files:\n  - path: /\n    content: x\n" + entry()
cases["path-root-written-after.yaml"] = "#cloud-config\nwrite_files:\n" + entry() + "  - path: //\n    content: x\n"
cases["path-below-written.yaml"] = "#cloud-config\nwrite_files:\n  - path: " + P + "/x\n    content: x\n" + entry()
cases["path-int.yaml"] = "#cloud-config\nwrite_files:\n  - path: 5\n    content: x\n" + entry()
cases["append-only.yaml"] = "#cloud-config\nwrite_files:\n" + entry("    append: true\n")
cases["append-across-parts.mime"] = mime([
    ("Content-Type: text/cloud-config", CC),
    ("Content-Type: text/cloud-config\nMerge-Type: list(append)+dict(recurse_list)+str()", "#cloud-config\nwrite_files:\n" + entry("    append: true\n", content="  ui: true\n"))])
cases["archive-with-jsonp-and-headers.yaml"] = (
    "#cloud-config-archive\n- type: text/cloud-config\n  content: |\n" + "".join("    " + l + "\n" for l in OTHER.splitlines())
    + "- type: text/cloud-config-jsonp\n  content: '[{\"op\": \"add\", \"path\": \"/write_files/-\", \"value\": {\"path\": \"" + P + "\", \"content\": \"b\"}}]'\n")
cases["archive-binary-content.yaml"] = ("#cloud-config-archive\n- type: text/cloud-config\n  content: !!binary |\n"
                                         + "".join("    " + l + "\n" for l in b64(CC.encode()).splitlines()))

cases["bom.yaml"] = "\ufeff" + CC
cases["crlf.yaml"] = CC.replace("\n", "\r\n")
cases["mime-single-part.mime"] = "MIME-Version: 1.0\nContent-Type: text/cloud-config\nContent-Transfer-Encoding: base64\n\n" + b64(CC.encode()) + "\n"
cases["mime-part-no-blank-line.mime"] = mime([("Content-Type: text/cloud-config", CC)]).replace("Content-Type: text/cloud-config\n\n", "")
cases["mime-jinja-cloud-config.mime"] = mime([("Content-Type: text/cloud-config", OTHER), ("Content-Type: text/jinja2", "## template: jinja\n#cloud-config\nruncmd: [echo {{ v1.instance_id }}]")])
cases["content-null-other.yaml"] = "#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content:\n" + entry()
cases["source-no-content-other.yaml"] = "#cloud-config\nwrite_files:\n  - path: /etc/motd\n    source: {uri: 'https://example.com/motd'}\n" + entry()

# Content-Types Python's email parser reads otherwise than mime4j (CPython Lib/email/message.py
# get_content_type, feedparser._parsegen): two '/' make text/plain, not a multipart to split
cases["mime-type-two-slashes.mime"] = mime([("Content-Type: text/cloud-config", CC)]).replace("multipart/mixed;", "multipart/mix{{ 7 / 2 }}ed;", 1)
cases["mime-type-space-before-slash.mime"] = mime([("Content-Type: text/cloud-config", CC)]).replace("multipart/mixed;", "multipart /mixed;", 1)
cases["mime-part-type-two-slashes.mime"] = mime([("Content-Type: multipart/a/b; boundary=\"IN\"", "--IN\nContent-Type: text/cloud-config\n\n" + CC + "\n--IN--")])
cases["mime-multipart-no-subtype.mime"] = mime([("Content-Type: text/cloud-config", CC)]).replace("multipart/mixed;", "multipart/;", 1)
cases["mime-rfc2231-boundary.mime"] = mime([("Content-Type: text/cloud-config", CC)], boundary="XY").replace('boundary="XY"', 'boundary*0="X"; boundary*1="Y"', 1)
cases["mime-boundary-line-in-config.mime"] = (
    'Content-Type: text/cloud-config; boundary="B"\nMIME-Version: 1.0\n\n#cloud-config\nx: &a "a\n--B\nzz"\n'
    "write_files:\n  - path: " + P + "\n    content: *a\n")
# message/rfc822 parts: cloud-init attaches the part and the parts in it, and handlers.walk walks
# both, so every part inside comes once more per enclosing message/rfc822
APPEND = "#cloud-config\nmerge_how: list(append)+dict(recurse_array)+str()\nwrite_files:\n" + entry("    append: true\n", content="%s\n")
cases["mime-message-rfc822-append.mime"] = mime([("Content-Type: message/rfc822", "Content-Type: text/cloud-config\n\n" + APPEND % "a")])
cases["mime-message-rfc822-no-headers.mime"] = mime([("Content-Type: message/rfc822", APPEND % "a")])
cases["mime-message-rfc822-no-blank-line.mime"] = mime([("Content-Type: message/rfc822", APPEND % "a")]).replace("message/rfc822\n\n", "message/rfc822\n", 1)
cases["mime-message-rfc822-nested.mime"] = mime([
    ("Content-Type: text/cloud-config", APPEND % "first"),
    ("Content-Type: message/rfc822", "Content-Type: message/rfc822\n\nContent-Type: text/plain\n\n" + APPEND % "deep"),
    ("Content-Type: text/cloud-config", APPEND % "last")])
cases["mime-message-rfc822-multipart.mime"] = mime([
    ("Content-Type: message/rfc822", 'Content-Type: multipart/mixed; boundary="IN"\n\n--IN\nContent-Type: text/plain\n\n' + APPEND % "one"
     + "\n--IN\nContent-Type: application/x-gzip\nContent-Transfer-Encoding: base64\n\n" + b64(gz((APPEND % "gz").encode()))
     + "\n--IN\nContent-Type: text/cloud-config-archive\n\n- content: |\n" + "".join("    " + l + "\n" for l in (APPEND % "arch").splitlines())
     + "--IN--"),
    ("Content-Type: text/cloud-config", APPEND % "last")])
cases["mime-message-other.mime"] = mime([("Content-Type: message/partial", "Content-Type: text/cloud-config\n\n" + CC)])
cases["mime-message-rfc822-top.mime"] = "Content-Type: message/rfc822\nMIME-Version: 1.0\n\nContent-Type: text/cloud-config\n\n" + CC
cases["mime-digest-untyped-part.mime"] = mime([("Content-Type: multipart/digest; boundary=\"D\"", "--D\n\nContent-Type: text/cloud-config\n\n" + CC + "\n--D--")])

# a part that runs to the end of the user-data (no closing boundary) loses its last line end, as
# one before a boundary does (feedparser._parsegen strips it from the part however it ended)
NOCLOSE = mime([("Content-Type: text/cloud-config", CC.rstrip("\n"))]).replace("\n--===============2389165605550749110==--\n", "\n")
cases["mime-no-closing-boundary-one-line-end.mime"] = NOCLOSE
cases["mime-no-closing-boundary-crlf.mime"] = NOCLOSE.replace("\n", "\r\n")
cases["mime-no-closing-boundary-nested.mime"] = NOCLOSE.replace("Content-Type: text/cloud-config\n\n", 'Content-Type: multipart/mixed; boundary="IN"\n\n--IN\nContent-Type: text/cloud-config\n\n', 1)
cases["mime-no-closing-boundary-rfc822.mime"] = NOCLOSE.replace("Content-Type: text/cloud-config\n\n", "Content-Type: message/rfc822\n\nContent-Type: text/cloud-config\n\n", 1)
cases["mime-closing-boundary-at-end.mime"] = mime([("Content-Type: text/cloud-config", CC.rstrip("\n"))]).rstrip("\n")

# timestamps PyYAML constructs as datetime.date/datetime (ValueError for what does not exist)
for name, v in [("day-0", "2024-01-0T03:04:05Z"), ("feb-29-2023", "2023-02-29"), ("feb-29-2024", "2024-02-29"),
                ("feb-29-2100", "2100-02-29"), ("month-13", "2024-13-01"), ("year-0", "0000-01-01"),
                ("hour-24", "2024-1-31 24:00:00"), ("second-60", "2024-1-31 23:59:60"),
                ("offset-23-59", "2024-1-31 23:59:59 +23:59"), ("offset-24", "2024-1-31 23:59:59 -24:00")]:
    cases["yaml-timestamp-" + name + ".yaml"] = CC + "x-when: " + v + "\ny-when: !!timestamp " + v + "\n"

# #cloud-config-jsonp as python-jsonpatch reads it (json.loads, object_pairs_hook=multidict)
JP = '#cloud-config-jsonp\n[{"op": "add", "path": "/write_files", "value": [{"path": "' + P + '", "content": "a"%s}]}]\n'
cases["jsonp-trailing-data.txt"] = JP % "" + "--not-json\n"
cases["jsonp-repeated-key.txt"] = JP % ', "content": "b"'
cases["jsonp-repeated-op.txt"] = JP.replace('[{"op": "add", "path"', '[{"op": "add", "op": "add", "path"', 1) % ""
cases["jsonp-long-int.txt"] = JP % (', "x": ' + "9" * 4301)
cases["jsonp-int-4300-digits.txt"] = JP % (', "x": -' + "9" * 4300)

cases["tab-separator.yaml"] = CC.replace("runcmd", "runcmd") + "runcmd:\t[ls]\n"
cases["tab-in-content.yaml"] = "#cloud-config\nwrite_files:\n" + entry(content="consul:\n  role: server # a\ttab in a comment\n") + "x: 'a\tb'\n"

for name, data in cases.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
print(len(cases), "cases")
