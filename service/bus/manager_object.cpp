#include "bus/manager_object.h"

#include "banger/bus_names.h"
#include "banger/object_path.h"
#include "banger_build_config.h"
#include "bus/authorizer.h"
#include "bus/caller.h"
#include "bus/error_map.h"
#include "bus/event_loop.h"
#include "bus/image_object.h"
#include "bus/image_parts_request.h"
#include "bus/network_object.h"
#include "bus/object_registry.h"
#include "bus/operation_request.h"
#include "bus/options.h"
#include "bus/request.h"
#include "bus/vm_object.h"
#include "core/image_manager.h"
#include "core/network_manager.h"
#include "core/vm_manager.h"
#include "core/worker_pool.h"

namespace banger {

ManagerObject::ManagerObject(BusContext& ctx)
    : AdaptorInterfaces(ctx.connection, bus::root_path),
      ctx_(ctx),
      doctor_([&vms = ctx.vms] { return vms.doctor(); }) {
  registerAdaptor();
}

ManagerObject::~ManagerObject() { unregisterAdaptor(); }

std::string ManagerObject::Version() { return BANGER_VERSION; }

void ManagerObject::CreateVM(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string name,
                             std::map<std::string, sdbus::Variant> options) {
  auto caller = caller_of(*getObject().getCurrentlyProcessedMessage());
  CreateSpec spec;
  if (!validated(result, [&] { spec = parse_create_request(name, to_option_map(options), ctx_.defaults, ctx_.limits); }))
    return;
  auto create = [&ctx = ctx_, caller, spec](sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result) {
    auto id = std::make_shared<std::string>();
    authorize_and_start_operation(
        ctx, std::move(result), caller, bus::action::create_vm, {{"vm", spec.name}, {"verb", "create"}}, "create-vm",
        [&ctx, spec, uid = caller.uid, id] {
          auto resolved = spec;
          resolved.image = ctx.images.image_for_create(spec.image);
          *id = ctx.vms.begin_create(resolved, uid).id;
          return bus::vm_path(*id);
        },
        [&ctx, id](ProgressSink& progress) { ctx.vms.finish_create(*id, progress); });
  };
  if (spec.network == default_network_name) {
    create(std::move(result));
    return;
  }
  // Another network is checked against that network first.
  auto reply = std::make_shared<sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>>(std::move(result));
  ctx_.authorizer.check(caller, bus::action::use_network, {{"network", spec.network}, {"vm", spec.name}},
                        [reply, create](std::exception_ptr denied) {
                          if (denied)
                            reply->returnError(to_bus_error(denied));
                          else
                            create(std::move(*reply));
                        });
}

std::vector<sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>> ManagerObject::ListVMs() {
  std::vector<sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>> out;
  ctx_.registry.for_each_vm([&](const VmRecord& vm) {
    out.emplace_back(vm.id, vm.name, std::string(to_string(vm.state)), sdbus::ObjectPath(bus::vm_path(vm.id)));
  });
  return out;
}

sdbus::ObjectPath ManagerObject::GetVM(const std::string& ref) {
  try {
    return sdbus::ObjectPath(bus::vm_path(ctx_.registry.resolve(ref).record().id));
  } catch (...) {
    throw to_bus_error(std::current_exception());
  }
}

void ManagerObject::StartVM(sdbus::Result<>&& result, std::string ref) {
  VmObject* vm = nullptr;
  if (!validated(result, [&] { vm = &ctx_.registry.resolve(ref); })) return;
  vm->start(std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()));
}

void ManagerObject::StopVM(sdbus::Result<>&& result, std::string ref, bool force) {
  VmObject* vm = nullptr;
  if (!validated(result, [&] { vm = &ctx_.registry.resolve(ref); })) return;
  vm->stop(std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()), force);
}

void ManagerObject::DeleteVM(sdbus::Result<>&& result, std::string ref) {
  VmObject* vm = nullptr;
  if (!validated(result, [&] { vm = &ctx_.registry.resolve(ref); })) return;
  vm->remove(std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()));
}

