#include "values.h"

#include <cmath>
#include <limits>
#include <map>

#include "introspection.h"

namespace banger::busfuzz {

namespace {

// Option keys of every a{sv} in the contract (CreateVM, Set, ImportImage,
// CreateNetwork, Push/PullWorkspace) with the type each expects.
const std::map<std::string, std::string> known_options = {
    {"vcpus", "u"},      {"memory", "u"},       {"image", "s"},          {"backend", "s"},
    {"network", "s"},    {"disk", "u"},         {"work_disk", "u"},      {"keep_work_disk", "b"},
    {"forward_ports", "b"}, {"autostart", "b"}, {"idle_suspend", "u"}, {"name", "s"},      {"subnet", "s"},         {"nat", "b"},
    {"dns_domain", "s"}, {"target", "s"},       {"source", "s"},         {"rootfs", "h"},
    {"kernel", "h"},     {"vmlinux", "h"},      {"initrd", "h"},
};

// Paths are opened by the daemon (ImportImage parts as strings): never a
// device that reads forever, only files that exist and are harmless or do not.
const std::vector<std::string> boundary_strings = {
    "", "a", "-", "--help", ".", "..", "../..", "../../etc/passwd", "/", "a/b", "/etc/passwd", "/dev/null",
    "/tmp", "/nonexistent/file", "relative/path", "*", "?", "%s%s%n%x", "\\", "'", "\"", " ", "\t", "\n",
    "name with spaces", "UPPER", "web", "default", "test", "qemu", "firecracker", "tcp", "udp", "sctp", "TCP",
    "banger", "10.0.0.0/8", "192.168.7.0/24", "10.99.0.0/29", "0.0.0.0/0", "256.1.1.1/24", "8.8.8.0/24",
    "10.1.2.3/33", "fe80::/64", "'; DROP TABLE vms; --", "ssh-ed25519 AAAA fuzz@host",
    "SHA256:0000000000000000000000000000000000000000000", "a.b", "-leading", "trailing-", "x-",
};

const char* basic_types = "ybnqiuxtdsogh";

}  // namespace

std::uint64_t ValueGenerator::number(std::uint64_t max) {
  const std::uint64_t boundaries[] = {0, 1, 2, 63, 64, 127, 128, 255, 256, 1023, 1024, 4096, 65535, 65536,
                                      16777216, 0x7fffffff, 0xfffffffe, 0xffffffff, 1ull << 40,
                                      0x7fffffffffffffffull, 0xffffffffffffffffull};
  if (chance(0.8)) {
    std::uint64_t v = boundaries[pick(std::size(boundaries))];
    return v > max ? max : v;
  }
  return std::uniform_int_distribution<std::uint64_t>(0, max)(rng_);
}

std::string ValueGenerator::junk_utf8(std::size_t length) {
  // Odd code points (controls, BOM, bidi overrides, combining marks, the
  // largest sd-bus takes: it refuses the noncharacters U+FFFF, U+10FFFF) and "binary" bytes 0x01..0xff taken as code points: all valid
  // UTF-8 (sd-bus refuses anything else) and NUL-free.
  const char32_t odd[] = {0x01, 0x1b, 0x7f, 0x85, 0xa0, 0x300, 0x202e, 0x200b, 0xfeff, 0xfffd, 0xfffc,
                          0x1f600, 0x10fffd, '/', '.', '-'};
  std::string s;
  for (std::size_t i = 0; i < length; ++i) {
    char32_t c = chance(0.5) ? odd[pick(std::size(odd))] : static_cast<char32_t>(1 + pick(255));
    if (c < 0x80) {
      s += static_cast<char>(c);
    } else if (c < 0x800) {
      s += static_cast<char>(0xc0 | (c >> 6));
      s += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      s += static_cast<char>(0xe0 | (c >> 12));
      s += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      s += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      s += static_cast<char>(0xf0 | (c >> 18));
      s += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
      s += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      s += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return s;
}

std::string ValueGenerator::string_value() {
  switch (pick(10)) {
    case 0:
    case 1:
      return boundary_strings[pick(boundary_strings.size())];
    case 2:
      if (!pools_.refs.empty()) {
        const std::string& ref = pools_.refs[pick(pools_.refs.size())];
        return chance(0.3) && ref.size() > 1 ? ref.substr(0, 1 + pick(ref.size() - 1)) : ref;
      }
      return "";
    case 3:
      // Names the daemon may accept: these create VMs, networks and images.
      return "fz" + std::to_string(pick(100000));
    case 4:
      return junk_utf8(1 + pick(40));
    case 5: {
      // Lengths around the usual limits (DNS label 63, file name 255).
      const std::size_t lengths[] = {12, 13, 63, 64, 255, 256, 4096, 8192, 8193, 65536};
      return std::string(lengths[pick(std::size(lengths))], chance(0.5) ? 'a' : '7');
    }
    case 6:
      return chance(0.15) ? std::string(1 << 20, 'x') : junk_utf8(200 + pick(2000));
    case 7:
      return pools_.object_paths.empty() ? "/" : pools_.object_paths[pick(pools_.object_paths.size())];
    case 8:
      return option_key();
    default:
      return std::to_string(static_cast<std::int64_t>(number(~0ull)));
  }
}

std::string ValueGenerator::object_path() {
  if (!pools_.object_paths.empty() && chance(0.6)) return pools_.object_paths[pick(pools_.object_paths.size())];
  const char* absent[] = {"/", "/dev", "/dev/banger/banger1/vm", "/dev/banger/banger1/vm/_30nothing",
                          "/dev/banger/banger1/image/nothing", "/dev/banger/banger1/network/nothing",
                          "/dev/banger/banger1/operation/999999", "/org/freedesktop/DBus",
                          "/dev/banger/banger1/vm/a/b/c"};
  return absent[pick(std::size(absent))];
}

std::string ValueGenerator::interface_name() {
  if (!pools_.interfaces.empty() && chance(0.8)) return pools_.interfaces[pick(pools_.interfaces.size())];
  return string_value();
}

std::string ValueGenerator::property_name() {
  if (!pools_.properties.empty() && chance(0.8)) return pools_.properties[pick(pools_.properties.size())];
  return string_value();
}

std::string ValueGenerator::option_key() {
  if (chance(0.7)) {
    auto it = known_options.begin();
    std::advance(it, pick(known_options.size()));
    return chance(0.1) ? it->first + "X" : it->first;
  }
  return chance(0.5) ? boundary_strings[pick(boundary_strings.size())] : junk_utf8(1 + pick(20));
}

int ValueGenerator::append_basic(sd_bus_message* m, char type) {
  switch (type) {
    case 'y': { std::uint8_t v = static_cast<std::uint8_t>(number(0xff)); return sd_bus_message_append_basic(m, type, &v); }
    case 'b': { int v = chance(0.5); return sd_bus_message_append_basic(m, type, &v); }
    case 'n': { std::int16_t v = static_cast<std::int16_t>(number(0xffff)); return sd_bus_message_append_basic(m, type, &v); }
    case 'q': {
      const std::uint16_t ports[] = {0, 1, 22, 53, 80, 1023, 1024, 8080, 65535};
      std::uint16_t v = chance(0.6) ? ports[pick(std::size(ports))] : static_cast<std::uint16_t>(number(0xffff));
      return sd_bus_message_append_basic(m, type, &v);
    }
    case 'i': { std::int32_t v = static_cast<std::int32_t>(number(0xffffffff)); return sd_bus_message_append_basic(m, type, &v); }
    case 'u': { std::uint32_t v = static_cast<std::uint32_t>(number(0xffffffff)); return sd_bus_message_append_basic(m, type, &v); }
    case 'x': { std::int64_t v = static_cast<std::int64_t>(number(~0ull)); return sd_bus_message_append_basic(m, type, &v); }
    case 't': { std::uint64_t v = number(~0ull); return sd_bus_message_append_basic(m, type, &v); }
    case 'd': {
      const double ds[] = {0.0, -0.0, 1.0, -1.0, 1e308, -1e308, 5e-324, std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(), std::nan("")};
      double v = ds[pick(std::size(ds))];
      return sd_bus_message_append_basic(m, type, &v);
    }
    case 's': {
      std::string v = string_value();
      if (v.size() > budget_) v = "b";
      budget_ -= std::min(budget_, v.size());
      return sd_bus_message_append_basic(m, type, v.c_str());
    }
    case 'o': { std::string v = object_path(); return sd_bus_message_append_basic(m, type, v.c_str()); }
    case 'g': {
      std::string v = chance(0.3) ? "" : random_type();
      return sd_bus_message_append_basic(m, type, v.c_str());
    }
    case 'h': --fds_; return sd_bus_message_append_basic(m, type, &pools_.dev_null_fd);
  }
  return -EINVAL;
}

int ValueGenerator::append(sd_bus_message* m, const std::string& type) {
  if (type.size() == 1 && type != "v") return append_basic(m, type[0]);
  if (type == "v") {
    const std::string inner = random_type(1);
    int r = sd_bus_message_open_container(m, 'v', inner.c_str());
    if (r < 0) return r;
    if ((r = append(m, inner)) < 0) return r;
    return sd_bus_message_close_container(m);
  }
  if (type[0] == 'a') return type == "a{sv}" && chance(0.9) ? append_options(m) : append_array(m, type.substr(1));
  // A struct "(…)" or a dict entry "{…}": its members in order.
  const std::string members = type.substr(1, type.size() - 2);
  int r = sd_bus_message_open_container(m, type[0] == '(' ? 'r' : 'e', members.c_str());
  if (r < 0) return r;
  for (const auto& member : split_signature(members))
    if ((r = append(m, member)) < 0) return r;
  return sd_bus_message_close_container(m);
}

int ValueGenerator::append_array(sd_bus_message* m, const std::string& element) {
  int r = sd_bus_message_open_container(m, 'a', element.c_str());
  if (r < 0) return r;
  // Mostly short; sometimes huge (small elements, so the message stays a few MiB).
  std::size_t count = chance(0.2) ? 0 : chance(0.9) ? 1 + pick(4) : 1000 + pick(20000);
  if (element.find('h') != std::string::npos) count = std::min<std::size_t>(count, 2);
  // Huge only with basic elements: huge arrays of containers nest into gigabytes.
  if (element.size() != 1 || element == "v") count = std::min<std::size_t>(count, 4);
  const bool huge = count >= 1000;
  for (std::size_t i = 0; i < count; ++i) {
    if (huge && element == "s") {
      std::string v = "k" + std::to_string(i);
      r = sd_bus_message_append_basic(m, 's', v.c_str());
    } else {
      r = append(m, element);
    }
    if (r < 0) return r;
  }
  return sd_bus_message_close_container(m);
}

int ValueGenerator::append_options(sd_bus_message* m) {
  int r = sd_bus_message_open_container(m, 'a', "{sv}");
  if (r < 0) return r;
  std::size_t count = chance(0.03) ? 500 + pick(3000) : pick(5);
  std::string previous;
  for (std::size_t i = 0; i < count; ++i) {
    // Sometimes the same key twice.
    std::string key = !previous.empty() && chance(0.1) ? previous : option_key();
    if ((r = sd_bus_message_open_container(m, 'e', "sv")) < 0) return r;
    if ((r = sd_bus_message_append_basic(m, 's', key.c_str())) < 0) return r;
    if ((r = append_option_value(m, key)) < 0) return r;
    if ((r = sd_bus_message_close_container(m)) < 0) return r;
    previous = key;
  }
  return sd_bus_message_close_container(m);
}

int ValueGenerator::append_option_value(sd_bus_message* m, const std::string& key) {
  auto known = known_options.find(key);
  std::string type = known != known_options.end() && chance(0.6) ? known->second : random_type(1);
  // Image parts also take an absolute path as a string.
  if (type == "h" && (fds_ <= 0 || chance(0.3))) type = "s";
  int r = sd_bus_message_open_container(m, 'v', type.c_str());
  if (r < 0) return r;
  if ((r = append(m, type)) < 0) return r;
  return sd_bus_message_close_container(m);
}

std::string ValueGenerator::random_type(int depth) {
  // Past the fd budget no more 'h' (the last of basic_types).
  const std::size_t basics = fds_ > 0 ? 13 : 12;
  if (depth >= 3 || chance(0.7)) return std::string(1, basic_types[pick(basics)]);
  switch (pick(4)) {
    case 0: return "a" + random_type(depth + 1);
    case 1: return "a{" + std::string(1, basic_types[pick(basics)]) + random_type(depth + 1) + "}";
    case 2: return "(" + random_type(depth + 1) + random_type(depth + 1) + ")";
    default: return "v";
  }
}

std::string ValueGenerator::wrong_signature(const std::string& right) {
  auto types = split_signature(right);
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto t = types;
    switch (pick(4)) {
      case 0:
        if (!t.empty()) t.erase(t.begin() + static_cast<std::ptrdiff_t>(pick(t.size())));
        break;
      case 1:
        t.insert(t.begin() + static_cast<std::ptrdiff_t>(pick(t.size() + 1)), random_type());
        break;
      case 2:
        if (!t.empty()) t[pick(t.size())] = random_type();
        break;
      default:
        t.clear();
        for (std::size_t n = pick(4); n > 0; --n) t.push_back(random_type());
    }
    std::string s;
    for (const auto& x : t) s += x;
    if (s != right) return s;
  }
  return right + "s";
}

}  // namespace banger::busfuzz
