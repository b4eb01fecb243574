#include "vmm/firecracker/api_answers.h"

#include <nlohmann/json.hpp>

#include "core/utf8.h"

namespace banger {

namespace {

// The string member `key` of a JSON object body, else nullptr.
const nlohmann::json* string_member(const nlohmann::json& body, const char* key) {
  if (!body.is_object()) return nullptr;
  auto member = body.find(key);
  return member != body.end() && member->is_string() ? &*member : nullptr;
}

}  // namespace

std::string firecracker_fault_message(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (const auto* fault = string_member(j, "fault_message")) return fault->get<std::string>();
  return body.empty() ? "no details" : valid_utf8(body);
}

bool firecracker_reports_paused(std::string_view instance_info) {
  auto j = nlohmann::json::parse(instance_info, nullptr, false);
  const auto* state = string_member(j, "state");
  return state != nullptr && state->get<std::string>() == "Paused";
}

}  // namespace banger
