#pragma once
// The bus contract as the fuzz client sees it: interfaces, methods with their in
// and out signatures, and properties, read from banger's introspection XML
// (interfaces/*.xml) plus the standard interfaces sd-bus serves on every object.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace banger::busfuzz {

struct Method {
  std::string interface;
  std::string name;
  std::string in;   // concatenated signature of the in args
  std::string out;  // of the out args: what a method return must carry
};

struct Property {
  std::string name;
  std::string type;
  bool writable = false;
};

struct Interface {
  std::string name;
  std::vector<Method> methods;
  std::vector<Property> properties;
};

// Every <interface> of every *.xml file in `dir`. A deliberately small reader
// for the introspection format (elements and double-quoted attributes, comments
// skipped): the files are the project's own, so no general XML parser is needed.
std::vector<Interface> read_interfaces(const std::filesystem::path& dir);
std::vector<Interface> parse_interfaces(const std::string& xml);

// Every full error name (org.freedesktop.DBus.Error.X, dev.banger.banger1.Error.X)
// the XML files' comments mention: the errors the contract documents.
std::vector<std::string> read_documented_errors(const std::filesystem::path& dir);

// org.freedesktop.DBus.{Properties,ObjectManager,Introspectable,Peer}.
std::vector<Interface> standard_interfaces();

// The complete types of a signature, in order ("sa{sv}" → {"s", "a{sv}"}).
std::vector<std::string> split_signature(const std::string& signature);

}  // namespace banger::busfuzz
