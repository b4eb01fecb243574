#pragma once
// libbanger-client: a typed C++ API over banger's D-Bus contract
// (interfaces/dev.banger.banger1.*.xml). Nothing here exposes sdbus-c++ or the
// generated proxies, so callers link against a stable surface.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// Only the declarations marked BANGER_CLIENT_API are exported from the .so.
#define BANGER_CLIENT_API [[gnu::visibility("default")]]

namespace banger::client {

enum class ErrorCode {
  failed,              // anything not covered below, including local timeouts
  usage,               // InvalidArgs, Ambiguous, or a bad argument caught client-side
  not_found,           // NoSuchVM, NoSuchImage, NoSuchNetwork, or the object vanished
  denied,              // AccessDenied, InteractiveAuthorizationRequired
  unreachable,         // no system bus, bangerd not running or not answering
  exists,              // Exists
  invalid_state,       // InvalidState
  busy,                // Busy
  backend_failed,      // BackendFailed
  resource_exhausted,  // ResourceExhausted
};

// Short stable identifier, e.g. "not_found".
BANGER_CLIENT_API const char* to_string(ErrorCode code) noexcept;

// The single mapping from D-Bus error names to codes; unknown names give failed.
BANGER_CLIENT_API ErrorCode error_code_for(std::string_view dbus_error_name) noexcept;

class BANGER_CLIENT_API Error : public std::runtime_error {
 public:
  // what() is the human-readable message without the D-Bus error name.
  Error(ErrorCode code, std::string dbus_name, const std::string& message);

  ErrorCode code() const noexcept { return code_; }
  // Empty when the error arose in the client (e.g. a local timeout).
  const std::string& dbus_name() const noexcept { return dbus_name_; }

