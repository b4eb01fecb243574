// bangerctl: command-line front end of libbanger-client. Each verb lives in a
// cmd_*.cpp file; app.cpp wires them together.
#include "app.h"

int main(int argc, char** argv) {
  CLI::App app{"Manage banger microVMs through bangerd.", "bangerctl"};
  bangerctl::Globals globals;
  bangerctl::Invocation invocation;
  bangerctl::setup(app, globals, invocation);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return bangerctl::usage_error(app, e);
  }
  return bangerctl::run(invocation);
}
