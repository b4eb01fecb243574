#!/usr/bin/env python3
"""bangerd.service's sandbox (issue 8, least privilege).

1. `systemd-analyze security --offline` on the unit as installed: the exposure
   score is printed and must be at most 4.0.
2. The sandbox still fits the code: each capability in CapabilityBoundingSet
   is one CAPABILITY_EVIDENCE names, with the source that needs it (and that
   source still does it), and none is missing; every /dev path the service
   code names is covered by a DeviceAllow; every socket family it opens is in
   RestrictAddressFamilies.

How the capability list was derived: every privileged operation in service/
(ioctls on tun, loop and device-mapper, netlink and nftables, mknod, mount and
unshare, lchown, kill of other uids) plus what the children bangerd runs need
(the jailer: chroot, mknod, setuid/setgid, mount namespace; dnsmasq: binding
53, DHCP socket, dropping to nobody). The unit's comments say the same.

usage: check_unit_security.py UNIT_FILE SOURCE_ROOT
Exit 77 (skip) when systemd-analyze is not installed.
"""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

MAX_EXPOSURE = 4.0

# capability -> [(file under service/, regex that still shows the need, why)]
CAPABILITY_EVIDENCE = {
    "CAP_NET_ADMIN": [("net/taps.cpp", r"TUNSETPERSIST", "persistent taps with an owner"),
                      ("net/nat_table.cpp", r"nft_", "nftables NAT rules"),
                      ("net/links.cpp", r"rtnl_link_add", "bridges")],
    "CAP_NET_BIND_SERVICE": [("net/dnsmasq_config.cpp", r"--listen-address", "dnsmasq binds port 53")],
    "CAP_NET_RAW": [("net/dnsmasq_config.cpp", r"--interface=", "dnsmasq keeps NET_RAW for its interface sockets")],
    "CAP_SYS_ADMIN": [("disks/loop_device.cpp", r"LOOP_CONFIGURE", "loop devices"),
                      ("disks/dm_snapshot.cpp", r"DM_DEV_CREATE", "device-mapper snapshots"),
                      ("disks/sandbox.cpp", r"CLONE_NEWNET", "the sandbox's own network namespace")],
    "CAP_MKNOD": [("disks/loop_device.cpp", r"mknod", "/dev/loopN without udev"),
                  ("disks/dm_snapshot.cpp", r"mknod", "/dev/mapper nodes")],
    "CAP_FOWNER": [("disks/sandbox.cpp", r"fchmod\(fd_, mode_\)", "a lent disk's mode given back once its VM uid owns it again"),
                   ("vmm/qemu/kvm_verdict.cpp", r"chmod\(dir_", "the probe's directory, once the probe's uid owns it")],
    "CAP_CHOWN": [("vmm/firecracker/jailer.cpp", r"lchown", "jail files to the VM's uid"),
                  ("vmm/firecracker/unjailed.cpp", r"fchown", "an unjailed Firecracker's files and writable drives to the VM's uid")],
    "CAP_DAC_OVERRIDE": [("vmm/firecracker/jailer.cpp", r"remove_all", "jail dirs owned by a VM uid")],
    "CAP_SETUID": [("vmm/firecracker/jailer.cpp", r'"--uid"', "the jailer drops to the VM's uid"),
                   ("vmm/unprivileged_exec.cpp", r"SYS_setresuid", "QEMU is started as the VM's uid"),
                   ("net/dnsmasq_config.cpp", r"--user=", "dnsmasq drops to nobody")],
    "CAP_SETGID": [("vmm/firecracker/jailer.cpp", r'"--gid"', "the jailer drops to the VM's gid"),
                   ("vmm/unprivileged_exec.cpp", r"SYS_setgroups", "QEMU is started as the VM's gid and /dev/kvm's group")],
    "CAP_SYS_CHROOT": [("vmm/firecracker/jailer.cpp", r"chroot", "the jailer's chroot")],
    "CAP_KILL": [("vmm/process.cpp", r"::kill\(", "VMMs and dnsmasq running as other uids")],
}

