#!/usr/bin/env python3
"""The layers of service/ and the include arrows allowed between them (issue 18).

Usage: check_layers.py SERVICE_DIR      check the tree, print each forbidden include, exit 1 if any
       check_layers.py --self-test      show that each kind of violation is caught

The link arrows are held by the build itself (service/meson.build's *-linkcheck
libraries, linked with --no-undefined); this script holds what the linker cannot
see: header-only libraries (nlohmann), declarations and inline code.
"""
import os
import re
import sys
import tempfile

# Lowest first; a layer may include its own files and those of the layers listed for it.
ALLOWED = {
    "domain": {"domain"},
    "store": {"domain", "store"},
    "host": {"domain", "store", "host"},
    "bus": {"domain", "store", "host", "bus"},
    "daemon": {"domain", "store", "host", "bus", "daemon"},
}
# The D-Bus edge (service/bus/) is thinner than its layer: it talks to the domain
# only (core's services and records), never to the host's code. The rest of the
# bus layer, the *_bus clients of systemd's services, may use the host's.
EDGE_ALLOWED = {"domain", "bus"}
HOST_DIRS = ("vmm", "net", "disks", "console", "stats", "ports", "workspace", "doctor", "capabilities", "host")

# System headers a layer may not include: what it must not link.
SDBUS_CPP = r"sdbus-c\+\+/"
FORBIDDEN_SYSTEM = {
    "domain": [SDBUS_CPP, r"systemd/", r"libssh/", r"nlohmann/", r"sqlite3\.h", r"toml\+\+/", r"CLI/",
               r"archive", r"ext2fs/", r"nftables/", r"netlink/", r"curl/", r"seccomp\.h"],
    "store": [SDBUS_CPP, r"systemd/", r"libssh/", r"toml\+\+/", r"CLI/", r"nftables/", r"netlink/", r"curl/"],
    "host": [SDBUS_CPP, r"CLI/"],
    "bus": [r"CLI/"],
    "daemon": [],
}
# Build-wide generated headers every layer may use. The interface library
# ("banger/…") and the generated adaptors ("dev.banger.banger1.*") are the bus's alone.
GENERATED = {"banger_build_config.h": "domain"}

QUOTED = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
ANGLED = re.compile(r'^\s*#\s*include\s+<([^>]+)>', re.M)


def layer_of(relative):
    """The layer of a path relative to service/ (a file or an included name)."""
    parts = relative.split("/")
    name = parts[-1]
    if relative in GENERATED:
        return GENERATED[relative]
    if parts[0] == "banger" or name.startswith("dev.banger.banger1."):
        return "bus"  # the interface library and its generated sdbus-c++ adaptors
    if name == "main.cpp" or name.endswith("_main.cpp"):
        return "daemon"  # a program's main: above every layer
    if parts[0] == "bus" or re.search(r"_bus\.(h|cpp)$", name):
        return "bus"  # *_bus: clients of systemd's services over sdbus-c++ proxies
    if parts[0] == "core":
        return "domain"
    if parts[0] == "store":
        return "store"
    if parts[0] in HOST_DIRS or name in ("config.h", "config.cpp"):
        return "host"
    return "daemon"  # daemon*.cpp, main.cpp, host_extensions.h


def violations(service_dir):
    found = []
    for root, _, files in os.walk(service_dir):
        for name in sorted(files):
            if not name.endswith((".h", ".cpp")):
                continue
            path = os.path.join(root, name)
            relative = os.path.relpath(path, service_dir)
            layer = layer_of(relative)
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for included in QUOTED.findall(text):
                if "/" not in included and included not in GENERATED:
                    if os.path.exists(os.path.join(root, included)) and root != service_dir:
                        continue  # beside the file itself, in its own directory
                target = layer_of(included)  # else named from service/'s root
                if relative.startswith("bus/") and target not in EDGE_ALLOWED:
                    found.append(f"{relative}: the bus edge may not include \"{included}\" ({target})")
                elif target not in ALLOWED[layer]:
                    found.append(f"{relative}: {layer} may not include \"{included}\" ({target})")
            for included in ANGLED.findall(text):
                for pattern in FORBIDDEN_SYSTEM[layer]:
                    if re.match(pattern, included):
                        found.append(f"{relative}: {layer} may not include <{included}>")
    return found


def self_test():
    cases = {
        "core/uses_store.cpp": '#include "store/sqlite_store.h"\n',
        "core/uses_json.cpp": "#include <nlohmann/json.hpp>\n",
        "core/uses_journal.cpp": "#include <systemd/sd-journal.h>\n",
        "store/uses_the_bus_layer.cpp": '#include "bus/vm_object.h"\n',
        "vmm/uses_config.cpp": '#include "config.h"\n#include <CLI/CLI.hpp>\n',
        "net/uses_sdbus.cpp": "#include <sdbus-c++/sdbus-c++.h>\n",
        "capabilities/uses_daemon.cpp": '#include "daemon.h"\n',
        "capabilities/uses_adaptor.cpp": '#include "banger/vm_adaptor.h"\n',
        "bus/uses_host.cpp": '#include "capabilities/ssh_login.h"\n',
    }
    allowed = {
        "core/fine.cpp": '#include "core/vm.h"\n#include <fmt/format.h>\n#include "banger_build_config.h"\n',
        "net/fine_bus.cpp": "#include <sdbus-c++/sdbus-c++.h>\n",
        "bus/fine.cpp": '#include "core/vm_manager.h"\n#include <sdbus-c++/sdbus-c++.h>\n',
        "host/fine_bus.cpp": '#include "stats/cgroup_counters.h"\n#include <sdbus-c++/sdbus-c++.h>\n',
        "daemon.cpp": '#include "bus/vm_object.h"\n#include <CLI/CLI.hpp>\n',
        "console/relay_main.cpp": '#include <CLI/CLI.hpp>\n#include "daemon.h"\n',
        "capabilities/beside.cpp": '#include "beside.h"\n',
        "capabilities/beside.h": "",
    }
    with tempfile.TemporaryDirectory() as tree:
        for relative, text in {**cases, **allowed}.items():
            os.makedirs(os.path.join(tree, os.path.dirname(relative)), exist_ok=True)
            with open(os.path.join(tree, relative), "w") as f:
                f.write(text)
        found = violations(tree)
    caught = {line.split(":")[0] for line in found}
    missed = sorted(set(cases) - caught)
    wrong = sorted(caught - set(cases))
    for line in found:
        print("caught:", line)
    if missed or wrong:
        print("not caught:", missed, "wrongly refused:", wrong)
        return 1
    print(f"{len(cases)} forbidden includes caught, {len(allowed)} allowed ones passed")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    found = violations(sys.argv[1])
    for line in found:
        print(line)
    print(f"{len(found)} forbidden include(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
