#include "bus/managed_objects.h"

#include <stdexcept>
#include <string>
#include <type_traits>

#include <sdbus-c++/sdbus-c++.h>
#include <systemd/sd-bus.h>

#include "banger/bus_errors.h"
#include "banger/bus_names.h"
#include "bus/object_registry.h"
#include "bus/operation_object.h"
#include "bus/raw_message.h"
#include "bus/vm_object.h"

namespace banger {

namespace {

constexpr const char* object_manager_interface = "org.freedesktop.DBus.ObjectManager";

// Appends with explicit basic/container calls: sd_bus_message_append() parses
// its format string on every call, which dominated this reply's cost.
class Writer {
 public:
  explicit Writer(sd_bus_message* m) : m_(m) {}
  int status() const { return r_; }

  void open(char type, const char* contents) {
    if (r_ >= 0) r_ = sd_bus_message_open_container(m_, type, contents);
  }
  void close(int count = 1) {
    for (int i = 0; i < count && r_ >= 0; ++i) r_ = sd_bus_message_close_container(m_);
  }
  void basic(char type, const void* value) {
    if (r_ >= 0) r_ = sd_bus_message_append_basic(m_, type, value);
  }
  template <typename T>
  void property(const char* name, char type, const char* signature, const T& value) {
    open('e', "sv");
    basic('s', name);
    open('v', signature);
    if constexpr (std::is_same_v<T, std::string>)
      basic(type, value.c_str());
    else
      basic(type, &value);
    close(2);
  }

  // Every object carries sd-bus's standard interfaces, with no properties.
  void open_object(const std::string& path, const char* interface) {
    open('e', "oa{sa{sv}}");
    basic('o', path.c_str());
    open('a', "{sa{sv}}");
    for (const char* standard :
         {"org.freedesktop.DBus.Peer", "org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.Properties"}) {
      open('e', "sa{sv}");
      basic('s', standard);
      open('a', "{sv}");
      close(2);
    }
    open('e', "sa{sv}");
    basic('s', interface);
    open('a', "{sv}");
  }
  void close_object() { close(4); }

