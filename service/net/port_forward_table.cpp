#include "net/port_forward_table.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "core/errors.h"
#include "net/nft_script.h"

namespace banger {

void PortForwardTable::apply(const std::vector<ForwardRule>& rules) {
  // The table first: it holds the guard that drops 127/8 packets coming in
  // from a bridge. Only once it is in place may route_localnet go on; the
  // other way round, a refused or slow batch would leave a bridge taking
  // loopback-addressed packets from guests with nothing to drop them.
  run_nft_script(forward_apply_script(rules), "applying banger's port-forward table");
  std::set<std::string> bridges;
  for (const auto& rule : rules) bridges.insert(rule.bridge);
  for (const auto& bridge : bridges) {
    const auto path = proc_sys_ / bridge / "route_localnet";
    std::ofstream out(path);
    out << "1\n";
    out.flush();
    if (!out)
      throw Error(ErrorKind::backend_failed, "cannot turn on route_localnet (" + path.string() + "): " +
                                                 std::strerror(errno));
  }
}

void PortForwardTable::remove() { run_nft_script(forward_remove_script(), "removing banger's port-forward table"); }

}  // namespace banger