# A /dev path named in service/ -> the DeviceAllow entry that covers it.
DEVICE_COVER = {
    "/dev/kvm": "/dev/kvm",
    "/dev/net/tun": "/dev/net/tun",
    "/dev/loop-control": "/dev/loop-control",
    "/dev/loop": "block-loop",
    "/dev/mapper/control": "/dev/mapper/control",
    "/dev/mapper": "block-device-mapper",
    "/dev/null": None,  # always there with DevicePolicy=closed
    "/dev/vd": None,    # the guest's disks (/dev/vda, /dev/vdb), named in its config
    "/dev/ttyS": None,  # the guest's serial console
}

SOCKET_FAMILIES_IN_CODE = re.compile(r"\bsocket\(\s*(AF_[A-Z0-9]+)")


def unit_values(text, key):
    return [line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith(key + "=")]


def exposure(unit_file):
    if not shutil.which("systemd-analyze"):
        print("SKIP: systemd-analyze is not installed (Debian package systemd)")
        sys.exit(77)
    text = unit_file.read_text()
    exec_start = unit_values(text, "ExecStart")[0].split()[0]
    with tempfile.TemporaryDirectory() as root:
        units = pathlib.Path(root, "usr/lib/systemd/system")
        units.mkdir(parents=True)
        (units / "bangerd.service").write_text(text)
        binary = pathlib.Path(root + exec_start)
        binary.parent.mkdir(parents=True, exist_ok=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
        out = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", "--root=" + root,
                              "bangerd.service"], capture_output=True, text=True)
    found = re.search(r"Overall exposure level for bangerd.service: ([0-9.]+)", out.stdout)
    if not found:
        print(out.stdout, out.stderr)
        raise SystemExit("FAIL: no exposure level in systemd-analyze's output")
    for line in out.stdout.splitlines():
        if line.startswith("✗"):
            print("  " + " ".join(line.split()))
    return float(found.group(1))


def main():
    unit_file, source = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    failures = []
    text = unit_file.read_text()

    score = exposure(unit_file)
    print(f"systemd-analyze security: exposure {score} (target <= {MAX_EXPOSURE})")
    if score > MAX_EXPOSURE:
        failures.append(f"exposure {score} > {MAX_EXPOSURE}")

    caps = set(" ".join(unit_values(text, "CapabilityBoundingSet")).split())
    for cap in sorted(caps - CAPABILITY_EVIDENCE.keys()):
        failures.append(f"{cap} is in CapabilityBoundingSet without evidence of a need")
    for cap in sorted(CAPABILITY_EVIDENCE.keys() - caps):
        failures.append(f"{cap} is needed but missing from CapabilityBoundingSet")
    for cap, needs in CAPABILITY_EVIDENCE.items():
        for file, pattern, why in needs:
            path = source / "service" / file
            if not path.exists() or not re.search(pattern, path.read_text()):
                failures.append(f"{cap}: {file} no longer shows /{pattern}/ ({why}): re-derive the set")

    allowed = {entry.split()[0] for entry in unit_values(text, "DeviceAllow")}
    if unit_values(text, "DevicePolicy") != ["closed"]:
        failures.append("DevicePolicy is not closed")
    code = {p: p.read_text() for p in (source / "service").rglob("*.[ch]*") if p.suffix in (".cpp", ".h")}
    devices = set()
    for body in code.values():
        devices.update(re.findall(r'"(/dev/[a-z0-9/_-]*)', body))
    for device in sorted(devices):
        cover = next((DEVICE_COVER[d] for d in sorted(DEVICE_COVER, key=len, reverse=True)
                      if device == d or device.startswith(d)), "unknown")
        if cover == "unknown":
            failures.append(f"service code names {device}: add it to DEVICE_COVER and DeviceAllow")
        elif cover is not None and cover not in allowed:
            failures.append(f"{device} needs DeviceAllow={cover}")

    families = set(" ".join(unit_values(text, "RestrictAddressFamilies")).split())
    used = {family for body in code.values() for family in SOCKET_FAMILIES_IN_CODE.findall(body)}
    used.add("AF_NETLINK")  # libnl and libnftables open their own netlink sockets
    for family in sorted(used - families):
        failures.append(f"the code opens {family} sockets, RestrictAddressFamilies lacks it")

    print(f"{len(caps)} capabilities, {len(devices)} device paths, {len(used)} socket families checked")
    for failure in failures:
        print("FAIL: " + failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