 private:
  ErrorCode code_;
  std::string dbus_name_;
};

// A host port forwarded to a port of the VM's guest (VM.Forwards).
struct PortForwardInfo {
  std::string protocol;  // "tcp" | "udp"
  std::uint16_t host_port = 0;
  std::uint16_t guest_port = 0;
  bool operator==(const PortForwardInfo&) const = default;
};

struct VmInfo {
  std::string id;
  std::string name;
  std::uint32_t owner_uid = 0;
  std::string state;  // creating|created|starting|running|stopping|stopped|failed
  std::uint32_t vcpus = 0;
  std::uint32_t memory_mib = 0;
  std::string image;
  std::string backend;  // the VMM backend that runs it
  std::string last_error;
  std::uint64_t created_at_us = 0;  // microseconds since the epoch
  std::uint64_t updated_at_us = 0;
  std::string path;  // D-Bus object path
  std::string network;  // empty: no network
  std::string ipv4_address;
  std::string mac_address;
  std::string tap_device;
  std::string dns_name;  // <name>.<domain>
  std::uint64_t disk_mib = 0;       // 0: the image's size
  std::string root_disk_strategy;   // reflink | dm-snapshot | copy
  std::uint64_t work_disk_mib = 0;  // 0: none
  bool keep_work_disk = false;
  std::vector<PortForwardInfo> forwards;  // sorted by protocol, host port
  bool forward_ports = false;             // the guest's listening ports are forwarded automatically
  bool autostart = false;                 // started by bangerd after each host boot
  std::uint32_t idle_suspend_s = 0;       // suspended after this long idle; 0: never
};

struct ImageInfo {
  std::string id;
  std::string name;
  std::string kernel;   // bzImage for QEMU, empty when the image has none
  std::string vmlinux;  // ELF kernel for Firecracker, empty when the image has none
  std::string initrd;
  std::string rootfs;
  std::vector<std::string> backends;  // "qemu", "firecracker": whose kernel it has
  std::uint64_t size_bytes = 0;
  std::uint64_t created_at_us = 0;
  bool is_default = false;
  std::string path;  // D-Bus object path
};

// A named checkpoint of a VM (dev.banger.banger1.Snapshot).
struct SnapshotInfo {
  std::string id;
  std::string name;
  std::string vm_path;  // the VM's object path
  std::uint64_t created_at_us = 0;
  std::uint64_t size_bytes = 0;
  bool has_memory = false;
  std::string parent_path;  // the parent checkpoint's object path, empty for none
  std::string path;         // D-Bus object path
};

struct NetworkInfo {
  std::string name;
  std::string bridge;      // the host's bridge, "bg-<name>"
  std::string subnet;      // IPv4 CIDR
  std::string gateway;     // the bridge's address
  bool nat = true;         // masqueraded to the outside
  std::string dns_domain;
  std::map<std::string, std::string> leases;  // VM id → address
  std::string path;        // D-Bus object path
};

// Unset fields are left to the daemon's defaults (the next free subnet, NAT
// on, DNS domain "banger").
struct NetworkOptions {
  std::optional<std::string> subnet;
  std::optional<bool> nat;
  std::optional<std::string> dns_domain;
};

// The files of an image to import, opened by the client with the caller's own
// rights and handed to bangerd as file descriptors. rootfs and at least one of
// kernel and vmlinux are required; empty means absent.
struct ImageSourceFiles {
  std::string rootfs;
  std::string kernel;
  std::string vmlinux;
  std::string initrd;
};

// Unset fields are left to the daemon's defaults.
struct CreateOptions {
  std::optional<std::uint32_t> vcpus;
  std::optional<std::uint32_t> memory_mib;
  std::optional<std::string> image;
  std::optional<std::string> backend;  // a VMM backend of the daemon ("firecracker", "qemu")
  std::optional<std::string> network;  // default: "default"
  std::optional<std::uint32_t> disk_mib;       // root disk size; default: the image's
  std::optional<std::uint32_t> work_disk_mib;  // default 8192
  std::optional<bool> keep_work_disk;
  std::optional<bool> forward_ports;
  std::optional<bool> autostart;
  std::optional<std::uint32_t> idle_suspend_s;  // 0: never
};

// Unset fields stay unchanged; at least one must be set.
struct VmChanges {
  std::optional<std::string> name;
  std::optional<std::uint32_t> vcpus;
  std::optional<std::uint32_t> memory_mib;
  std::optional<std::uint32_t> disk_mib;       // grow only, stopped VM
  std::optional<std::uint32_t> work_disk_mib;  // grow only, stopped VM
  std::optional<bool> keep_work_disk;
  std::optional<bool> forward_ports;  // any time, also while running
  std::optional<bool> autostart;      // any time: takes effect at the next host boot
  std::optional<std::uint32_t> idle_suspend_s;  // any time; 0: never
};

// A piece of a VM's serial console log (VM.ReadConsole).
struct ConsoleOutput {
  std::string data;              // raw console bytes, not necessarily UTF-8
  std::uint64_t next_offset = 0;  // pass this as offset to continue
};

// A VM's live stats (VM properties CPUPercent … Uptime), all zero unless it runs.
struct VmStats {
  std::string id;
  std::string name;
  std::string state;
  double cpu_percent = 0;  // of one core
  std::uint64_t memory_rss_bytes = 0;
  std::uint64_t block_read_bytes = 0;
  std::uint64_t block_write_bytes = 0;
  std::uint64_t net_rx_bytes = 0;  // what the guest received
  std::uint64_t net_tx_bytes = 0;
  std::uint64_t uptime_s = 0;
  std::string path;  // D-Bus object path
};

// What watch_stats is told, once at first and then after every change.
// Returning false ends the watch.
using StatsCallback = std::function<bool(const std::vector<VmStats>& vms)>;

// One line of bangerd's self-check (Manager.Doctor).
struct DoctorCheck {
  std::string check;
  std::string status;  // ok | warn | fail
  std::string summary;
  std::string detail;
  std::string fix;  // empty when there is nothing to do
};

// A key of a VM's guest user given with add_authorized_keys (VM property AuthorizedKeys).
struct AuthorizedKey {
  std::string fingerprint;  // "SHA256:…", as ssh-keygen -l prints it
  std::string comment;
};

// A socket listening in a running guest (VM.Ports).
struct GuestPort {
  std::string protocol;  // tcp | udp
  std::uint16_t port = 0;
  std::string process;  // the listening process's name; empty when unknown
};

// What push_workspace sends and where it goes in the VM.
struct WorkspacePushOptions {
  bool all = false;  // everything in the folder, not only a git checkout's tracked files and .git
  std::optional<std::string> target;  // directory under /work; unset: /work itself
  bool replace = false;               // remove the target first (needs a target)
};

struct WorkspacePullOptions {
  std::optional<std::string> source;  // directory under /work; unset: all of /work
};

// Called on the thread that called create_vm, whenever the stage or progress
// changes; fraction is 0.0 .. 1.0. Anything it throws propagates out of create_vm.
using ProgressCallback = std::function<void(const std::string& stage, double fraction)>;

// One change bangerd announced on the bus (follow_events).
struct Event {
  std::chrono::system_clock::time_point time;  // when this client received it
  std::string type;       // added | removed | state | properties
  std::string path;       // the object's path
  std::string interface;  // e.g. dev.banger.banger1.VM
  std::string kind;       // vm | image | network | operation | manager
  std::string name;       // the object's Name (operations: their number); "" when unknown
  // What changed, values as text: properties (added: the object's properties;
  // invalidated ones have no value), or old_state, new_state, reason.
  std::vector<std::pair<std::string, std::optional<std::string>>> changes;
};

using EventCallback = std::function<void(const Event&)>;

struct ConnectOptions {
  // Let polkit ask the user for a password; method calls then wait up to
  // 5 minutes for a reply instead of sd-bus's default 25 s.
  bool allow_interactive_authorization = true;
};

// One connection to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured).
// Thread-safe: calls on one Client are serialized, so a long wait blocks other
// callers of the same Client; use one Client per thread to wait concurrently.
// Every method throws banger::client::Error. A moved-from Client is unusable.
class BANGER_CLIENT_API Client {
 public:
  static Client connect(const ConnectOptions& options = {});

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  std::string daemon_version();
  std::vector<DoctorCheck> doctor();

