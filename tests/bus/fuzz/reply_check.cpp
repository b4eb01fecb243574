#include "reply_check.h"

#include "banger/bus_errors.h"

namespace banger::busfuzz {

std::set<std::string> accepted_errors(const std::vector<std::string>& documented) {
  namespace e = banger::bus::error;
  std::set<std::string> names = {
      e::no_such_vm, e::no_such_image, e::no_such_network, e::exists, e::ambiguous, e::invalid_state,
      e::busy, e::backend_failed, e::resource_exhausted, e::invalid_args, e::access_denied,
      e::interactive_authorization_required,
      // sd-bus's own answers: no such object, interface, method or property,
      // a read-only property written (wrong signatures are InvalidArgs above).
      "org.freedesktop.DBus.Error.UnknownMethod", "org.freedesktop.DBus.Error.UnknownObject",
      "org.freedesktop.DBus.Error.UnknownInterface", "org.freedesktop.DBus.Error.UnknownProperty",
      "org.freedesktop.DBus.Error.PropertyReadOnly"};
  names.insert(documented.begin(), documented.end());
  // The catch-all for internal errors is never an acceptable answer to input.
  names.erase(e::failed);
  return names;
}

ReplyCheck::ReplyCheck(const std::vector<Interface>& interfaces, const std::vector<std::string>& documented_errors)
    : accepted_(accepted_errors(documented_errors)) {
  for (const auto& i : interfaces)
    for (const auto& p : i.properties) property_types_[i.name][p.name] = p.type;
}

std::string ReplyCheck::property_type(const std::string& interface, const std::string& name) const {
  if (interface.empty()) {  // the D-Bus spec: an empty interface means any
    for (const auto& [_, types] : property_types_)
      if (auto p = types.find(name); p != types.end()) return p->second;
    return "";
  }
  auto i = property_types_.find(interface);
  if (i == property_types_.end()) return "";
  auto p = i->second.find(name);
  return p == i->second.end() ? "" : p->second;
}

namespace {

// libsystemd's own handlers of Properties and Introspectable read the arguments
// they need and ignore any that follow; its Peer handler reads none. Not
// bangerd's code: a wrong type among the arguments read is still an error.
bool sd_bus_lenient(const Call& call) {
  if (call.interface == "org.freedesktop.DBus.Peer") return true;
  const bool builtin = call.interface == "org.freedesktop.DBus.Properties" ||
                       call.interface == "org.freedesktop.DBus.Introspectable";
  return builtin && call.signature.rfind(call.method->in, 0) == 0;
}

}  // namespace

std::string ReplyCheck::check_return(const Call& call, sd_bus_message* reply) const {
  if (!call.method) return "a return to an unknown method";
  if (call.signature != call.method->in && !sd_bus_lenient(call))
    return "a return to a call with the wrong signature (expected '" + call.method->in + "')";
  const char* got = sd_bus_message_get_signature(reply, 1);
  if (std::string(got ? got : "") != call.method->out)
    return std::string("return signature '") + (got ? got : "") + "', the XML says '" + call.method->out + "'";
  if (call.interface != "org.freedesktop.DBus.Properties") return "";
  if (call.member == "Get") {
    const std::string want = property_type(call.property_interface, call.property_name);
    if (want.empty()) return "Get of a property the XML does not have succeeded";
    const char* contents = nullptr;
    if (sd_bus_message_peek_type(reply, nullptr, &contents) < 0 || !contents) return "unreadable variant";
    if (want != contents) return std::string("property of type '") + contents + "', the XML says '" + want + "'";
  }
  if (call.member == "GetAll") return check_get_all(call, reply);
  return "";
}

std::string ReplyCheck::check_get_all(const Call& call, sd_bus_message* reply) const {
  if (!call.property_interface.empty() && property_types_.find(call.property_interface) == property_types_.end()) {
    // sd-bus answers GetAll of an interface the object lacks with an empty dict only
    // for standard interfaces; for anything else there must be no properties.
    if (sd_bus_message_enter_container(reply, 'a', "{sv}") < 0) return "unreadable GetAll";
    int empty = sd_bus_message_at_end(reply, 0);
    sd_bus_message_exit_container(reply);
    return empty > 0 ? "" : "GetAll of an interface the XML has no properties for returned some";
  }
  if (sd_bus_message_enter_container(reply, 'a', "{sv}") < 0) return "unreadable GetAll";
  while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
    const char* name = nullptr;
    const char* contents = nullptr;
    if (sd_bus_message_read_basic(reply, 's', &name) < 0 || sd_bus_message_peek_type(reply, nullptr, &contents) < 0)
      return "unreadable GetAll entry";
    const std::string want = property_type(call.property_interface, name);
    if (want.empty()) return std::string("GetAll returned '") + name + "', which the XML lacks";
    if (want != contents) return std::string("GetAll: '") + name + "' of type '" + contents + "', the XML says '" + want + "'";
    sd_bus_message_skip(reply, "v");
    sd_bus_message_exit_container(reply);
  }
  sd_bus_message_exit_container(reply);
  return "";
}

std::string ReplyCheck::check_error(const Call&, const sd_bus_error& error) const {
  const std::string name = error.name ? error.name : "";
  const std::string message = error.message ? error.message : "";
  if (name.empty()) return "an error without a name";
  if (!accepted_.count(name)) return "undocumented error " + name + ": " + message;
  if (message.empty()) return "error " + name + " without a message";
  return "";
}

std::string describe(const Call& call) {
  std::string s = call.interface + "." + call.member + "('" + call.signature + "') on " + call.path;
  if (!call.property_interface.empty()) s += " [" + call.property_interface + " " + call.property_name + "]";
  // Arguments may be 1 MiB strings: a report line stays readable.
  return s.size() > 300 ? s.substr(0, 300) + "…" : s;
}

}  // namespace banger::busfuzz
