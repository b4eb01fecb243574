#include "fake_firecracker_schema.h"

#include <set>

namespace fakefc {

using nlohmann::json;

namespace {

const char* type_name(Type type) {
  switch (type) {
    case Type::string: return "a string";
    case Type::boolean: return "a boolean";
    case Type::integer: return "an integer";
    case Type::object: return "an object";
    case Type::array: return "an array";
  }
  return "?";
}

bool has_type(const json& value, Type type) {
  switch (type) {
    case Type::string: return value.is_string();
    case Type::boolean: return value.is_boolean();
    case Type::integer: return value.is_number_integer();
    case Type::object: return value.is_object();
    case Type::array: return value.is_array();
  }
  return false;
}

}  // namespace

// Checks a body against a schema's properties: Firecracker (serde with
// deny_unknown_fields) rejects unknown fields, wrong types and missing
// required fields alike. Returns the fault message, empty when valid.
std::string check_schema(const json& body, const char* schema, std::initializer_list<Field> fields) {
  if (!body.is_object()) return std::string("An error occurred when deserializing the json body of a request: ") +
                                schema + " must be a JSON object";
  std::set<std::string> known;
  for (const auto& field : fields) {
    known.insert(field.name);
    if (!body.contains(field.name)) {
      if (field.required) return std::string(schema) + ": missing field `" + field.name + "`";
    } else if (!has_type(body[field.name], field.type)) {
      return std::string(schema) + ": field `" + field.name + "` must be " + type_name(field.type);
    }
  }
  for (const auto& [key, value] : body.items())
    if (!known.count(key)) return std::string(schema) + ": unknown field `" + key + "`";
  return {};
}

bool one_of(const json& body, const char* field, std::initializer_list<const char*> allowed) {
  if (!body.contains(field)) return true;
  for (const char* value : allowed)
    if (body[field] == value) return true;
  return false;
}

}  // namespace fakefc
