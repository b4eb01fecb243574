#include "net/nat_forwarding.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/errors.h"

namespace banger {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw Error(ErrorKind::backend_failed, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

bool enable_ipv4_forwarding(const std::string& path) {
  std::ifstream in(path);
  char current = 0;
  if (!(in >> current)) fail("cannot read", path);
  if (current == '1') return true;

  std::ofstream out(path);
  out << "1\n";
  out.flush();
  if (!out) fail("cannot write", path);
  return false;
}

}  // namespace banger
