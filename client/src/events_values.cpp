#include "events_values.h"

#include <cstdint>
#include <map>
#include <vector>

namespace banger::client::detail {

namespace {

template <class T>
std::string number(const sdbus::Variant& v) {
  return std::to_string(v.get<T>());
}

std::string joined(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? ", " : "") + item;
  return out + "]";
}

}  // namespace

std::string value_text(const sdbus::Variant& v) {
  const std::string type = v.peekValueType();
  if (type == "s") return v.get<std::string>();
  if (type == "o") return v.get<sdbus::ObjectPath>();
  if (type == "b") return v.get<bool>() ? "true" : "false";
  if (type == "y") return number<std::uint8_t>(v);
  if (type == "n") return number<std::int16_t>(v);
  if (type == "q") return number<std::uint16_t>(v);
  if (type == "i") return number<std::int32_t>(v);
  if (type == "u") return number<std::uint32_t>(v);
  if (type == "x") return number<std::int64_t>(v);
  if (type == "t") return number<std::uint64_t>(v);
  if (type == "d") return std::to_string(v.get<double>());
  if (type == "as") return joined(v.get<std::vector<std::string>>());
  if (type == "ao") {
    std::vector<std::string> items;
    for (const auto& p : v.get<std::vector<sdbus::ObjectPath>>()) items.push_back(p);
    return joined(items);
  }
  if (type == "a{ss}") {
    std::string out = "{";
    for (const auto& [key, value] : v.get<std::map<std::string, std::string>>())
      out += (out.size() > 1 ? ", " : "") + key + ": " + value;
    return out + "}";
  }
  if (type == "a(sqs)") {  // VM.Ports: protocol, port, process
    std::vector<std::string> items;
    for (const auto& p : v.get<std::vector<sdbus::Struct<std::string, std::uint16_t, std::string>>>())
      items.push_back(std::get<0>(p) + "/" + std::to_string(std::get<1>(p)) +
                      (std::get<2>(p).empty() ? "" : " " + std::get<2>(p)));
    return joined(items);
  }
  return "<" + type + ">";  // a type this client does not know how to print
}

}  // namespace banger::client::detail
