#include "net/port_forward_table.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "core/errors.h"
#include "net/nft_script.h"

namespace banger {

namespace {

std::string listing_command() { return fmt::format("list table {} {}\n", forward_table_family, forward_table_name); }

}  // namespace

void PortForwardTable::apply(const std::vector<ForwardRule>& rules) {
  // The table first: it holds the guard that drops 127/8 packets coming in
  // from a bridge. Only once it is in place may route_localnet go on; the
  // other way round, a refused or slow batch would leave a bridge taking
  // loopback-addressed packets from guests with nothing to drop them.
  const auto script = forward_apply_script(rules);
  if (!(script == written_script_ && nft_listing(listing_command()) == written_listing_)) {
    written_script_.clear();  // until the new table is written and listed
    run_nft_script(script, "applying banger's port-forward table");
    if (auto listing = nft_listing(listing_command())) {
      written_script_ = script;
      written_listing_ = std::move(*listing);
    }
  }
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

void PortForwardTable::remove() {
  written_script_.clear();
  run_nft_script(forward_remove_script(), "removing banger's port-forward table");
}

}  // namespace banger
