#!/usr/bin/env python3
"""Generates, from one interface XML, the two headers its property table needs.

<base>_properties.h — one tag per property, in the XML's order:
    struct MemoryMiB {
      static constexpr const char* name = "MemoryMiB";
      static constexpr const char* signature = "u";
      static constexpr bool emits_changes = true;   // false for EmitsChangedSignal const/false
      using type = std::uint32_t;                    // the type sdbus-c++ gives the signature
    };
    using All = PropertyList<Id, Name, ...>;
  bangerd's table (service/bus/*_properties.h) must list exactly `All`, in order, or it does
  not compile; the client reads a{sv} maps by the same tags.

<base>_table_adaptor.h — `TableAdaptor<Object>`: sdbus-c++'s generated adaptor with every
  property getter answered by `object.property<Tag>()`, so an object holds no getter of its own.

Usage: gen_property_tags.py INTERFACE.xml OUT_PROPERTIES_H OUT_TABLE_ADAPTOR_H
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

BASIC = {
    "y": "std::uint8_t", "b": "bool", "n": "std::int16_t", "q": "std::uint16_t",
    "i": "std::int32_t", "u": "std::uint32_t", "x": "std::int64_t", "t": "std::uint64_t",
    "d": "double", "s": "std::string", "o": "sdbus::ObjectPath", "g": "sdbus::Signature",
    "h": "sdbus::UnixFd", "v": "sdbus::Variant",
}


def cpp_type(sig, i=0):
    """The C++ type sdbus-c++ uses for the complete type starting at sig[i]; returns (type, next i)."""
    c = sig[i]
    if c in BASIC:
        return BASIC[c], i + 1
    if c == "a":
        if sig[i + 1] == "{":
            key, j = cpp_type(sig, i + 2)
            value, j = cpp_type(sig, j)
            assert sig[j] == "}", sig
            return f"std::map<{key}, {value}>", j + 1
        element, j = cpp_type(sig, i + 1)
        return f"std::vector<{element}>", j
    if c == "(":
        fields, j = [], i + 1
        while sig[j] != ")":
            field, j = cpp_type(sig, j)
            fields.append(field)
        return f"sdbus::Struct<{', '.join(fields)}>", j + 1
    raise SystemExit(f"unsupported D-Bus signature {sig!r}")


def properties_of(xml_path):
    interface = ET.parse(xml_path).getroot().find("interface")
    out = []
    for prop in interface.findall("property"):
        emits = "true"
        for note in prop.findall("annotation"):
            if note.get("name") == "org.freedesktop.DBus.Property.EmitsChangedSignal":
                emits = note.get("value")
        sig = prop.get("type")
        typ, end = cpp_type(sig)
        if end != len(sig):
            raise SystemExit(f"{xml_path}: property {prop.get('name')}: not one complete type: {sig!r}")
        out.append({"name": prop.get("name"), "sig": sig, "type": typ, "emits": emits == "true",
                    "access": prop.get("access")})
    return interface.get("name"), out


def main():
    xml_path, out_tags, out_adaptor = sys.argv[1:4]
    interface, props = properties_of(xml_path)
    short = interface.rsplit(".", 1)[1]
    source = Path(xml_path).name
    for p in props:
        if p["access"] != "read":
            raise SystemExit(f"{source}: {p['name']}: only read-only properties have a table (bangerd's"
                             " properties never trigger actions; Set is a method)")

    tags = [f"// Generated from {source} by gen_property_tags.py; do not edit.",
            "#pragma once", "#include <cstdint>", "#include <map>", "#include <string>", "#include <vector>", "",
            "#include <sdbus-c++/Types.h>", "", '#include "banger/property_list.h"', "",
            f"namespace banger::properties::{short} {{", "",
            f'inline constexpr const char* interface_name = "{interface}";', ""]
    for p in props:
        tags += [f"struct {p['name']} {{",
                 f'  static constexpr const char* name = "{p["name"]}";',
                 f'  static constexpr const char* signature = "{p["sig"]}";',
                 f"  static constexpr bool emits_changes = {'true' if p['emits'] else 'false'};",
                 f"  using type = {p['type']};", "};"]
    tags += ["", f"using All = PropertyList<{', '.join(p['name'] for p in props)}>;", "",
             f"}}  // namespace banger::properties::{short}", ""]
    Path(out_tags).write_text("\n".join(tags))

    base = Path(xml_path).stem
    adaptor = [f"// Generated from {source} by gen_property_tags.py; do not edit.", "#pragma once", "",
               f'#include "{base}_adaptor.h"', f'#include "{base}_properties.h"', "",
               "namespace banger::properties {", "",
               f"// {short}'s adaptor, its property getters answered by Object::property<Tag>() (the table).",
               "template <typename Object>",
               f"class {short}TableAdaptor : public {interface.replace('.', '::')}_adaptor {{",
               " protected:", f"  using {short}_adaptor::{short}_adaptor;", "", " private:"]
    for p in props:
        tag = f"::banger::properties::{short}::{p['name']}"
        adaptor.append(f"  {p['type']} {p['name']}() override {{"
                       f" return static_cast<const Object&>(*this).template property<{tag}>(); }}")
    adaptor += ["};", "", "}  // namespace banger::properties", ""]
    Path(out_adaptor).write_text("\n".join(adaptor))


if __name__ == "__main__":
    main()