  std::vector<VmInfo> list_vms();  // sorted by name
  VmInfo get_vm(const std::string& ref);

  // Blocks until provisioning finished (or timeout) and returns the new VM.
  VmInfo create_vm(const std::string& name, const CreateOptions& options = {},
                   const ProgressCallback& progress = {},
                   std::chrono::milliseconds timeout = std::chrono::minutes(10));
  // VM.Clone: a copy of a created or stopped VM; blocks like create_vm.
  VmInfo clone_vm(const std::string& ref, const std::string& new_name, const ProgressCallback& progress = {},
                  std::chrono::milliseconds timeout = std::chrono::minutes(10));

  // A suspended VM is restored from its saved state; `fresh` boots it afresh instead (VM.StartWith).
  void start(const std::string& ref, bool fresh = false);
  void stop(const std::string& ref, bool force = false);
  void restart(const std::string& ref);
  void kill(const std::string& ref);
  // VM.Pause / VM.Resume: stop a running guest's vCPUs where they are, and let them go on.
  void pause(const std::string& ref);
  void resume(const std::string& ref);
  // VM.Suspend: save a running or paused guest to disk and end its VMM; start restores it.
  void suspend(const std::string& ref);
  void remove(const std::string& ref);
  void set(const std::string& ref, const VmChanges& changes);
  void touch(const std::string& ref);

  // Up to max_bytes (1 .. 1048576) of the console log from offset; offset 0
  // (or one already freed by the size cap) reads from the oldest kept byte.
  ConsoleOutput read_console(const std::string& ref, std::uint64_t offset, std::uint32_t max_bytes);
  // The guest's listening ports reachable from outside it, sorted by protocol
  // and port (VM.Ports; refreshed every few seconds while the VM runs on a
  // network, empty otherwise).
  std::vector<GuestPort> guest_ports(const std::string& ref);

  // VM.ForwardPort / VM.RemoveForward: host_port (1024 ..) on the host leads to
  // guest_port of the VM's guest while it runs; protocol "tcp" or "udp".
  void forward_port(const std::string& ref, const std::string& protocol, std::uint16_t host_port,
                    std::uint16_t guest_port);
  void remove_forward(const std::string& ref, const std::string& protocol, std::uint16_t host_port);
  std::vector<PortForwardInfo> forwards(const std::string& ref);

  // The running VM's serial console, interactively (VM.OpenConsole): a socket
  // descriptor the caller owns; reading it gives the guest's serial output from
  // now on, writing it types into the guest, closing it detaches. Errors: Busy
  // while another client is attached, InvalidState when the VM is not running.
  int open_console(const std::string& ref);

