// The command that opens a terminal with `bangerctl ssh VM`: GNOME's terminal
// when it is installed, else Debian's x-terminal-emulator alternative.
/* exported sshTerminalArgv */
'use strict';

// findProgram(name) → its path or null (GLib.find_program_in_path in the extension).
function sshTerminalArgv(vmName, findProgram) {
    const ssh = ['bangerctl', 'ssh', vmName];
    if (findProgram('gnome-terminal'))
        return ['gnome-terminal', '--', ...ssh];
    if (findProgram('x-terminal-emulator'))
        return ['x-terminal-emulator', '-e', ...ssh];
    return null;
}
