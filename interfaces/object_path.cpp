#include "banger/object_path.h"

#include "banger/bus_names.h"

#include <cstdlib>
#include <memory>
#include <new>
#include <string>

#include <systemd/sd-bus.h>

namespace banger::bus {

namespace {
struct free_deleter {
  void operator()(char* p) const { std::free(p); }
};

std::string encode(const char* prefix, const std::string& id) {
  char* raw = nullptr;
  if (sd_bus_path_encode(prefix, id.c_str(), &raw) < 0) throw std::bad_alloc();
  std::unique_ptr<char, free_deleter> out(raw);
  return out.get();
}

std::optional<std::string> decode(const char* prefix, const std::string& path) {
  char* raw = nullptr;
  int r = sd_bus_path_decode(path.c_str(), prefix, &raw);
  if (r <= 0) return std::nullopt;
  std::unique_ptr<char, free_deleter> out(raw);
  return std::string(out.get());
}

}  // namespace

std::string vm_path(const std::string& vm_id) { return encode(vm_path_prefix, vm_id); }

std::optional<std::string> vm_id_from_path(const std::string& path) { return decode(vm_path_prefix, path); }

std::string image_path(const std::string& image_id) { return encode(image_path_prefix, image_id); }

std::optional<std::string> image_id_from_path(const std::string& path) { return decode(image_path_prefix, path); }

std::string network_path(const std::string& network_name) { return encode(network_path_prefix, network_name); }

std::optional<std::string> network_name_from_path(const std::string& path) {
  return decode(network_path_prefix, path);
}

std::string snapshot_path(const std::string& vm_id, const std::string& snapshot_id) {
  return encode((vm_path(vm_id) + "/snapshot").c_str(), snapshot_id);
}

std::string operation_path(std::uint64_t number) {
  return std::string(operation_path_prefix) + "/" + std::to_string(number);
}

}  // namespace banger::bus