  // Sends the folder `dir` (read here, with the caller's rights) to the VM's
  // work disk: into the guest when it runs, into its disk image when stopped.
  // Blocks until bangerd has it all (or timeout); returns the bytes of file
  // content sent. Nothing is kept when anything fails.
  std::uint64_t push_workspace(const std::string& ref, const std::string& dir,
                               const WorkspacePushOptions& options = {}, const ProgressCallback& progress = {},
                               std::chrono::milliseconds timeout = std::chrono::minutes(30));
  // Fetches /work/<source> of the VM into the folder `dir` (made when missing),
  // written with the caller's rights; nothing lands outside `dir`.
  void pull_workspace(const std::string& ref, const std::string& dir, const WorkspacePullOptions& options = {},
                      const ProgressCallback& progress = {},
                      std::chrono::milliseconds timeout = std::chrono::minutes(30));
  // VM.AddAuthorizedKeys: OpenSSH public key lines ("ssh-ed25519 AAAA… me@host", a .pub file's
  // line) the guest user (root) takes from now on, also after restarts; needs the right to manage the VM.
  void add_authorized_keys(const std::string& ref, const std::vector<std::string>& public_keys);
  // VM.RemoveAuthorizedKeys, by fingerprint.
  void remove_authorized_keys(const std::string& ref, const std::vector<std::string>& fingerprints);
  // The keys given so far, in the order added.
  std::vector<AuthorizedKey> authorized_keys(const std::string& ref);

  std::vector<ImageInfo> list_images();  // sorted by name
  ImageInfo get_image(const std::string& ref);
  // Blocks until the files are copied (or timeout) and returns the new image.
  ImageInfo import_image(const std::string& name, const ImageSourceFiles& files,
                         const ProgressCallback& progress = {},
                         std::chrono::milliseconds timeout = std::chrono::minutes(30));
  void set_default_image(const std::string& ref);
  void remove_image(const std::string& ref);

  // Named checkpoints. `vm_ref` empty: every VM's. Sorted by name.
  std::vector<SnapshotInfo> list_snapshots(const std::string& vm_ref = {});
  // VM.Snapshot, following its Operation; returns the new checkpoint.
  SnapshotInfo snapshot_vm(const std::string& vm_ref, const std::string& name, const ProgressCallback& progress = {},
                           std::chrono::milliseconds timeout = std::chrono::minutes(30));
  // Snapshot.Restore and Snapshot.Delete of the VM's checkpoint named `name`.
  void restore_snapshot(const std::string& vm_ref, const std::string& name,
                        std::chrono::milliseconds timeout = std::chrono::minutes(10));
  void remove_snapshot(const std::string& vm_ref, const std::string& name);
  // Snapshot.Clone: a new VM from the VM's checkpoint named `name` (its disks); blocks like create_vm.
  VmInfo clone_snapshot(const std::string& vm_ref, const std::string& name, const std::string& new_name,
                        const ProgressCallback& progress = {},
                        std::chrono::milliseconds timeout = std::chrono::minutes(10));

  std::vector<NetworkInfo> list_networks();  // sorted by name
  NetworkInfo get_network(const std::string& name);
  NetworkInfo create_network(const std::string& name, const NetworkOptions& options = {});
  void set_network_nat(const std::string& name, bool nat);
  void remove_network(const std::string& name);

  // Calls on_event for every object added or removed, VM state change and
  // property change, in order, on this thread; `subscribed` runs once the
  // subscriptions are in place. Returns when keep_going() is false (asked after
  // every event and at least every 200 ms).
  void follow_events(const EventCallback& on_event, const std::function<bool()>& keep_going,
                     const std::function<void()>& subscribed = {});
  // Every VM's stats, sorted by name.
  std::vector<VmStats> list_stats();
  VmStats get_stats(const std::string& ref);
  // Follows every VM's stats live from the daemon's signals (PropertiesChanged,
  // VMs added and removed), calling `update` with all of them first and after
  // each change, and once a second while Uptime counts on. When `input_fd` is
  // not -1 and becomes readable, `on_input` runs (false ends the watch). Throws
  // unreachable when bangerd leaves the bus.
  void watch_stats(const StatsCallback& update, int input_fd = -1, const std::function<bool()>& on_input = {});

  // Returns once the VM's State equals state (at any moment after the call
  // began); throws not_found if the VM vanishes, failed on timeout.
  void wait_for_state(const std::string& ref, const std::string& state,
                      std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "SHA256:…" of an OpenSSH public key line (its base64 part), as the
// AuthorizedKeys property and ssh-keygen -l show it; throws Error(usage) for a
// line without valid base64 key data.
BANGER_CLIENT_API std::string public_key_fingerprint(const std::string& public_key_line);

// The library's own version (BANGER_VERSION at build time).
BANGER_CLIENT_API const char* library_version() noexcept;

}  // namespace banger::client
