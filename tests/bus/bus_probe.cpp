// bus-probe: one method call to dev.banger.banger1 on $DBUS_SYSTEM_BUS_ADDRESS,
// printing the D-Bus error *name* (busctl prints only the message). The bus
// tests run it as other users to pin down authorization errors.
//
//   bus-probe [--no-interactive] PATH INTERFACE METHOD [SIGNATURE [ARG…]]
//
// SIGNATURE is a sequence of s, o, u, i, t, b, q, h (a path to open), as and a{sv}; arguments follow
// busctl's syntax (as: a count, then the strings; a{sv}: a count, then KEY TYPE
// VALUE per entry, TYPE one of s o u i t b). Interactive authorization is allowed unless --no-interactive.
//
// Output and exit status:
//   0  "ok", then one line per basic reply value
//   1  "error <name>" and the message on the next line
//   2  usage or connection problems (on stderr)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <systemd/sd-bus.h>

namespace {

struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  Args(char** begin, char** end) : it_(begin), end_(end) {}
  const char* next(const char* what) {
    if (it_ == end_) throw Usage(std::string("missing ") + what);
    return *it_++;
  }
  bool done() const { return it_ == end_; }

 private:
  char** it_;
  char** end_;
};

void check(int r, const char* what) {
  if (r < 0) throw std::runtime_error(std::string(what) + ": " + std::strerror(-r));
}

void append_basic(sd_bus_message* m, char type, const char* text) {
  switch (type) {
    case 's':
    case 'o':
      check(sd_bus_message_append_basic(m, type, text), "append");
      return;
    case 'u': {
      std::uint32_t v = static_cast<std::uint32_t>(std::strtoul(text, nullptr, 10));
      check(sd_bus_message_append_basic(m, type, &v), "append");
      return;
    }
    case 'q': {  // users: ForwardPort's ports
      std::uint16_t v = static_cast<std::uint16_t>(std::strtoul(text, nullptr, 10));
      check(sd_bus_message_append_basic(m, type, &v), "append");
      return;
    }
    case 'h': {  // users: a descriptor of the file named by the argument (the workspace streams)
      int fd = open(text, O_RDWR | O_CLOEXEC);
      if (fd < 0) throw std::runtime_error(std::string("open ") + text + ": " + std::strerror(errno));
      check(sd_bus_message_append_basic(m, type, &fd), "append");
      close(fd);  // the message holds its own copy
      return;
    }
    case 'i': {
      std::int32_t v = static_cast<std::int32_t>(std::strtol(text, nullptr, 10));
      check(sd_bus_message_append_basic(m, type, &v), "append");
      return;
    }
    case 't': {
      std::uint64_t v = std::strtoull(text, nullptr, 10);
      check(sd_bus_message_append_basic(m, type, &v), "append");
      return;
    }
    case 'b': {
      int v = std::strcmp(text, "true") == 0 || std::strcmp(text, "yes") == 0 || std::strcmp(text, "1") == 0;
      check(sd_bus_message_append_basic(m, type, &v), "append");
      return;
    }
    default:
      throw Usage(std::string("unsupported type '") + type + "'");
  }
}

