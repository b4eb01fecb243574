#include "bus/manager_object.h"

#include "banger/bus_names.h"
#include "banger/object_path.h"
#include "banger_build_config.h"
#include "bus/authorizer.h"
#include "bus/caller.h"
#include "bus/error_map.h"
#include "bus/event_loop.h"
#include "bus/object_registry.h"
#include "bus/options.h"
#include "bus/request.h"
#include "bus/vm_object.h"
#include "core/vm_manager.h"
#include "core/worker_pool.h"

namespace banger {

namespace {

std::string describe(const sdbus::Error& e) { return e.getName() + ": " + e.getMessage(); }

}  // namespace

ManagerObject::ManagerObject(BusContext& ctx) : AdaptorInterfaces(ctx.connection, bus::root_path), ctx_(ctx) {
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

  auto reply = std::make_shared<std::remove_reference_t<decltype(result)>>(std::move(result));
  auto& ctx = ctx_;
  ctx.authorizer.check(caller, bus::action::create_vm, {{"vm", spec.name}, {"verb", "create"}},
                       [&ctx, reply, spec, uid = caller.uid](std::exception_ptr denied) {
    if (denied) {
      reply->returnError(to_bus_error(denied));
      return;
    }
    ctx.pool.submit([&ctx, reply, spec, uid] {
      VmRecord vm;
      try {
        vm = ctx.vms.begin_create(spec, uid);
      } catch (...) {
        ctx.loop.post([reply, failure = std::current_exception()] { reply->returnError(to_bus_error(failure)); });
        return;
      }
      // The VM object is already queued for export (vm_added); the reply follows it.
      auto op = ctx.registry.reserve_operation();
      ctx.loop.post([&ctx, reply, op, path = bus::vm_path(vm.id)] {
        ctx.registry.add_operation(op, "create-vm", path);
        reply->returnResults(sdbus::ObjectPath(path), sdbus::ObjectPath(bus::operation_path(op)));
      });
      OperationProgress progress(ctx, op);
      bool success = true;
      std::string error;
      try {
        ctx.vms.finish_create(vm.id, progress);
      } catch (...) {
        success = false;
        error = describe(to_bus_error(std::current_exception()));
      }
      ctx.loop.post([&ctx, op, success, error] { ctx.registry.finish_operation(op, success, error); });
    });
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

}  // namespace banger
