#pragma once
// What the fuzz client accepts as an answer: a method return whose signature is
// the method's out args from the XML (and, for Properties.Get/GetAll, values of
// the property's type), or an error whose name the contract documents, with a
// message. Anything else — an undocumented or unnamed error, an empty message,
// a return to a call with the wrong signature, no reply at all — is a violation.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <systemd/sd-bus.h>

#include "introspection.h"

namespace banger::busfuzz {

// The error names a reply may carry: banger's own (banger/bus_errors.h) minus
// the internal-error catch-all, those sd-bus and the bus answer calls they
// reject with before bangerd sees them, and `documented` (read_documented_errors).
std::set<std::string> accepted_errors(const std::vector<std::string>& documented);

struct Call {
  std::string path, interface, member;
  std::string signature;          // what the call carried
  const Method* method = nullptr; // the contract's method of that name, if any
  std::string property_interface; // Properties.*: the interface argument
  std::string property_name;      // Properties.Get: the property argument
};

class ReplyCheck {
 public:
  ReplyCheck(const std::vector<Interface>& interfaces, const std::vector<std::string>& documented_errors);

  // "" when the return is acceptable, else why not.
  std::string check_return(const Call& call, sd_bus_message* reply) const;
  // "" when the error is acceptable, else why not.
  std::string check_error(const Call& call, const sd_bus_error& error) const;

 private:
  std::string property_type(const std::string& interface, const std::string& name) const;
  std::string check_get_all(const Call& call, sd_bus_message* reply) const;

  std::map<std::string, std::map<std::string, std::string>> property_types_;
  std::set<std::string> accepted_;  // interface → name → type
};

std::string describe(const Call& call);

}  // namespace banger::busfuzz
