#pragma once
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "bus/operation_properties.h"
#include "dev.banger.banger1.Operation_table_adaptor.h"

namespace banger {

// One long-running job; lives on the bus thread, fed by OperationProgress.
class OperationObject final
    : public sdbus::AdaptorInterfaces<properties::OperationTableAdaptor<OperationObject>, sdbus::Properties_adaptor> {
 public:
  OperationObject(sdbus::IConnection& connection, std::string path, std::string kind, std::string target);
  ~OperationObject();

  const OperationShown& shown() const { return shown_; }
  const std::string& path() const { return getObject().getObjectPath(); }
  // A property's value, as a Get answers it (properties::OperationTableAdaptor).
  template <typename Tag>
  typename Tag::type property() const {
    return properties::Operation::table.get<Tag>(shown_);
  }

  void progress(const std::string& stage, double fraction);
  void finish(bool success, const std::string& error);

 private:
  // Moves to `next`, signalling the properties that changed (by the table).
  void change(OperationShown next);

  OperationShown shown_;
};

}  // namespace banger
