#include "bus/managed_objects.h"

#include <stdexcept>
#include <map>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>
#include <systemd/sd-bus.h>

#include "banger/bus_errors.h"
#include "banger/bus_names.h"
#include "bus/image_properties.h"
#include "bus/snapshot_properties.h"
#include "bus/network_properties.h"
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

// Writes `value` as the D-Bus type T (a tag's type); `value` is what the table's
// line gives: T itself, or a reference or view it is made from.
template <typename T, typename V>
void write(Writer& w, const V& value);

template <typename T>
const char* signature_of() {
  static const std::string signature = sdbus::signature_of<T>::str();  // once per type
  return signature.c_str();
}

template <typename T>
struct StructFields;
template <typename... Fields>
struct StructFields<sdbus::Struct<Fields...>> {
  static const char* signature() {
    static const std::string inside = (sdbus::signature_of<Fields>::str() + ...);
    return inside.c_str();
  }
  template <typename V>
  static void write_all(Writer& w, const V& value) {
    std::apply([&w](const auto&... field) { (write<Fields>(w, field), ...); }, static_cast<const std::tuple<Fields...>&>(value));
  }
};

template <typename T>
struct is_vector : std::false_type {};
template <typename E>
struct is_vector<std::vector<E>> : std::true_type {};
template <typename T>
struct is_map : std::false_type {};
template <typename K, typename V>
struct is_map<std::map<K, V>> : std::true_type {};
template <typename T>
struct is_struct : std::false_type {};
template <typename... Fields>
struct is_struct<sdbus::Struct<Fields...>> : std::true_type {};

template <typename T, typename V>
void write(Writer& w, const V& value) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, sdbus::ObjectPath>) {
    const char type = std::is_same_v<T, std::string> ? 's' : 'o';
    if constexpr (std::is_convertible_v<const V&, const std::string&>)
      w.basic(type, static_cast<const std::string&>(value).c_str());
    else
      w.basic(type, std::string(value).c_str());  // a string_view: not NUL-terminated
  } else if constexpr (std::is_same_v<T, bool>) {
    const int b = value;  // sd-bus takes a boolean as an int
    w.basic('b', &b);
  } else if constexpr (std::is_arithmetic_v<T>) {
    const T number = value;
    static const char code = sdbus::signature_of<T>::str()[0];
    w.basic(code, &number);
  } else if constexpr (is_vector<T>::value) {
    using Element = typename T::value_type;
    w.open('a', signature_of<Element>());
    for (const auto& element : value) write<Element>(w, element);
    w.close();
  } else if constexpr (is_map<T>::value) {
    using Key = typename T::key_type;
    using Mapped = typename T::mapped_type;
    static const std::string entry = sdbus::signature_of<Key>::str() + sdbus::signature_of<Mapped>::str();
    static const std::string entry_braced = "{" + entry + "}";
    w.open('a', entry_braced.c_str());
    for (const auto& [key, mapped] : value) {
      w.open('e', entry.c_str());
      write<Key>(w, key);
      write<Mapped>(w, mapped);
      w.close();
    }
    w.close();
  } else {
    static_assert(is_struct<T>::value, "a D-Bus type GetManagedObjects cannot write yet");
    w.open('r', StructFields<T>::signature());
    StructFields<T>::write_all(w, value);
    w.close();
  }
}

// One object: its path, sd-bus's standard interfaces and its own, every
// property of the table in the XML's order, as the generated adaptors register them.
template <typename Table, typename View>
void append_object(Writer& w, const std::string& path, const char* interface, const Table& table,
                   const View& view) {
  w.open_object(path, interface);
  table.for_each(view, [&w](auto tag, const auto& value) {
    using Tag = decltype(tag);
    w.open('e', "sv");
    w.basic('s', Tag::name);
    w.open('v', Tag::signature);
    write<typename Tag::type>(w, value);
    w.close(2);
  });
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
    registry.for_each_vm_object([&](const VmObject& vm) {
      append_object(w, vm.path(), bus::vm_interface, properties::VM::table, vm.view());
    });
    registry.for_each_image([&](const std::string& path, const ImageRecord& image) {
      append_object(w, path, bus::image_interface, properties::Image::table, image);
    });
    registry.for_each_snapshot([&](const std::string& path, const SnapshotRecord& snapshot) {
      append_object(w, path, bus::snapshot_interface, properties::Snapshot::table, snapshot);
    });
    registry.for_each_network([&](const std::string& path, const NetworkRecord& network) {
      append_object(w, path, bus::network_interface, properties::Network::table, network);
    });
    registry.for_each_operation([&](std::uint64_t, const OperationObject& op) {
      append_object(w, op.path(), bus::operation_interface, properties::Operation::table, op.shown());
    });
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
