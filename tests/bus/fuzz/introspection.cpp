#include "introspection.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace banger::busfuzz {

namespace {

struct Element {
  std::string name;  // "method", "/method", …
  std::map<std::string, std::string> attributes;
};

// The next element tag after `pos`, comments and declarations skipped.
bool next_element(const std::string& xml, std::size_t& pos, Element& out) {
  while (true) {
    std::size_t open = xml.find('<', pos);
    if (open == std::string::npos) return false;
    if (xml.compare(open, 4, "<!--") == 0) {
      std::size_t end = xml.find("-->", open);
      if (end == std::string::npos) throw std::runtime_error("unterminated comment");
      pos = end + 3;
      continue;
    }
    std::size_t close = xml.find('>', open);
    if (close == std::string::npos) throw std::runtime_error("unterminated tag");
    pos = close + 1;
    if (xml[open + 1] == '!' || xml[open + 1] == '?') continue;
    std::string tag = xml.substr(open + 1, close - open - 1);
    if (!tag.empty() && tag.back() == '/') tag.pop_back();
    std::istringstream words(tag);
    out = {};
    words >> out.name;
    std::size_t at = out.name.size();
    while (true) {
      std::size_t eq = tag.find('=', at);
      if (eq == std::string::npos) break;
      std::size_t key_start = tag.find_last_of(" \t\n", eq) + 1;
      std::size_t q1 = tag.find('"', eq);
      std::size_t q2 = tag.find('"', q1 + 1);
      if (q1 == std::string::npos || q2 == std::string::npos) throw std::runtime_error("bad attribute in <" + tag + ">");
      out.attributes[tag.substr(key_start, eq - key_start)] = tag.substr(q1 + 1, q2 - q1 - 1);
      at = q2 + 1;
    }
    return true;
  }
}

}  // namespace

std::vector<Interface> parse_interfaces(const std::string& xml) {
  std::vector<Interface> result;
  Element e;
  std::size_t pos = 0;
  Method* method = nullptr;
  while (next_element(xml, pos, e)) {
    if (e.name == "interface") {
      result.push_back({e.attributes["name"], {}, {}});
    } else if (e.name == "method" && !result.empty()) {
      result.back().methods.push_back({result.back().name, e.attributes["name"], "", ""});
      method = &result.back().methods.back();
    } else if (e.name == "/method") {
      method = nullptr;
    } else if (e.name == "arg" && method) {
      (e.attributes["direction"] == "out" ? method->out : method->in) += e.attributes["type"];
    } else if (e.name == "property" && !result.empty()) {
      result.back().properties.push_back(
          {e.attributes["name"], e.attributes["type"], e.attributes["access"].find("write") != std::string::npos});
    }
  }
  return result;
}

std::vector<Interface> read_interfaces(const std::filesystem::path& dir) {
  std::vector<Interface> result;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".xml") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    for (auto& i : parse_interfaces(text.str())) result.push_back(std::move(i));
  }
  if (result.empty()) throw std::runtime_error("no interfaces in " + dir.string());
  return result;
}

std::vector<std::string> read_documented_errors(const std::filesystem::path& dir) {
  static const std::regex name(R"((org\.freedesktop\.DBus|dev\.banger\.banger1)\.Error\.[A-Za-z]+)");
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".xml") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    for (auto it = std::sregex_iterator(s.begin(), s.end(), name); it != std::sregex_iterator(); ++it)
      names.push_back(it->str());
  }
  return names;
}

std::vector<Interface> standard_interfaces() {
  const std::string p = "org.freedesktop.DBus.Properties";
  const std::string om = "org.freedesktop.DBus.ObjectManager";
  const std::string in = "org.freedesktop.DBus.Introspectable";
  const std::string peer = "org.freedesktop.DBus.Peer";
  return {
      {p, {{p, "Get", "ss", "v"}, {p, "GetAll", "s", "a{sv}"}, {p, "Set", "ssv", ""}}, {}},
      {om, {{om, "GetManagedObjects", "", "a{oa{sa{sv}}}"}}, {}},
      {in, {{in, "Introspect", "", "s"}}, {}},
      {peer, {{peer, "Ping", "", ""}, {peer, "GetMachineId", "", "s"}}, {}},
  };
}

std::vector<std::string> split_signature(const std::string& signature) {
  std::vector<std::string> types;
  std::size_t i = 0;
  while (i < signature.size()) {
    std::size_t start = i;
    // Array prefixes belong to the element that follows them.
    while (i < signature.size() && signature[i] == 'a') ++i;
    if (i < signature.size() && (signature[i] == '(' || signature[i] == '{')) {
      int depth = 0;
      do {
        if (signature[i] == '(' || signature[i] == '{') ++depth;
        if (signature[i] == ')' || signature[i] == '}') --depth;
        ++i;
      } while (i < signature.size() && depth > 0);
    } else {
      ++i;
    }
    types.push_back(signature.substr(start, i - start));
  }
  return types;
}

}  // namespace banger::busfuzz
