// The extension's D-Bus model (bangerModel.js) under plain gjs, against the
// private system bus of tests/gnome/with_bus_environment.cpp and a real
// bangerd-test: a VM appears, its autostart is switched on and off, it starts,
// fails when its VMM is killed (vm-failed with LastError), and vanishes when deleted. Every wait is woken by the
// model's 'changed' or 'vm-failed' signal only, so a model that missed a bus
// signal (or polled) fails here by timing out.
//
// usage: gjs -I <extension dir> test_model.js   (run by with-bus-environment)
'use strict';

const {Gio, GLib} = imports.gi;
const System = imports.system;
const {BangerModel, BUS_NAME, ROOT_PATH, VM_INTERFACE} = imports.bangerModel;
const {sshTerminalArgv} = imports.terminal;

const WAIT_MS = 10000;
let failures = 0;

function check(condition, what) {
    print(`${condition ? 'ok' : 'FAILED'}: ${what}`);
    if (!condition)
        failures++;
}

// Resolves with predicate()'s first truthy value, checked now and after each
// emission of `signal` by the model; rejects after WAIT_MS.
function waitFor(model, signal, predicate, what) {
    return new Promise((resolve, reject) => {
        let id = 0, timer = 0;
        const finish = value => {
            model.disconnect(id);
            GLib.source_remove(timer);
            resolve(value);
        };
        const test = (...args) => {
            const value = predicate(...args);
            if (value)
                finish(value);
        };
        id = model.connect(signal, (m, ...args) => test(...args));
        timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, WAIT_MS, () => {
            model.disconnect(id);
            reject(new Error(`timed out waiting for ${what}`));
            return GLib.SOURCE_REMOVE;
        });
        if (signal === 'changed')
            test();
    });
}

function call(connection, path, iface, method, parameters, replyType) {
    return new Promise((resolve, reject) => {
        connection.call(BUS_NAME, path, iface, method, parameters, replyType ? new GLib.VariantType(replyType) : null,
            Gio.DBusCallFlags.NONE, 30000, null, (source, result) => {
                try {
                    const reply = source.call_finish(result);
                    resolve(reply ? reply.deepUnpack() : null);
                } catch (e) {
                    reject(e);
                }
            });
    });
}

function vmmPid(id) {
    const file = `${GLib.getenv('BANGER_TEST_DIR')}/run/vms/${id}/handles.json`;
    const [, bytes] = GLib.file_get_contents(file);
    return JSON.parse(new TextDecoder().decode(bytes)).handles.pid;
}

function killVmm(pid) {
    const kill = Gio.Subprocess.new(['kill', '-KILL', String(pid)], Gio.SubprocessFlags.NONE);
    kill.wait(null);
    return kill.get_successful();
}

async function main() {
    const connection = Gio.DBusConnection.new_for_address_sync(GLib.getenv('DBUS_SYSTEM_BUS_ADDRESS'),
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, null, null);
    const model = new BangerModel(connection);
    await model.init();
    check(model.available, 'bangerd is available');
    check(model.vms.length === 0, 'no VMs at first');

    const byName = name => model.vms.find(vm => vm.name === name);
    const [path] = await call(connection, ROOT_PATH, 'dev.banger.banger1.Manager', 'CreateVM',
        new GLib.Variant('(sa{sv})', ['gjs-model', {}]), '(oo)');
    let vm = await waitFor(model, 'changed', () => {
        const v = byName('gjs-model');
        return v && v.state === 'created' ? v : null;
    }, 'the new VM in state created');
    check(vm.path === path, `the VM's object path is CreateVM's (${vm.path})`);
    check(/^\d+\.\d+\.\d+\.\d+$/.test(vm.address), `the VM has an address (${vm.address})`);
    check(vm.id.length > 0, 'the VM has an id');
    check(model.countsByState().created === 1, 'counted as created');

    check(vm.autostart === false, 'autostart is off by default');
    await model.setAutostart(path, true);
    await waitFor(model, 'changed', () => byName('gjs-model').autostart, 'autostart on');
    const [onInDaemon] = await call(connection, path, 'org.freedesktop.DBus.Properties', 'Get',
        new GLib.Variant('(ss)', [VM_INTERFACE, 'Autostart']), '(v)');
    check(onInDaemon.deepUnpack() === true, 'bangerd has the VM\'s Autostart on');
    await model.setAutostart(path, false);
    await waitFor(model, 'changed', () => !byName('gjs-model').autostart, 'autostart off again');

    await model.start(path);
    vm = await waitFor(model, 'changed', () => byName('gjs-model').state === 'running' && byName('gjs-model'),
        'the VM running');
    check(model.countsByState().running === 1 && !model.countsByState().created, 'counted as running, not created');

    let refusal = null;
    await model.start(path).catch(e => {
        refusal = e;
    });
    check(refusal !== null && refusal.dbusName === 'dev.banger.banger1.Error.InvalidState',
        `Start of a running VM is refused with InvalidState (${refusal && refusal.dbusName}: ${refusal && refusal.message})`);

    const failed = waitFor(model, 'vm-failed', failedVm => failedVm.path === path && failedVm, 'vm-failed');
    check(killVmm(vmmPid(vm.id)), 'the stand-in VMM was killed');
    const failedVm = await failed;
    check(failedVm.name === 'gjs-model' && failedVm.state === 'failed', 'vm-failed names the VM, in state failed');
    check(failedVm.lastError === 'the VMM was killed by signal 9 (SIGKILL)',
        `vm-failed carries LastError (${failedVm.lastError})`);
    check(model.countsByState().failed === 1, 'counted as failed');

    await call(connection, path, VM_INTERFACE, 'Delete', null, null);
    await waitFor(model, 'changed', () => !byName('gjs-model'), 'the VM gone');
    check(model.vms.length === 0, 'no VMs after the delete');

    let noVm = null;
    await model.stop(path).catch(e => {
        noVm = e;
    });
    check(noVm !== null, `a call on a deleted VM is refused (${noVm && noVm.message})`);
    model.destroy();
}

function checkTerminalChoice() {
    const having = (...names) => name => names.includes(name) ? `/usr/bin/${name}` : null;
    check(JSON.stringify(sshTerminalArgv('web', having('gnome-terminal', 'x-terminal-emulator'))) ===
        JSON.stringify(['gnome-terminal', '--', 'bangerctl', 'ssh', 'web']), 'the terminal is gnome-terminal when there');
    check(JSON.stringify(sshTerminalArgv('web', having('x-terminal-emulator'))) ===
        JSON.stringify(['x-terminal-emulator', '-e', 'bangerctl', 'ssh', 'web']), 'else x-terminal-emulator');
    check(sshTerminalArgv('web', having()) === null, 'no terminal: null');
}

checkTerminalChoice();
const TEST_TIMEOUT_S = 60;
const loop = new GLib.MainLoop(null, false);
GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, TEST_TIMEOUT_S, () => {
    print(`FAILED: not done within ${TEST_TIMEOUT_S} s`);
    failures++;
    loop.quit();
    return GLib.SOURCE_REMOVE;
});
main().catch(e => {
    print(`FAILED: ${e.message}\n${e.stack}`);
    failures++;
}).finally(() => loop.quit());
loop.run();
print(failures ? `${failures} check(s) failed` : 'all checks passed');
System.exit(failures ? 1 : 0);