void ManagerObject::ImportImage(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string name,
                                std::map<std::string, sdbus::Variant> parts) {
  auto caller = caller_of(*getObject().getCurrentlyProcessedMessage());
  auto request = std::make_shared<ImagePartsRequest>();
  if (!validated(result, [&] {
        validate_image_name(name);
        *request = read_image_parts(parts);
      }))
    return;
  const char* source = request->paths.empty() ? "fd" : "path";
  auto pending = std::make_shared<ImageManager::PendingImport>();
  authorize_and_start_operation(
      ctx_, std::move(result), caller, bus::action::manage_images,
      {{"image", name}, {"verb", "import"}, {"source", source}}, "import-image",
      // Paths are opened only here, after polkit allowed the import, with the caller's rights.
      [&images = ctx_.images, name, request, pending, rights = ImportRights{caller.uid, ctx_.import_off_limits}] {
        *pending = images.begin_import(name, open_image_parts(std::move(*request), rights));
        return bus::image_path(pending->image.id);
      },
      [&images = ctx_.images, pending](ProgressSink& progress) { images.finish_import(std::move(*pending), progress); });
}

// Answered by DoctorRuns on its own thread; the reply goes out on the bus thread.
void ManagerObject::Doctor(
    sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string>>>&&
        result) {
  auto reply = std::make_shared<std::decay_t<decltype(result)>>(std::move(result));
  doctor_.request([&loop = ctx_.loop, reply](const std::vector<DoctorCheck>& checks, std::exception_ptr error) mutable {
    if (error) {
      loop.post([reply = std::move(reply), e = to_bus_error(error)] { reply->returnError(e); });
      return;
    }
    std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string>> out;
    for (const auto& c : checks) out.emplace_back(c.check, c.status, c.summary, c.detail, c.fix);
    loop.post([reply = std::move(reply), out = std::move(out)] { reply->returnResults(out); });
  });
}

std::vector<sdbus::Struct<std::string, std::string, bool, sdbus::ObjectPath>> ManagerObject::ListImages() {
  std::vector<sdbus::Struct<std::string, std::string, bool, sdbus::ObjectPath>> out;
  ctx_.registry.for_each_image([&](const std::string& path, const ImageRecord& image) {
    out.emplace_back(image.id, image.name, image.is_default, sdbus::ObjectPath(path));
  });
  return out;
}

sdbus::ObjectPath ManagerObject::GetImage(const std::string& ref) {
  try {
    return sdbus::ObjectPath(ctx_.registry.resolve_image(ref).path());
  } catch (...) {
    throw to_bus_error(std::current_exception());
  }
}

void ManagerObject::SetDefaultImage(sdbus::Result<>&& result, std::string ref) {
  ImageObject* image = nullptr;
  if (!validated(result, [&] { image = &ctx_.registry.resolve_image(ref); })) return;
  const auto& record = image->record();
  authorize_and_run(ctx_, std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()),
                    bus::action::manage_images,
                    {{"image", record.name}, {"image_id", record.id}, {"verb", "set-default"}},
                    [&images = ctx_.images, id = record.id] {
                      images.set_default(id);
                      return std::tuple<>();
                    });
}

void ManagerObject::DeleteImage(sdbus::Result<>&& result, std::string ref) {
  ImageObject* image = nullptr;
  if (!validated(result, [&] { image = &ctx_.registry.resolve_image(ref); })) return;
  image->remove(std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()));
}

void ManagerObject::CreateNetwork(sdbus::Result<sdbus::ObjectPath>&& result, std::string name,
                                  std::map<std::string, sdbus::Variant> options) {
  NetworkSpec spec;
  if (!validated(result, [&] { spec = parse_network_options(name, to_option_map(options)); })) return;
  authorize_and_run(ctx_, std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()),
                    bus::action::manage_networks, {{"network", spec.name}, {"verb", "create"}},
                    [&networks = ctx_.networks, spec] {
                      const auto network = networks.create(spec);
                      return std::tuple{sdbus::ObjectPath(bus::network_path(network.name))};
                    });
}

std::vector<sdbus::Struct<std::string, std::string, bool, sdbus::ObjectPath>> ManagerObject::ListNetworks() {
  std::vector<sdbus::Struct<std::string, std::string, bool, sdbus::ObjectPath>> out;
  ctx_.registry.for_each_network([&](const std::string& path, const NetworkRecord& network) {
    out.emplace_back(network.name, network.subnet, network.nat, sdbus::ObjectPath(path));
  });
  return out;
}

sdbus::ObjectPath ManagerObject::GetNetwork(const std::string& name) {
  try {
    return sdbus::ObjectPath(ctx_.registry.resolve_network(name).path());
  } catch (...) {
    throw to_bus_error(std::current_exception());
  }
}

void ManagerObject::DeleteNetwork(sdbus::Result<>&& result, std::string name) {
  NetworkObject* network = nullptr;
  if (!validated(result, [&] { network = &ctx_.registry.resolve_network(name); })) return;
  network->remove(std::move(result), caller_of(*getObject().getCurrentlyProcessedMessage()));
}

}  // namespace banger
