#!/usr/bin/python3
"""cloud-init's own code as the oracle for consul-vm-agent's --user-data reader (a test double
of nothing: it runs the real library).

Usage: oracle.py TARGET_PATH USER_DATA_FILE... [--users a,b] [--groups a,b] [--instance-data F]
Prints one JSON object a line per file: {"file", "version", "outcome": "written"|"nothing",
"content_b64", "log"}.

It drives cloud-init the way its unit tests do (tests/unittests/test_data.py,
tests/unittests/config/test_cc_write_files.py): UserDataProcessor.process on the raw bytes, the
default part handlers (cloud-config and jinja; no boothooks or part-handlers are run) walked over
the processed message, the merged cloud-config written and read back as the init stage does
(cloudinit/stages.py: _consume_userdata, then ConfigMerger -> util.read_conf), then the
write_files module (init stage) and write_files_deferred (final stage), each as its own module:
an exception ends that module only (cloudinit/config/modules.py _run_modules).

Every write is rebased into a temporary directory; ownership is looked up in the given user and
group lists (the accounts of the booted image, before cloud-init's users module) and never
applied; URLs are never fetched (a `source:` download fails, as with no network). Nothing outside
the temporary directory is touched.
"""

import argparse
import base64
import inspect
import json
import logging
import os
import sys
import tempfile
import types

