#pragma once
// The fake Firecracker's check of a request body against firecracker-api.yaml:
// Firecracker (serde with deny_unknown_fields) rejects unknown fields, wrong
// types and missing required fields alike.
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

namespace fakefc {

enum class Type { string, boolean, integer, object, array };

struct Field {
  const char* name;
  Type type;
  bool required = false;
};

// The fault message for `body` as the schema named `schema` with `fields`; empty when valid.
std::string check_schema(const nlohmann::json& body, const char* schema, std::initializer_list<Field> fields);
// Whether `body`'s `field`, when there, is one of `allowed` (an enum of the spec).
bool one_of(const nlohmann::json& body, const char* field, std::initializer_list<const char*> allowed);

}  // namespace fakefc
