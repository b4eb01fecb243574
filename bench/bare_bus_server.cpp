// bench-bus-bare: the floor bench-bus measures bangerd against (issue 18).
// A plain libsystemd sd-bus server, no sdbus-c++, no banger code, on the bench's
// private bus. At start it asks bangerd once for
//   - one VM's State (Properties.Get) and
//   - the whole GetManagedObjects reply,
// then answers both calls itself, on the same object paths, under its own name:
//   - Get(VM, State) through an sd-bus vtable with that one property, and
//   - GetManagedObjects by replaying the recorded reply into a fresh message
//     (the same objects, interfaces, property names, types and values, so the
//     same size), with the cheapest sd-bus calls there are: one append per
//     value, one open/close per container, nothing looked up or converted.
// Whatever bangerd spends beyond this server is banger's own cost.
//
// usage: bench-bus-bare ADDRESS NAME VM_PATH
// Exits on SIGTERM (default action) or when the bus goes away.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <systemd/sd-bus.h>

namespace {

constexpr const char* banger_name = "dev.banger.banger1";
constexpr const char* root_path = "/dev/banger/banger1";
constexpr const char* vm_interface = "dev.banger.banger1.VM";
constexpr const char* object_manager = "org.freedesktop.DBus.ObjectManager";

// One step of rebuilding a message: open a container, close one, or append a value.
struct Step {
  enum Kind { open, close, value } kind = value;
  char type = 0;
  std::string text;  // a container's contents signature, or a string-like value
  union {
    std::uint8_t u8;
    std::int16_t i16;
    std::uint16_t u16;
    std::int32_t i32;
    std::uint32_t u32;
    std::int64_t i64;
    std::uint64_t u64;
    int boolean;
    double real;
  } fixed{};
};

bool string_like(char type) { return type == 's' || type == 'o' || type == 'g'; }
bool container(char type) { return type == 'a' || type == 'v' || type == 'r' || type == 'e'; }

// Records the rest of the current container of `m` as steps.
int record(sd_bus_message* m, std::vector<Step>& steps) {
  for (;;) {
    char type = 0;
    const char* contents = nullptr;
    int r = sd_bus_message_peek_type(m, &type, &contents);
    if (r <= 0) return r;  // 0: end of this container
    Step step;
    step.type = type;
    if (container(type)) {
      step.kind = Step::open;
      step.text = contents ? contents : "";
      steps.push_back(step);
      if ((r = sd_bus_message_enter_container(m, type, contents)) < 0) return r;
      if ((r = record(m, steps)) < 0) return r;
      if ((r = sd_bus_message_exit_container(m)) < 0) return r;
      Step close;
      close.kind = Step::close;
      steps.push_back(close);
      continue;
    }
    step.kind = Step::value;
    if (string_like(type)) {
      const char* s = nullptr;
      if ((r = sd_bus_message_read_basic(m, type, &s)) < 0) return r;
      step.text = s;
    } else if ((r = sd_bus_message_read_basic(m, type, &step.fixed)) < 0) {
      return r;
    }
    steps.push_back(step);
  }
}

int replay(sd_bus_message* m, const std::vector<Step>& steps) {
  for (const Step& step : steps) {
    int r = 0;
    switch (step.kind) {
      case Step::open: r = sd_bus_message_open_container(m, step.type, step.text.c_str()); break;
      case Step::close: r = sd_bus_message_close_container(m); break;
      case Step::value:
        r = sd_bus_message_append_basic(m, step.type,
                                        string_like(step.type) ? static_cast<const void*>(step.text.c_str())
                                                               : static_cast<const void*>(&step.fixed));
        break;
    }
    if (r < 0) return r;
  }
  return 0;
}

struct Answers {
  std::string state;
  std::vector<Step> managed_objects;
};

int get_state(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void* userdata, sd_bus_error*) {
  return sd_bus_message_append_basic(reply, 's', static_cast<Answers*>(userdata)->state.c_str());
}

// An object callback, as bangerd's responder: sd-bus takes no vtable for its own
// ObjectManager interface.
int get_managed_objects(sd_bus_message* call, void* userdata, sd_bus_error*) {
  if (!sd_bus_message_is_method_call(call, object_manager, "GetManagedObjects")) return 0;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(call, &reply);
  if (r >= 0) r = replay(reply, static_cast<Answers*>(userdata)->managed_objects);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r < 0 ? r : 1;
}

const sd_bus_vtable vm_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("State", "s", get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_VTABLE_END,
};

int fail(const char* what, int r, const sd_bus_error* error = nullptr) {
  std::fprintf(stderr, "bench-bus-bare: %s: %s\n", what,
               error && error->message ? error->message : std::strerror(-r));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench-bus-bare ADDRESS NAME VM_PATH\n");
    return 2;
  }
  const char* address = argv[1];
  const char* name = argv[2];
  const char* vm_path = argv[3];

  sd_bus* bus = nullptr;
  int r = sd_bus_new(&bus);
  if (r >= 0) r = sd_bus_set_address(bus, address);
  if (r >= 0) r = sd_bus_set_bus_client(bus, 1);
  if (r >= 0) r = sd_bus_start(bus);
  if (r < 0) return fail("connect", r);

  std::fprintf(stderr, "bench-bus-bare: on %s as %s, copying %s\n", address, name, vm_path);
  Answers answers;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  r = sd_bus_get_property(bus, banger_name, vm_path, vm_interface, "State", &error, &reply, "s");
  if (r >= 0) {
    const char* state = nullptr;
    r = sd_bus_message_read_basic(reply, 's', &state);  // sd_bus_get_property entered the variant
    if (r >= 0) answers.state = state;
  }
  reply = sd_bus_message_unref(reply);
  if (r < 0) return fail("State from bangerd", r, &error);
  r = sd_bus_call_method(bus, banger_name, root_path, object_manager, "GetManagedObjects", &error, &reply, "");
  if (r >= 0) r = record(reply, answers.managed_objects);
  reply = sd_bus_message_unref(reply);
  if (r < 0) return fail("GetManagedObjects from bangerd", r, &error);

  r = sd_bus_add_object_vtable(bus, nullptr, vm_path, vm_interface, vm_vtable, &answers);
  if (r >= 0) r = sd_bus_add_object(bus, nullptr, root_path, get_managed_objects, &answers);
  // The name last: the bench starts measuring once it sees it.
  if (r >= 0) r = sd_bus_request_name(bus, name, 0);
  if (r < 0) return fail("export", r);
  std::fprintf(stderr, "bench-bus-bare: serving %zu GetManagedObjects steps as %s\n",
               answers.managed_objects.size(), name);

  for (;;) {
    r = sd_bus_process(bus, nullptr);
    if (r < 0) return fail("process", r);
    if (r > 0) continue;
    r = sd_bus_wait(bus, UINT64_MAX);
    if (r < 0 && r != -EINTR) return fail("wait", r);
  }
}
