#include "bus/managed_objects.h"

#include <stdexcept>
#include <string>

#include <sdbus-c++/sdbus-c++.h>
#include <systemd/sd-bus.h>

#include "banger/bus_names.h"
#include "banger/object_path.h"
#include "bus/object_registry.h"
#include "bus/operation_object.h"
#include "bus/raw_message.h"

namespace banger {

namespace {

constexpr const char* object_manager_interface = "org.freedesktop.DBus.ObjectManager";

// Every object carries sd-bus's standard interfaces, with no properties.
int open_object(sd_bus_message* m, const std::string& path) {
  int r = sd_bus_message_open_container(m, 'e', "oa{sa{sv}}");
  if (r >= 0) r = sd_bus_message_append(m, "o", path.c_str());
  if (r >= 0) r = sd_bus_message_open_container(m, 'a', "{sa{sv}}");
  for (const char* standard :
       {"org.freedesktop.DBus.Peer", "org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.Properties"})
    if (r >= 0) r = sd_bus_message_append(m, "{sa{sv}}", standard, 0);
  return r;
}

int open_interface(sd_bus_message* m, const char* interface) {
  int r = sd_bus_message_open_container(m, 'e', "sa{sv}");
  if (r >= 0) r = sd_bus_message_append(m, "s", interface);
  if (r >= 0) r = sd_bus_message_open_container(m, 'a', "{sv}");
  return r;
}

int close_containers(sd_bus_message* m, int count) {
  int r = 0;
  for (int i = 0; i < count && r >= 0; ++i) r = sd_bus_message_close_container(m);
  return r;
}

// Property order follows the interface XML, as the generated adaptors register them.
int append_vm(sd_bus_message* m, const VmRecord& vm) {
  int r = open_object(m, bus::vm_path(vm.id));
  if (r >= 0) r = open_interface(m, bus::vm_interface);
  std::string state(to_string(vm.state));
  if (r >= 0)
    r = sd_bus_message_append(m, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}",  //
                              "Id", "s", vm.id.c_str(),                      //
                              "Name", "s", vm.name.c_str(),                  //
                              "OwnerUID", "u", vm.owner_uid,                 //
                              "State", "s", state.c_str(),                   //
                              "VCPUs", "u", vm.vcpus,                        //
                              "MemoryMiB", "u", vm.memory_mib,               //
                              "Image", "s", vm.image.c_str(),                //
                              "LastError", "s", vm.last_error.c_str(),       //
                              "CreatedAt", "t", vm.created_at_us,            //
                              "UpdatedAt", "t", vm.updated_at_us);
  if (r >= 0) r = close_containers(m, 4);
  return r;
}

int append_operation(sd_bus_message* m, std::uint64_t number, const OperationObject::Snapshot& op) {
  int r = open_object(m, bus::operation_path(number));
  if (r >= 0) r = open_interface(m, bus::operation_interface);
  if (r >= 0)
    r = sd_bus_message_append(m, "{sv}{sv}{sv}{sv}{sv}{sv}",           //
                              "Kind", "s", op.kind.c_str(),            //
                              "Target", "o", op.target.c_str(),        //
                              "Stage", "s", op.stage.c_str(),          //
                              "Progress", "d", op.progress,            //
                              "Done", "b", static_cast<int>(op.done),  //
                              "Error", "s", op.error.c_str());
  if (r >= 0) r = close_containers(m, 4);
  return r;
}

int answer(sd_bus_message* call, void* userdata, sd_bus_error* error) {
  if (!sd_bus_message_is_method_call(call, object_manager_interface, "GetManagedObjects")) return 0;
  const auto& registry = *static_cast<const ObjectRegistry*>(userdata);
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(call, &reply);
  if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "{oa{sa{sv}}}");
  registry.for_each_vm([&](const VmRecord& vm) {
    if (r >= 0) r = append_vm(reply, vm);
  });
  registry.for_each_operation([&](std::uint64_t number, const OperationObject& op) {
    if (r >= 0) r = append_operation(reply, number, op.snapshot());
  });
  if (r >= 0) r = sd_bus_message_close_container(reply);
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
