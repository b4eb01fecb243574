#include "host_extensions.h"

int main(int argc, char** argv) { return banger::run_daemon(argc, argv, banger::host_extensions()); }