 private:
  sd_bus_message* m_;
  int r_ = 0;
};

// One property holding a container: `element` is its element's signature
// ("(sqs)", "{ss}", "s"), `write` writes one element's fields. The array,
// dict and struct containers all follow the same open … close pattern.
template <typename Items, typename Write>
void append_container(Writer& w, const char* name, const std::string& element, const Items& items, Write write) {
  const std::string array = "a" + element;
  w.open('e', "sv");
  w.basic('s', name);
  w.open('v', array.c_str());
  w.open('a', element.c_str());
  for (const auto& item : items) write(item);
  w.close(3);
}

// An a(…) of structs: `fields` is the struct's member signature ("sqs").
template <typename Items, typename WriteFields>
void append_struct_array(Writer& w, const char* name, const char* fields, const Items& items,
                         WriteFields write_fields) {
  append_container(w, name, std::string("(") + fields + ")", items, [&](const auto& item) {
    w.open('r', fields);
    write_fields(item);
    w.close();
  });
}

void append_ports(Writer& w, const std::vector<GuestPort>& ports) {
  append_struct_array(w, "Ports", "sqs", ports, [&w](const GuestPort& p) {
    w.basic('s', p.protocol.c_str());
    w.basic('q', &p.port);
    w.basic('s', p.process.c_str());
  });
}

// Property order follows the interface XML, as the generated adaptors register them.
void append_forwards(Writer& w, const std::vector<PortForward>& forwards) {
  append_struct_array(w, "Forwards", "sqq", forwards, [&w](const PortForward& f) {
    w.basic('s', f.protocol.c_str());
    w.basic('q', &f.host_port);
    w.basic('q', &f.guest_port);
  });
}

void append_vm(Writer& w, const VmObject& object) {
  const VmRecord& vm = object.record();
  const VmNetworkProperties& network = object.network();
  const stats::VmStats stats = object.current_stats();
  w.open_object(object.path(), bus::vm_interface);
  w.property("Id", 's', "s", vm.id);
  w.property("Name", 's', "s", vm.name);
  w.property("OwnerUID", 'u', "u", vm.owner_uid);
  w.property("State", 's', "s", std::string(to_string(vm.state)));
  w.property("VCPUs", 'u', "u", vm.vcpus);
  w.property("MemoryMiB", 'u', "u", vm.memory_mib);
  w.property("Image", 's', "s", vm.image);
  w.property("Backend", 's', "s", vm.backend);
  w.property("LastError", 's', "s", vm.last_error);
  w.property("CreatedAt", 't', "t", vm.created_at_us);
  w.property("UpdatedAt", 't', "t", vm.updated_at_us);
  w.property("Network", 's', "s", network.network);
  w.property("IPv4Address", 's', "s", network.ipv4_address);
  w.property("MACAddress", 's', "s", network.mac_address);
  w.property("TapDevice", 's', "s", network.tap_device);
  w.property("DNSName", 's', "s", network.dns_name);
  w.property("DiskMiB", 't', "t", vm.disk_mib);
  w.property("RootDiskStrategy", 's', "s", vm.root_disk_strategy);
  w.property("WorkDiskMiB", 't', "t", vm.work_disk_mib);
  w.property("KeepWorkDisk", 'b', "b", static_cast<int>(vm.keep_work_disk));
  append_struct_array(w, "AuthorizedKeys", "ss", object.authorized_keys(), [&w](const AuthorizedKeyInfo& key) {
    w.basic('s', key.fingerprint.c_str());
    w.basic('s', key.comment.c_str());
  });
  w.property("CPUPercent", 'd', "d", stats.cpu_percent);
  w.property("MemoryRSSBytes", 't', "t", stats.memory_rss_bytes);
  w.property("BlockReadBytes", 't', "t", stats.block_read_bytes);
  w.property("BlockWriteBytes", 't', "t", stats.block_write_bytes);
  w.property("NetRxBytes", 't', "t", stats.net_rx_bytes);
  w.property("NetTxBytes", 't', "t", stats.net_tx_bytes);
  w.property("Uptime", 't', "t", stats.uptime_s);
  append_ports(w, object.ports());
  append_forwards(w, object.forwards());
  w.property("ForwardPorts", 'b', "b", static_cast<int>(vm.forward_ports));
  w.property("Autostart", 'b', "b", static_cast<int>(vm.autostart));
  w.close_object();
}

void append_image(Writer& w, const std::string& path, const ImageRecord& image) {
  w.open_object(path, bus::image_interface);
  w.property("Id", 's', "s", image.id);
  w.property("Name", 's', "s", image.name);
  w.property("Kernel", 's', "s", image.kernel);
  w.property("Vmlinux", 's', "s", image.vmlinux);
  w.property("Initrd", 's', "s", image.initrd);
  w.property("Rootfs", 's', "s", image.rootfs);
  append_container(w, "Backends", "s", image.backends(),
                   [&w](const std::string& backend) { w.basic('s', backend.c_str()); });
  w.property("SizeBytes", 't', "t", image.size_bytes);
  w.property("CreatedAt", 't', "t", image.created_at_us);
  w.property("IsDefault", 'b', "b", static_cast<int>(image.is_default));
  w.close_object();
}

void append_network(Writer& w, const std::string& path, const NetworkRecord& network) {
  w.open_object(path, bus::network_interface);
  w.property("Name", 's', "s", network.name);
  w.property("Bridge", 's', "s", network.bridge);
  w.property("Subnet", 's', "s", network.subnet);
  w.property("Gateway", 's', "s", network.gateway);
  w.property("NAT", 'b', "b", static_cast<int>(network.nat));
  w.property("DNSDomain", 's', "s", network.dns_domain);
  append_container(w, "Leases", "{ss}", network.leases, [&w](const auto& lease) {
    w.open('e', "ss");
    w.basic('s', lease.first.c_str());
    w.basic('s', lease.second.c_str());
    w.close();
  });
  w.close_object();
}

void append_operation(Writer& w, const std::string& path, const OperationObject::Snapshot& op) {
  w.open_object(path, bus::operation_interface);
  w.property("Kind", 's', "s", op.kind);
  w.property("Target", 'o', "o", op.target);
  w.property("Stage", 's', "s", op.stage);
  w.property("Progress", 'd', "d", op.progress);
  w.property("Done", 'b', "b", static_cast<int>(op.done));
  w.property("Error", 's', "s", op.error);
  w.close_object();
}

int answer(sd_bus_message* call, void* userdata, sd_bus_error* error) {
  if (!sd_bus_message_is_method_call(call, object_manager_interface, "GetManagedObjects")) return 0;
  // sd-bus checks the arguments of vtable methods only; this responder sits
  // outside any vtable, so it refuses arguments itself, as sd-bus would.
  if (const char* args = sd_bus_message_get_signature(call, 1); args && *args)
    return sd_bus_error_setf(error, bus::error::invalid_args,
                             "Invalid arguments '%s' to call %s.GetManagedObjects(), expecting ''.", args,
                             object_manager_interface);
  const auto& registry = *static_cast<const ObjectRegistry*>(userdata);
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(call, &reply);
  if (r >= 0) {
    Writer w(reply);
    w.open('a', "{oa{sa{sv}}}");
    registry.for_each_vm_object([&](const VmObject& vm) { append_vm(w, vm); });
    registry.for_each_image(
        [&](const std::string& path, const ImageRecord& image) { append_image(w, path, image); });
    registry.for_each_network(
        [&](const std::string& path, const NetworkRecord& network) { append_network(w, path, network); });
    registry.for_each_operation(
        [&](std::uint64_t, const OperationObject& op) { append_operation(w, op.path(), op.snapshot()); });
    w.close();
    r = w.status();
  }
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  if (r < 0) return sd_bus_error_set_errno(error, r);
  return 1;
}

}  // namespace

struct ManagedObjectsResponder::Slot {
  sd_bus_slot* slot = nullptr;
  ~Slot() { sd_bus_slot_unref(slot); }
};

ManagedObjectsResponder::ManagedObjectsResponder(sdbus::IConnection& connection, const ObjectRegistry& registry)
    : slot_(std::make_unique<Slot>()) {
  // sdbus-c++ 1.2 does not hand out its sd_bus; any message made on the connection knows it.
  auto probe = sdbus::createProxy(connection, bus::service_name, bus::root_path);
  auto message = probe->createMethodCall("org.freedesktop.DBus.Peer", "Ping");
  sd_bus* bus = sd_bus_message_get_bus(raw_message(message));
  int r = sd_bus_add_object(bus, &slot_->slot, bus::root_path, answer, const_cast<ObjectRegistry*>(&registry));
  if (r < 0) throw std::runtime_error("cannot register the GetManagedObjects responder: " + std::to_string(-r));
}

ManagedObjectsResponder::~ManagedObjectsResponder() = default;

}  // namespace banger