void append_args(sd_bus_message* m, const std::string& signature, Args& args) {
  for (std::size_t i = 0; i < signature.size();) {
    if (signature.compare(i, 5, "a{sv}") == 0) {
      unsigned long count = std::strtoul(args.next("a{sv} count"), nullptr, 10);
      check(sd_bus_message_open_container(m, 'a', "{sv}"), "open a{sv}");
      for (unsigned long n = 0; n < count; ++n) {
        const char* key = args.next("a{sv} key");
        const char* type = args.next("a{sv} value type");
        if (std::strlen(type) != 1) throw Usage(std::string("unsupported variant type '") + type + "'");
        check(sd_bus_message_open_container(m, 'e', "sv"), "open {sv}");
        check(sd_bus_message_append_basic(m, 's', key), "append key");
        check(sd_bus_message_open_container(m, 'v', type), "open variant");
        append_basic(m, type[0], args.next("a{sv} value"));
        check(sd_bus_message_close_container(m), "close variant");
        check(sd_bus_message_close_container(m), "close {sv}");
      }
      check(sd_bus_message_close_container(m), "close a{sv}");
      i += 5;
    } else if (signature.compare(i, 2, "as") == 0) {
      unsigned long count = std::strtoul(args.next("as count"), nullptr, 10);
      check(sd_bus_message_open_container(m, 'a', "s"), "open as");
      for (unsigned long n = 0; n < count; ++n) append_basic(m, 's', args.next("as element"));
      check(sd_bus_message_close_container(m), "close as");
      i += 2;
    } else {
      append_basic(m, signature[i], args.next("argument"));
      ++i;
    }
  }
  if (!args.done()) throw Usage("too many arguments");
}

void print_reply(sd_bus_message* reply) {
  std::printf("ok\n");
  for (;;) {
    char type = 0;
    const char* contents = nullptr;
    int r = sd_bus_message_peek_type(reply, &type, &contents);
    if (r <= 0) break;
    union {
      const char* s;
      std::uint32_t u;
      std::int32_t i;
      std::uint64_t t;
      int b;
    } v{};
    if (std::strchr("sog", type)) {
      check(sd_bus_message_read_basic(reply, type, &v.s), "read");
      std::printf("%s\n", v.s);
    } else if (type == 'u') {
      check(sd_bus_message_read_basic(reply, type, &v.u), "read");
      std::printf("%u\n", v.u);
    } else if (type == 'i') {
      check(sd_bus_message_read_basic(reply, type, &v.i), "read");
      std::printf("%d\n", v.i);
    } else if (type == 't') {
      check(sd_bus_message_read_basic(reply, type, &v.t), "read");
      std::printf("%llu\n", static_cast<unsigned long long>(v.t));
    } else if (type == 'b') {
      check(sd_bus_message_read_basic(reply, type, &v.b), "read");
      std::printf("%s\n", v.b ? "true" : "false");
    } else {
      std::printf("<%c%s>\n", type, contents ? contents : "");
      check(sd_bus_message_skip(reply, nullptr), "skip");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Args args(argv + 1, argv + argc);
  sd_bus* bus = nullptr;
  sd_bus_message* call = nullptr;
  sd_bus_message* reply = nullptr;
  sd_bus_error error = SD_BUS_ERROR_NULL;
  int status = 2;
  try {
    bool interactive = true;
    std::string path = args.next("PATH");
    if (path == "--no-interactive") {
      interactive = false;
      path = args.next("PATH");
    }
    std::string interface = args.next("INTERFACE");
    std::string method = args.next("METHOD");
    std::string signature = args.done() ? "" : args.next("SIGNATURE");

    check(sd_bus_open_system(&bus), "connect to $DBUS_SYSTEM_BUS_ADDRESS");
    check(sd_bus_message_new_method_call(bus, &call, "dev.banger.banger1", path.c_str(), interface.c_str(),
                                         method.c_str()),
          "new method call");
    check(sd_bus_message_set_allow_interactive_authorization(call, interactive), "set interactive");
    append_args(call, signature, args);

    int r = sd_bus_call(bus, call, 60 * 1000 * 1000ULL, &error, &reply);
    if (r < 0 && sd_bus_error_is_set(&error)) {
      std::printf("error %s\n%s\n", error.name, error.message ? error.message : "");
      status = 1;
    } else {
      check(r, "call");
      print_reply(reply);
      status = 0;
    }
  } catch (const Usage& e) {
    std::fprintf(stderr, "bus-probe: %s\nusage: bus-probe [--no-interactive] PATH INTERFACE METHOD [SIGNATURE [ARG...]]\n",
                 e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bus-probe: %s\n", e.what());
  }
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  sd_bus_message_unref(call);
  sd_bus_flush_close_unref(bus);
  return status;
}
