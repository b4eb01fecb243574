#!/usr/bin/python3
"""A GLib client that is not banger's own: python3-gi's Gio.DBusObjectManagerClient
on the system bus (the private one of with_bus_environment.cpp, with a real
bangerd-test) sees a VM appear, change (state, then a rename) and vanish, from
the bus's signals alone: every wait is woken by one of the manager's signals.

Exits 77 (meson's skip) when python3-gi is missing.
"""

import sys

try:
    import gi

    gi.require_version("Gio", "2.0")
    from gi.repository import Gio, GLib
except (ImportError, ValueError) as e:
    print(f"SKIP: python3-gi is not installed ({e})")
    sys.exit(77)

BUS_NAME = "dev.banger.banger1"
ROOT = "/dev/banger/banger1"
MANAGER = "dev.banger.banger1.Manager"
VM = "dev.banger.banger1.VM"
WAIT_S = 10


class Failed(Exception):
    pass


def wait_for(manager, what, predicate):
    """Runs the main loop until predicate() holds, re-checked after each manager signal."""
    if predicate():
        return
    loop = GLib.MainLoop()
    timed_out = []

    def recheck(*_):
        if predicate():
            loop.quit()

    def give_up():
        timed_out.append(True)
        loop.quit()
        return GLib.SOURCE_REMOVE

    ids = [manager.connect(s, recheck) for s in
           ("object-added", "object-removed", "interface-proxy-properties-changed")]
    timer = GLib.timeout_add_seconds(WAIT_S, give_up)
    loop.run()
    for i in ids:
        manager.disconnect(i)
    if timed_out:
        raise Failed(f"timed out waiting for {what}")
    GLib.source_remove(timer)


def vm_proxy(manager, name):
    for obj in manager.get_objects():
        proxy = obj.get_interface(VM)
        if proxy and proxy.get_cached_property("Name").unpack() == name:
            return proxy
    return None


def prop(proxy, name):
    value = proxy.get_cached_property(name)
    return value.unpack() if value is not None else None


def main():
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    manager = Gio.DBusObjectManagerClient.new_sync(
        bus, Gio.DBusObjectManagerClientFlags.DO_NOT_AUTO_START, BUS_NAME, ROOT, None, None, None)
    if manager.get_name_owner() is None:
        raise Failed("bangerd does not own dev.banger.banger1")

    added, removed, changes = [], [], []
    manager.connect("object-added", lambda m, o: added.append(o.get_object_path()))
    manager.connect("object-removed", lambda m, o: removed.append(o.get_object_path()))
    manager.connect("interface-proxy-properties-changed",
                    lambda m, o, p, changed, inv: changes.extend(changed.keys()))

    path, _operation = bus.call_sync(BUS_NAME, ROOT, MANAGER, "CreateVM",
                                     GLib.Variant("(sa{sv})", ("py-glib", {})),
                                     GLib.VariantType("(oo)"), Gio.DBusCallFlags.NONE, 30000, None).unpack()
    wait_for(manager, "py-glib to appear", lambda: vm_proxy(manager, "py-glib") is not None)
    if path not in added:
        raise Failed(f"no object-added for {path} (saw {added})")
    vm = vm_proxy(manager, "py-glib")
    wait_for(manager, "state created", lambda: prop(vm, "State") == "created")
    print(f"ok: appeared at {path}, created, address {prop(vm, 'IPv4Address')}")

    # Calls through the object manager's own proxy, as any GDBus program would.
    vm.call_sync("Start", None, Gio.DBusCallFlags.NONE, 30000, None)
    wait_for(manager, "state running", lambda: prop(vm, "State") == "running")
    print("ok: State followed to running")

    vm.call_sync("Set", GLib.Variant("(a{sv})", ({"name": GLib.Variant("s", "py-glib-renamed")},)),
                 Gio.DBusCallFlags.NONE, 30000, None)
    wait_for(manager, "the rename", lambda: prop(vm, "Name") == "py-glib-renamed")
    if not prop(vm, "DNSName").startswith("py-glib-renamed."):
        raise Failed(f"DNSName did not follow the rename: {prop(vm, 'DNSName')}")
    print(f"ok: renamed while running, DNSName {prop(vm, 'DNSName')}")

    vm.call_sync("Stop", GLib.Variant("(b)", (False,)), Gio.DBusCallFlags.NONE, 30000, None)
    wait_for(manager, "state stopped", lambda: prop(vm, "State") == "stopped")
    for expected in ("State", "Name", "DNSName"):
        if expected not in changes:
            raise Failed(f"no PropertiesChanged for {expected} (saw {sorted(set(changes))})")
    print("ok: stopped; PropertiesChanged seen for State, Name, DNSName")

    try:
        vm.call_sync("Stop", GLib.Variant("(b)", (False,)), Gio.DBusCallFlags.NONE, 30000, None)
        raise Failed("Stop of a stopped VM was not refused")
    except GLib.Error as e:
        if Gio.DBusError.get_remote_error(e) != "dev.banger.banger1.Error.InvalidState":
            raise Failed(f"Stop of a stopped VM: expected InvalidState, got {e.message}")
    print("ok: Stop of a stopped VM answers dev.banger.banger1.Error.InvalidState")

    vm.call_sync("Delete", None, Gio.DBusCallFlags.NONE, 30000, None)
    wait_for(manager, "py-glib to vanish", lambda: manager.get_object(path) is None)
    if path not in removed:
        raise Failed(f"no object-removed for {path} (saw {removed})")
    print("ok: vanished with object-removed")


if __name__ == "__main__":
    try:
        main()
    except (Failed, GLib.Error) as e:
        print(f"FAILED: {e}")
        sys.exit(1)
    print("all checks passed")
