#include "bus/operation_object.h"

#include <algorithm>

#include "banger/bus_names.h"
#include "bus/removal_signal.h"

namespace banger {

OperationObject::OperationObject(sdbus::IConnection& connection, std::string path, std::string kind,
                                 std::string target)
    : AdaptorInterfaces(connection, std::move(path)) {
  shown_.kind = std::move(kind);
  shown_.target = std::move(target);
  registerAdaptor();
  getObject().emitInterfacesAddedSignal();
}

OperationObject::~OperationObject() {
  announce_removed(getObject());
  unregisterAdaptor();
}

void OperationObject::change(OperationShown next) {
  const auto changed = properties::Operation::table.changed(shown_, next);
  shown_ = std::move(next);
  if (!changed.empty()) getObject().emitPropertiesChangedSignal(bus::operation_interface, changed);
}

void OperationObject::progress(const std::string& stage, double fraction) {
  if (shown_.done) return;
  OperationShown next = shown_;
  next.stage = stage;
  next.progress = std::clamp(fraction, 0.0, 1.0);
  change(std::move(next));
}

void OperationObject::finish(bool success, const std::string& error) {
  if (shown_.done) return;
  OperationShown next = shown_;
  next.done = true;
  next.error = error;
  if (success) next.progress = 1.0;
  change(std::move(next));
  emitFinished(success, shown_.error);
}

}  // namespace banger
