#pragma once
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "dev.banger.banger1.Operation_adaptor.h"

namespace banger {

// One long-running job; lives on the bus thread, fed by OperationProgress.
class OperationObject final
    : public sdbus::AdaptorInterfaces<dev::banger::banger1::Operation_adaptor, sdbus::Properties_adaptor> {
 public:
  OperationObject(sdbus::IConnection& connection, std::string path, std::string kind, std::string target);
  ~OperationObject();

  struct Snapshot {
    const std::string& kind;
    const std::string& target;
    const std::string& stage;
    double progress;
    bool done;
    const std::string& error;
  };
  Snapshot snapshot() const { return {kind_, target_, stage_, progress_, done_, error_}; }
  const std::string& path() const { return getObject().getObjectPath(); }

  void progress(const std::string& stage, double fraction);
  void finish(bool success, const std::string& error);

 private:
  std::string Kind() override { return kind_; }
  sdbus::ObjectPath Target() override { return sdbus::ObjectPath(target_); }
  std::string Stage() override { return stage_; }
  double Progress() override { return progress_; }
  bool Done() override { return done_; }
  std::string Error() override { return error_; }

  std::string kind_;
  std::string target_;
  std::string stage_ = "queued";
  double progress_ = 0.0;
  bool done_ = false;
  std::string error_;
};

}  // namespace banger