DEFAULT_USERS = "root,daemon,bin,sys,sync,games,man,lp,mail,news,uucp,proxy,www-data,backup,list,irc,_apt,nobody"
DEFAULT_GROUPS = "root,daemon,bin,sys,adm,tty,disk,lp,mail,news,uucp,man,proxy,kmem,dialout,fax,voice,cdrom,floppy,tape,sudo,audio,dip,www-data,backup,operator,list,irc,src,shadow,utmp,video,sasl,plugdev,staff,games,users,nogroup"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("target")
    ap.add_argument("user_data", nargs="+")
    ap.add_argument("--users", default=DEFAULT_USERS)
    ap.add_argument("--groups", default=DEFAULT_GROUPS)
    ap.add_argument("--instance-data")
    ap.add_argument("--cloudinit-src", help="a checkout of cloud-init to run instead")
    a = ap.parse_args()
    if a.cloudinit_src:
        sys.path.insert(0, a.cloudinit_src)

    logs = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                logs.append(record.levelname + " " + record.getMessage())


    from cloudinit import handlers, helpers, url_helper, user_data, util, version
    from cloudinit.config import cc_write_files, cc_write_files_deferred
    from cloudinit.handlers.cloud_config import CloudConfigPartHandler
    from cloudinit.handlers.jinja_template import JinjaTemplatePartHandler
    from cloudinit.handlers.shell_script import ShellScriptPartHandler

    # after the imports: importing cloudinit.log resets the root logger's handlers
    logging.getLogger().addHandler(Collect())
    logging.getLogger().setLevel(logging.DEBUG)

    # never reach the network or the host's files through a URL
    def no_url(url, *args, **kwargs):
        raise url_helper.UrlError(OSError("oracle: no network"), url=url)

    url_helper.read_file_or_url = no_url
    user_data.read_file_or_url = no_url

    users = set(x for x in a.users.split(",") if x)
    groups = set(x for x in a.groups.split(",") if x)
    state = {"root": None}

    def rebase(p):
        root = state["root"]
        p = os.fspath(p)
        return p if p.startswith(root + os.sep) else root + os.path.abspath(p)

    def getpwnam(n):
        if n not in users:
            raise KeyError("getpwnam(): name not found: %r" % n)
        return types.SimpleNamespace(pw_uid=0)

    def getgrnam(n):
        if n not in groups:
            raise KeyError("getgrnam(): name not found: %r" % n)
        return types.SimpleNamespace(gr_gid=0)

    real_write, real_chmod, real_perms = util.write_file, util.chmod, util.get_permissions
    util.chownbyid = lambda *x, **k: None
    util.pwd = types.SimpleNamespace(getpwnam=getpwnam)
    util.grp = types.SimpleNamespace(getgrnam=getgrnam)

    def run_one(blob, tmp):
        root = os.path.join(tmp, "root")
        for d in ("etc", "usr/bin", "var/lib", "run", "root", "home", "srv"):
            os.makedirs(os.path.join(root, d))

        class DS:
            def get_instance_id(self):
                return "iid-oracle"

        paths = helpers.Paths(
            {"cloud_dir": os.path.join(tmp, "cloud"), "run_dir": os.path.join(tmp, "run")},
            ds=DS(),
        )
        if a.instance_data:
            os.makedirs(paths.run_dir, exist_ok=True)
            with open(a.instance_data, "rb") as src:
                data = src.read()
            with open(paths.get_runpath("instance_data_sensitive"), "wb") as dst:
                dst.write(data)

        # --- user-data -> merged cloud-config (stages.Init._consume_userdata) ---
        msg = user_data.UserDataProcessor(paths).process(blob)
        cc = CloudConfigPartHandler(paths=paths)
        ss = ShellScriptPartHandler(paths=paths)
        c_handlers = helpers.ContentHandlers()
        for mod in (cc, ss, JinjaTemplatePartHandler(paths=paths, sub_handlers=[cc, ss])):
            c_handlers.register(mod, overwrite=False)
        for mod in (cc, ss):
            handlers.call_begin(mod, None, "once-per-instance")
        part_data = {
            "handlers": c_handlers,
            "handlerdir": os.path.join(tmp, "handlers"),
            "data": None,
            "frequency": "once-per-instance",
            "handlercount": 0,
            # user code is never run here (a part-handler would be imported and called)
            "excluded": ["text/part-handler"],
        }
        handlers.walk(msg, handlers.walker_callback, data=part_data)
        for mod in (cc, ss):
            handlers.call_end(mod, None, "once-per-instance")
        cfg_file = paths.get_ipath("cloud_config")
        cfg = util.read_conf(cfg_file) if os.path.exists(cfg_file) else {}

        # --- write_files and write_files_deferred against the temporary root ---
        state["root"] = root
        util.write_file = lambda fn, *x, **k: real_write(rebase(fn), *x, **k)
        util.chmod = lambda fn, *x, **k: real_chmod(rebase(fn), *x, **k)
        util.get_permissions = lambda fn, *x, **k: real_perms(rebase(fn), *x, **k)
        cloud = types.SimpleNamespace(
            distro=types.SimpleNamespace(default_owner="root:root"), paths=paths
        )
        try:
            for name, mod in (
                ("write_files", cc_write_files),
                ("write_files_deferred", cc_write_files_deferred),
            ):
                n_args = len(inspect.signature(mod.handle).parameters)
                args = (name, cfg, cloud, logging.getLogger(), [])
                if n_args == 4:
                    args = (name, cfg, cloud, [])
                try:
                    mod.handle(*args)
                except Exception as e:  # modules.py: a failing module does not stop the rest
                    logs.append("MODULE-FAILED %s: %s: %s" % (name, type(e).__name__, e))
        finally:
            util.write_file, util.chmod, util.get_permissions = (
                real_write, real_chmod, real_perms)
        target = rebase(a.target)
        if os.path.isfile(target):
            with open(target, "rb") as f:
                return f.read()
        return None

    for fn in a.user_data:
        del logs[:]
        with open(fn, "rb") as f:
            blob = f.read()
        v = version.version_string()
        if "MISSING" in v:  # an unbuilt checkout (26.x): name it by its directory
            v = os.path.basename(os.path.normpath(a.cloudinit_src or "?"))
        out = {"file": fn, "version": v}
        with tempfile.TemporaryDirectory(prefix="cloudinit-oracle-") as tmp:
            try:
                content = run_one(blob, tmp)
            except Exception as e:  # the init stage itself fails: nothing is written
                logs.append("INIT-FAILED %s: %s" % (type(e).__name__, e))
                content = None
        out["log"] = list(logs)
        if content is None:
            out["outcome"] = "nothing"
        else:
            out["outcome"] = "written"
            out["content_b64"] = base64.b64encode(content).decode("ascii")
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
