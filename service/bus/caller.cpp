#include "bus/caller.h"

#include <mutex>
#include <unordered_map>

#include <sdbus-c++/Message.h>
#include <systemd/sd-bus.h>

#include "bus/raw_message.h"

namespace banger {

namespace {

// Unique names are never reused on a bus, so a sender's uid can be cached:
// this saves a round trip to the bus daemon on every call of a chatty client.
uid_t cached_uid(const sdbus::Message& message, const std::string& sender) {
  static std::mutex mutex;
  static std::unordered_map<std::string, uid_t> cache;
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(sender); it != cache.end()) return it->second;
  }
  uid_t uid = message.getCredsUid();
  std::lock_guard lock(mutex);
  if (cache.size() >= 4096) cache.clear();
  cache.emplace(sender, uid);
  return uid;
}

}  // namespace

Caller caller_of(const sdbus::Message& message) {
  Caller caller;
  caller.bus_name = message.getSender();
  caller.uid = cached_uid(message, caller.bus_name);
  caller.interactive = sd_bus_message_get_allow_interactive_authorization(raw_message(message)) > 0;
  return caller;
}

}  // namespace banger
