#include "bus/operation_log.h"

#include <cctype>

#include "banger/object_path.h"

namespace banger {

namespace {

// The object a call acts on, in the order a call's details may name several
// (CreateVM on a network names the VM and the network).
constexpr const char* subject_kinds[] = {"vm", "image", "network"};

std::string field_name(const std::string& key) {
  std::string name = "BANGER_";
  for (char c : key) name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  return name;
}

}  // namespace

OperationLog::OperationLog(const Caller& caller, const std::map<std::string, std::string>& details)
    : uid_(caller.uid), details_(details) {}

void OperationLog::set_target(const std::string& object_path) {
  if (auto id = bus::vm_id_from_path(object_path)) details_["vm_id"] = *id;
  if (auto id = bus::image_id_from_path(object_path)) details_["image_id"] = *id;
}

std::string OperationLog::operation() const {
  const auto verb = details_.find("verb");
  const std::string what = verb == details_.end() ? "call" : verb->second;
  for (const char* kind : subject_kinds)
    if (details_.count(kind)) return std::string(kind) + "." + what;
  return what;
}

log::Fields OperationLog::fields(const std::string& result, std::chrono::milliseconds duration) const {
  log::Fields out{{"BANGER_OPERATION", operation()}};
  for (const auto& [key, value] : details_)
    if (key != "verb") out.emplace_back(field_name(key), value);
  out.emplace_back("BANGER_UID", std::to_string(uid_));
  out.emplace_back("BANGER_DURATION_MS", std::to_string(duration.count()));
  out.emplace_back("BANGER_RESULT", result);
  return out;
}

void OperationLog::finished(const std::string& result) const {
  // Reads are frequent (bangerctl logs --follow polls) and change nothing.
  if (auto verb = details_.find("verb"); verb != details_.end() && verb->second == "readconsole") return;
  const auto duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began_);
  std::string subject;
  for (const char* kind : subject_kinds)
    if (auto it = details_.find(kind); it != details_.end()) {
      subject = " " + it->second;
      break;
    }
  log::write(result == "ok" ? 6 : 4,
             fmt::format("{}{} by uid {}: {} in {} ms", operation(), subject, uid_, result, duration.count()),
             fields(result, duration));
}

}  // namespace banger
