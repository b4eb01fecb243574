#include "bus/operation_object.h"

#include <algorithm>

#include "banger/bus_names.h"

namespace banger {

OperationObject::OperationObject(sdbus::IConnection& connection, std::string path, std::string kind,
                                 std::string target)
    : AdaptorInterfaces(connection, std::move(path)), kind_(std::move(kind)), target_(std::move(target)) {
  registerAdaptor();
  getObject().emitInterfacesAddedSignal();
}

OperationObject::~OperationObject() {
  // A destructor must not throw: when bangerd ends on an error the object manager may be
  // gone before the operations, and the signal cannot be sent (ESRCH).
  try {
    getObject().emitInterfacesRemovedSignal();
  } catch (const sdbus::Error&) {
  }
  unregisterAdaptor();
}

void OperationObject::progress(const std::string& stage, double fraction) {
  if (done_) return;
  fraction = std::clamp(fraction, 0.0, 1.0);
  std::vector<std::string> changed;
  if (stage != stage_) changed.emplace_back("Stage");
  if (fraction != progress_) changed.emplace_back("Progress");
  stage_ = stage;
  progress_ = fraction;
  if (!changed.empty()) getObject().emitPropertiesChangedSignal(bus::operation_interface, changed);
}

void OperationObject::finish(bool success, const std::string& error) {
  if (done_) return;
  done_ = true;
  error_ = error;
  std::vector<std::string> changed{"Done"};
  if (success && progress_ != 1.0) {
    progress_ = 1.0;
    changed.emplace_back("Progress");
  }
  if (!error_.empty()) changed.emplace_back("Error");
  getObject().emitPropertiesChangedSignal(bus::operation_interface, changed);
  emitFinished(success, error_);
}

}  // namespace banger
