#include "net/port_forward_table.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "core/errors.h"
#include "net/nft_script.h"

namespace banger {

void PortForwardTable::apply(const std::vector<ForwardRule>& rules) {
  const std::string script = forward_apply_script(rules);  // validates the bridge names first
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
  run_nft_script(script, "applying banger's port-forward table");
}

void PortForwardTable::remove() { run_nft_script(forward_remove_script(), "removing banger's port-forward table"); }

}  // namespace banger
