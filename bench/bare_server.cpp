#include "bare_server.h"

#include <map>

#include <fmt/format.h>

namespace banger::bench {

namespace {

constexpr const char* bare_name = "dev.banger.BenchBareServer";

using Properties = std::map<std::string, sdbus::Variant>;
using ObjectMap = std::map<sdbus::ObjectPath, std::map<std::string, Properties>>;

ObjectMap managed_objects(sdbus::IProxy& root) {
  ObjectMap objects;
  root.callMethod("GetManagedObjects").onInterface("org.freedesktop.DBus.ObjectManager").storeResultsTo(objects);
  return objects;
}

}  // namespace

std::string bare_server_policy() {
  return fmt::format(
      "<policy user=\"root\"><allow own=\"{0}\"/></policy>\n"
      "<policy context=\"default\"><allow send_destination=\"{0}\"/><allow receive_sender=\"{0}\"/></policy>\n",
      bare_name);
}

BareServer::BareServer(Stack& stack, const std::string& executable, const std::string& vm_path) {
  pid_ = spawn({executable, stack.address(), bare_name, vm_path}, stack.dir() / "bare-server.log");
  wait_until(
      [&] {
        bool has = false;
        stack.dbus()
            .callMethod("NameHasOwner")
            .onInterface("org.freedesktop.DBus")
            .withArguments(std::string(bare_name))
            .storeResultsTo(has);
        return has;
      },
      std::chrono::seconds(60), "bench-bus-bare");
  vm_ = sdbus::createProxy(stack.connection(), bare_name, vm_path);
  root_ = sdbus::createProxy(stack.connection(), bare_name, "/dev/banger/banger1");
}

BareServer::~BareServer() {
  vm_.reset();
  root_.reset();
  stop_process(pid_);
}

std::string shape_difference(sdbus::IProxy& bangerd_root, sdbus::IProxy& bare_root) {
  const auto ours = managed_objects(bangerd_root), bare = managed_objects(bare_root);
  if (ours.size() != bare.size()) return fmt::format("{} objects against {}", ours.size(), bare.size());
  for (auto a = ours.begin(), b = bare.begin(); a != ours.end(); ++a, ++b) {
    if (a->first != b->first) return fmt::format("object {} against {}", std::string(a->first), std::string(b->first));
    if (a->second.size() != b->second.size()) return fmt::format("{}: interfaces differ", std::string(a->first));
    for (auto i = a->second.begin(), j = b->second.begin(); i != a->second.end(); ++i, ++j) {
      if (i->first != j->first || i->second.size() != j->second.size())
        return fmt::format("{}: interface {} against {}", std::string(a->first), i->first, j->first);
      for (auto p = i->second.begin(), q = j->second.begin(); p != i->second.end(); ++p, ++q)
        if (p->first != q->first || p->second.peekValueType() != q->second.peekValueType())
          return fmt::format("{} {}: property {} ({}) against {} ({})", std::string(a->first), i->first, p->first,
                             p->second.peekValueType(), q->first, q->second.peekValueType());
    }
  }
  return {};
}

}  // namespace banger::bench
