// The generated docs/dbus-api.md against what a running bangerd really
// exports: every method, signal and property of every banger interface on the
// Manager, a VM, its Operation and a Network is documented, each method with
// its polkit action and errors.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace banger::test {
namespace {

std::string read_doc() {
  const char* path = std::getenv("BANGER_API_DOC");
  if (path == nullptr) return {};
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "<interface>.<member>" for every banger member the object at `path` exports.
std::set<std::string> exported_members(BusEnvironment& env, const std::string& path) {
  auto r = env.busctl("", {"introspect", "--xml-interface", kService, path});
  EXPECT_TRUE(r.ok()) << r.describe();
  std::set<std::string> members;
  static const std::regex interface_re(R"re(<interface name="(dev\.banger\.banger1\.[^"]+)">([\s\S]*?)</interface>)re");
  static const std::regex member_re(R"re(<(method|signal|property) name="([^"]+)")re");
  for (std::sregex_iterator i(r.out.begin(), r.out.end(), interface_re), end; i != end; ++i) {
    const std::string body = (*i)[2];
    for (std::sregex_iterator m(body.begin(), body.end(), member_re); m != end; ++m)
      members.insert((*i)[1].str() + "." + (*m)[2].str());
  }
  return members;
}

class ApiDoc : public ClientTest {};

TEST_F(ApiDoc, ListsEveryExportedMemberWithItsPolkitActionAndErrors) {
  const std::string doc = read_doc();
  ASSERT_FALSE(doc.empty()) << "BANGER_API_DOC names no readable file";

  auto created = env().busctl("", create_args("doc-vm"));
  ASSERT_TRUE(created.ok()) << created.describe();
  auto paths = busctl_data(created);
  ASSERT_TRUE(paths.is_array() && paths.size() == 2) << created.out;
  auto networks = env().busctl("", {"--json=short", "call", kService, kRoot, kManager, "ListNetworks"});
  ASSERT_TRUE(networks.ok()) << networks.describe();
  auto rows = busctl_data(networks)[0];  // one out argument: a(ssbo)
  ASSERT_TRUE(rows.is_array() && !rows.empty()) << networks.out;

  std::set<std::string> members;
  for (const std::string& path : std::vector<std::string>{kRoot, paths[0].get<std::string>(), paths[1].get<std::string>(),
                                 rows[0][3].get<std::string>()})
    members.merge(exported_members(env(), path));
  for (const auto interface : {"Manager", "VM", "Operation", "Network"}) {
    const std::string prefix = std::string("dev.banger.banger1.") + interface + ".";
    EXPECT_TRUE(std::any_of(members.begin(), members.end(), [&](const auto& m) { return m.rfind(prefix, 0) == 0; }))
        << "nothing of " << interface << " was introspected";
  }

  for (const auto& member : members) {
    const std::string heading = "#### `" + member + "`\n";
    const std::string row = "| `" + member + "` |";
    const auto at = doc.find(heading);
    if (at == std::string::npos) {
      EXPECT_NE(doc.find(row), std::string::npos) << member << " is exported but not in the API document";
      continue;
    }
    // A signal's section ends at the next heading; a method's lists polkit and errors.
    const auto next = doc.find("\n#", at + heading.size());
    const std::string section = doc.substr(at, next == std::string::npos ? std::string::npos : next - at);
    if (section.find("`" + member.substr(member.rfind('.') + 1) + "(") == std::string::npos)
      ADD_FAILURE() << member << ": no signature in\n" << section;
    const bool is_signal = section.find("- polkit:") == std::string::npos;
    if (!is_signal) {
      EXPECT_NE(section.find("- errors:"), std::string::npos) << section;
    }
  }
  EXPECT_GT(members.size(), 40u) << "introspection found too little to check";
}

}  // namespace
}  // namespace banger::test
