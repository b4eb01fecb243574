#include "daemon.h"

// The Firecracker and QEMU backends register here (see the issues that add them).
int main(int argc, char** argv) { return banger::run_daemon(argc, argv, {}); }
