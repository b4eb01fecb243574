// The extension's view of bangerd: the VMs it publishes on the bus, kept
// current from its signals alone (ObjectManager's InterfacesAdded/Removed,
// PropertiesChanged, VM.StateChanged; GDBusObjectManagerClient follows the
// name owner, so VMs appear when bangerd starts and vanish when it goes).
// It imports nothing from gnome-shell, so it also loads under plain gjs
// (imports.searchPath) and is tested there against a private bus and a real
// bangerd (tests/gnome/test_model.js).
//
// Signals:
//   'changed' ()      VMs appeared or vanished, or a VM's properties changed,
//                     or bangerd came or went
//   'vm-failed' (vm)  a VM's state became "failed"; vm.lastError says why
/* exported BangerModel, BUS_NAME, ROOT_PATH, VM_INTERFACE, STATES */
'use strict';

const {Gio, GLib} = imports.gi;
const Signals = imports.signals;

var BUS_NAME = 'dev.banger.banger1';
var ROOT_PATH = '/dev/banger/banger1';
var VM_INTERFACE = 'dev.banger.banger1.VM';

// In the order the menu's summary names them (the contract's VM.State values).
var STATES = ['running', 'paused', 'suspended', 'starting', 'stopping', 'creating', 'created', 'stopped', 'failed'];

// Start returns only once the guest's SSH server answers, which takes a while
// for a real guest under TCG.
const CALL_TIMEOUT_MS = 180 * 1000;

function cached(proxy, property, fallback) {
    const value = proxy.get_cached_property(property);
    return value ? value.deepUnpack() : fallback;
}

function vmOf(objectPath, proxy) {
    return {
        path: objectPath,
        id: cached(proxy, 'Id', ''),
        name: cached(proxy, 'Name', ''),
        state: cached(proxy, 'State', ''),
        address: cached(proxy, 'IPv4Address', ''),
        dnsName: cached(proxy, 'DNSName', ''),
        lastError: cached(proxy, 'LastError', ''),
        autostart: cached(proxy, 'Autostart', false),
    };
}

// A D-Bus error as {name, message}: the remote error name (e.g.
// dev.banger.banger1.Error.InvalidState) and bangerd's own words.
function callError(error) {
    const name = Gio.DBusError.get_remote_error(error) || '';
    if (name)
        Gio.DBusError.strip_remote_error(error);
    const failure = new Error(error.message);
    failure.dbusName = name;
    return failure;
}

var BangerModel = class BangerModel {
    // connection: a Gio.DBusConnection, the system bus in the extension.
    constructor(connection) {
        this._connection = connection;
        this._cancellable = new Gio.Cancellable();
        this._manager = null;
        this._handlerIds = [];
    }

    // Resolves once the VMs bangerd already has are known (none when it does
    // not run: they appear when it starts). bangerd is never auto-started.
    init() {
        const manager = new Gio.DBusObjectManagerClient({
            connection: this._connection,
            name: BUS_NAME,
            object_path: ROOT_PATH,
            flags: Gio.DBusObjectManagerClientFlags.DO_NOT_AUTO_START,
        });
        return new Promise((resolve, reject) => {
            manager.init_async(GLib.PRIORITY_DEFAULT, this._cancellable, (source, result) => {
                try {
                    manager.init_finish(result);
                    this._manager = manager;
                    this._connectManager();
                } catch (e) {
                    reject(e);
                    return;
                }
                resolve();
                this.emit('changed');
            });
        });
    }

    destroy() {
        this._cancellable.cancel();
        if (this._manager) {
            for (const id of this._handlerIds)
                this._manager.disconnect(id);
            this._manager = null;
        }
        this._handlerIds = [];
    }

    // Whether bangerd owns its name on the bus.
    get available() {
        return this._manager !== null && this._manager.name_owner !== null;
    }

    // The VMs, by name: {path, id, name, state, address, dnsName, lastError, autostart}.
    get vms() {
        if (!this._manager)
            return [];
        const vms = [];
        for (const object of this._manager.get_objects()) {
            const proxy = object.get_interface(VM_INTERFACE);
            if (proxy)
                vms.push(vmOf(object.get_object_path(), proxy));
        }
        return vms.sort((a, b) => a.name.localeCompare(b.name));
    }

    // {state: number of VMs in it}, only states some VM is in.
    countsByState() {
        const counts = {};
        for (const vm of this.vms)
            counts[vm.state] = (counts[vm.state] || 0) + 1;
        return counts;
    }

    // VM.Start; resolves when bangerd answers, rejects with an Error whose
    // dbusName is the D-Bus error (InvalidState, AccessDenied, …).
    start(path) {
        return this._callVm(path, 'Start', null);
    }

    // VM.Stop(force): graceful unless force.
    stop(path, force = false) {
        return this._callVm(path, 'Stop', new GLib.Variant('(b)', [force]));
    }

    // VM.Pause / VM.Resume; reject like start().
    pause(path) {
        return this._callVm(path, 'Pause', null);
    }

    resume(path) {
        return this._callVm(path, 'Resume', null);
    }

    // VM.Suspend: the guest saved to disk, its VMM ended; start() restores it.
    suspend(path) {
        return this._callVm(path, 'Suspend', null);
    }

    // VM.Set {autostart: enabled}: whether bangerd starts the VM after each
    // host boot. The VM's Autostart changes (and 'changed' follows) once bangerd
    // said yes; rejects like start().
    setAutostart(path, enabled) {
        return this._callVm(path, 'Set', new GLib.Variant('(a{sv})', [{autostart: GLib.Variant.new_boolean(enabled)}]));
    }

    _callVm(path, method, parameters) {
        const proxy = this._manager ? this._manager.get_interface(path, VM_INTERFACE) : null;
        if (!proxy)
            return Promise.reject(new Error(`no VM at ${path}`));
        return new Promise((resolve, reject) => {
            // Interactive: a polkit agent (gnome-shell's) may ask the user.
            proxy.call(method, parameters, Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION,
                CALL_TIMEOUT_MS, this._cancellable, (source, result) => {
                    try {
                        source.call_finish(result);
                        resolve();
                    } catch (e) {
                        reject(callError(e));
                    }
                });
        });
    }

    _connectManager() {
        const on = (signal, handler) => this._handlerIds.push(this._manager.connect(signal, handler));
        const changed = () => this.emit('changed');
        on('object-added', changed);
        on('object-removed', changed);
        on('notify::name-owner', changed);
        on('interface-proxy-properties-changed', (manager, object, proxy) => {
            if (proxy.get_interface_name() === VM_INTERFACE)
                changed();
        });
        // bangerd emits PropertiesChanged (State, LastError) before
        // StateChanged, so the proxy's cache already holds the failure's text.
        on('interface-proxy-signal', (manager, object, proxy, sender, signal, parameters) => {
            if (proxy.get_interface_name() !== VM_INTERFACE || signal !== 'StateChanged')
                return;
            const [, newState, reason] = parameters.deepUnpack();
            if (newState !== 'failed')
                return;
            const vm = vmOf(object.get_object_path(), proxy);
            if (!vm.lastError)
                vm.lastError = reason;
            this.emit('vm-failed', vm);
        });
    }
};
Signals.addSignalMethods(BangerModel.prototype);
