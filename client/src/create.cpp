// Client::create_vm and clone_vm: CreateVM or VM.Clone, then follow the returned Operation to its end.
#include "client_impl.h"
#include "operation_watch.h"

namespace banger::client {

VmInfo Client::Impl::create_vm(const std::string& name, const CreateOptions& options,
                               const ProgressCallback& progress, std::chrono::milliseconds timeout) {
  // Keys as the CreateVM contract names them.
  std::map<std::string, sdbus::Variant> args;
  if (options.vcpus) args.emplace("vcpus", sdbus::Variant(*options.vcpus));
  if (options.memory_mib) args.emplace("memory", sdbus::Variant(*options.memory_mib));
  if (options.image) args.emplace("image", sdbus::Variant(*options.image));
  if (options.backend) args.emplace("backend", sdbus::Variant(*options.backend));
  if (options.network) args.emplace("network", sdbus::Variant(*options.network));
  if (options.disk_mib) args.emplace("disk", sdbus::Variant(*options.disk_mib));
  if (options.work_disk_mib) args.emplace("work_disk", sdbus::Variant(*options.work_disk_mib));
  if (options.keep_work_disk) args.emplace("keep_work_disk", sdbus::Variant(*options.keep_work_disk));
  if (options.forward_ports) args.emplace("forward_ports", sdbus::Variant(*options.forward_ports));
  if (options.autostart) args.emplace("autostart", sdbus::Variant(*options.autostart));
  if (options.idle_suspend_s) args.emplace("idle_suspend", sdbus::Variant(*options.idle_suspend_s));

  const auto [vm_path, op_path] = manager->CreateVM(name, args);
  detail::follow_operation(*connection, op_path, progress, timeout, "the VM to be created");
  return read_vm(vm_path);
}

VmInfo Client::Impl::clone_vm(const std::string& ref, const std::string& new_name, const ProgressCallback& progress,
                              std::chrono::milliseconds timeout) {
  VmProxy source(*connection, resolve(ref));
  const auto [vm_path, op_path] = source.Clone(new_name);
  detail::follow_operation(*connection, op_path, progress, timeout, "the clone to be made");
  return read_vm(vm_path);
}

}  // namespace banger::client
