#pragma once
#include <filesystem>
#include <string>

#include "core/unique_fd.h"

namespace banger {

// The descriptors the relay works on, made by its main (banger-console-relay).
struct RelayIo {
  UniqueFd master;    // the pty master, non-blocking; the VMM has the slave
  UniqueFd listener;  // the listening console socket, non-blocking
  UniqueFd log;       // console.log, opened O_APPEND (capping punches holes behind us)
  UniqueFd stop;      // a signalfd; any signal on it ends the relay
};

// One VM's console relay: everything the guest writes goes to the log and,
// when one is attached, to the single interactive client; the client's input
// goes to the guest. A second client is refused (relay_busy) while the first
// is attached; a client that went away (even killed) frees the console at
// once. Ends, after draining the guest's last output into the log, when the
// VMM named by the VM's handles file has exited (it is learned once bangerd
// has written that file, so the relay outlives bangerd restarts on its own)
// or when a stop signal arrives.
class ConsoleRelay {
 public:
  ConsoleRelay(RelayIo io, std::filesystem::path handles_file);
  void run();

 private:
  void look_for_vmm();
  void read_guest();
  void write_guest();
  void accept_client();
  void read_client();
  void flush_client();
  void drop_client();
  bool client_gone() const;
  void drain();
  void to_log_and_client(const char* data, std::size_t size);

  RelayIo io_;
  std::filesystem::path handles_file_;
  UniqueFd vmm_;  // pidfd of the VMM once known
  bool vmm_gone_ = false;
  UniqueFd client_;
  std::string to_guest_;   // client input the guest has not taken yet
  std::string to_client_;  // guest output the client has not taken yet
};

}  // namespace banger
