#include "bus/caller.h"

#include <cstring>
#include <mutex>
#include <unordered_map>

#include <sdbus-c++/Error.h>
#include <sdbus-c++/Message.h>
#include <systemd/sd-bus.h>

#include "bus/raw_message.h"

namespace banger {

const std::uint64_t caller_creds_mask = SD_BUS_CREDS_EUID;

namespace {

[[noreturn]] void no_uid(const std::string& why) {
  throw sdbus::Error("org.freedesktop.DBus.Error.AccessDenied", "cannot tell who the caller is: " + why);
}

}  // namespace

uid_t bus_vouched_euid(const sdbus::Message& message) {
  sd_bus_creds* creds = nullptr;
  // No SD_BUS_CREDS_AUGMENT (which sdbus-c++'s getCreds*() ask for): sd-bus would then
  // complete what the bus did not send from /proc/<sender's pid>, racing with pid reuse.
  const int r = sd_bus_query_sender_creds(raw_message(message), caller_creds_mask, &creds);
  if (r < 0) no_uid(std::string("the bus sent no credentials: ") + std::strerror(-r));
  uid_t euid = 0;
  const int got = sd_bus_creds_get_euid(creds, &euid);
  const std::uint64_t augmented = sd_bus_creds_get_augmented_mask(creds);
  sd_bus_creds_unref(creds);
  if (got < 0) no_uid(std::string("the bus sent no uid: ") + std::strerror(-got));
  if ((augmented & SD_BUS_CREDS_EUID) != 0) no_uid("the uid came from /proc, not from the bus");
  return euid;
}

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
  uid_t uid = bus_vouched_euid(message);
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
