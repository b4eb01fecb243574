#!/bin/sh
# A QEMU binary for bus-doctor-slow: answers --version after 1 s, as a QEMU on
# a loaded host or a slow disk might. Nothing else is asked of it.
sleep 1
echo "QEMU emulator version 7.2.0 (slow stand-in)"
