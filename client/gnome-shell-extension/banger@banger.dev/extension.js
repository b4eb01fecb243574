// banger's panel indicator for GNOME Shell 43 (pre-45 extension style): the
// number of running VMs of all, a menu with each VM (state, address to copy,
// Start/Stop, a terminal with `bangerctl ssh`, a "Start at boot" switch for its
// Autostart), and a notification when a VM fails. Everything is drawn from BangerModel (bangerModel.js), which follows
// bangerd's signals on the system bus; nothing here polls.
/* exported init */
'use strict';

const {Clutter, Gio, GLib, GObject, St} = imports.gi;
const ExtensionUtils = imports.misc.extensionUtils;
const Main = imports.ui.main;
const PanelMenu = imports.ui.panelMenu;
const PopupMenu = imports.ui.popupMenu;
const Util = imports.misc.util;

const Me = ExtensionUtils.getCurrentExtension();
const {BangerModel, STATES} = Me.imports.bangerModel;
const {sshTerminalArgv} = Me.imports.terminal;

// Main.panel.statusArea.banger is the indicator (the gnome-shell test finds it there).
const STATUS_AREA_NAME = 'banger';

function summaryOf(counts, total) {
    if (total === 0)
        return 'No VMs';
    const parts = STATES.filter(state => counts[state]).map(state => `${counts[state]} ${state}`);
    return `${total} VM${total === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

const BangerIndicator = GObject.registerClass(
class BangerIndicator extends PanelMenu.Button {
    _init(model) {
        super._init(0.0, 'banger');
        this._model = model;

        const box = new St.BoxLayout({style_class: 'panel-status-menu-box'});
        this._icon = new St.Icon({icon_name: 'computer-symbolic', style_class: 'system-status-icon'});
        this._label = new St.Label({text: '', y_align: Clutter.ActorAlign.CENTER});
        box.add_child(this._icon);
        box.add_child(this._label);
        this.add_child(box);

        this._modelIds = [
            model.connect('changed', () => this._sync()),
            model.connect('vm-failed', (m, vm) => Main.notify(`banger: ${vm.name} failed`, vm.lastError)),
        ];
        this._sync();
    }

    _onDestroy() {
        for (const id of this._modelIds)
            this._model.disconnect(id);
        super._onDestroy();
    }

    _sync() {
        const vms = this._model.vms;
        const counts = this._model.countsByState();
        const available = this._model.available;
        this._label.text = available ? `${counts.running || 0}/${vms.length}` : '–';
        this._icon.icon_name = counts.failed ? 'dialog-warning-symbolic' : 'computer-symbolic';

        this.menu.removeAll();
        const summary = available ? summaryOf(counts, vms.length) : 'bangerd is not running';
        this.menu.addMenuItem(new PopupMenu.PopupMenuItem(summary, {reactive: false}));
        if (vms.length > 0)
            this.menu.addMenuItem(new PopupMenu.PopupSeparatorMenuItem());
        for (const vm of vms)
            this.menu.addMenuItem(this._vmItem(vm));
    }

    _vmItem(vm) {
        const item = new PopupMenu.PopupSubMenuMenuItem(vm.name);
        item.status = new St.Label({text: vm.state, y_align: Clutter.ActorAlign.CENTER});
        item.insert_child_below(item.status, item._triangleBin);

        if (vm.address) {
            item.menu.addAction(`Copy address ${vm.address}`, () => {
                St.Clipboard.get_default().set_text(St.ClipboardType.CLIPBOARD, vm.address);
            });
        }
        if (['created', 'stopped', 'failed'].includes(vm.state))
            item.menu.addAction('Start', () => this._run(vm, 'start', this._model.start(vm.path)));
        // A suspended VM's Start is its restore.
        if (vm.state === 'suspended')
            item.menu.addAction('Resume', () => this._run(vm, 'start', this._model.start(vm.path)));
        if (vm.state === 'running')
            item.menu.addAction('Pause', () => this._run(vm, 'pause', this._model.pause(vm.path)));
        if (vm.state === 'paused')
            item.menu.addAction('Resume', () => this._run(vm, 'resume', this._model.resume(vm.path)));
        if (['running', 'paused'].includes(vm.state))
            item.menu.addAction('Suspend', () => this._run(vm, 'suspend', this._model.suspend(vm.path)));
        if (['running', 'paused', 'suspended'].includes(vm.state))
            item.menu.addAction('Stop', () => this._run(vm, 'stop', this._model.stop(vm.path)));
        if (['starting', 'stopping'].includes(vm.state))
            item.menu.addAction('Force stop', () => this._run(vm, 'stop', this._model.stop(vm.path, true)));
        if (vm.state === 'running')
            item.menu.addAction('Open terminal', () => this._openTerminal(vm));
        // Shows Autostart as bangerd has it: the menu is rebuilt when the property
        // changes, and redrawn from the model when the call is refused.
        const autostart = new PopupMenu.PopupSwitchMenuItem('Start at boot', vm.autostart);
        autostart.connect('toggled', (switchItem, enabled) => {
            this._model.setAutostart(vm.path, enabled).catch(e => {
                Main.notifyError(`banger: could not change autostart of ${vm.name}`, e.message);
                this._sync();
            });
        });
        item.menu.addMenuItem(autostart);
        if (vm.state === 'failed' && vm.lastError)
            item.menu.addMenuItem(new PopupMenu.PopupMenuItem(vm.lastError, {reactive: false}));
        return item;
    }

    _run(vm, verb, call) {
        call.catch(e => Main.notifyError(`banger: could not ${verb} ${vm.name}`, e.message));
    }

    _openTerminal(vm) {
        const argv = sshTerminalArgv(vm.name, name => GLib.find_program_in_path(name));
        if (!argv) {
            Main.notifyError('banger: no terminal', 'Install gnome-terminal or set x-terminal-emulator.');
            return;
        }
        Util.spawn(argv);
    }
});

class Extension {
    enable() {
        this._model = new BangerModel(Gio.DBus.system);
        this._indicator = new BangerIndicator(this._model);
        Main.panel.addToStatusArea(STATUS_AREA_NAME, this._indicator);
        this._model.init().catch(e => {
            if (!(e instanceof GLib.Error && e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED)))
                logError(e, 'banger: cannot follow bangerd on the system bus');
        });
    }

    disable() {
        this._indicator.destroy();
        this._indicator = null;
        this._model.destroy();
        this._model = null;
    }
}

function init() {
    return new Extension();
}
