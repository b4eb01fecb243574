#pragma once
#include <sdbus-c++/sdbus-c++.h>

#include "bus/bus_context.h"
#include "core/doctor_runs.h"
#include "dev.banger.banger1.Manager_adaptor.h"

namespace banger {

// The root object: Manager + ObjectManager. By-name verbs resolve the ref and
// forward to the VM object's own implementation.
class ManagerObject final : public sdbus::AdaptorInterfaces<dev::banger::banger1::Manager_adaptor,
                                                            sdbus::ObjectManager_adaptor, sdbus::Properties_adaptor> {
 public:
  explicit ManagerObject(BusContext& ctx);
  ~ManagerObject();

 private:
  void CreateVM(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string name,
                std::map<std::string, sdbus::Variant> options) override;
  std::vector<sdbus::Struct<std::string, std::string, std::string, sdbus::ObjectPath>> ListVMs() override;
  sdbus::ObjectPath GetVM(const std::string& ref) override;
  void StartVM(sdbus::Result<>&& result, std::string ref) override;
  void StopVM(sdbus::Result<>&& result, std::string ref, bool force) override;
  void DeleteVM(sdbus::Result<>&& result, std::string ref) override;
  void ImportImage(sdbus::Result<sdbus::ObjectPath, sdbus::ObjectPath>&& result, std::string name,
                   std::map<std::string, sdbus::Variant> parts) override;
  std::vector<sdbus::Struct<std::string, std::string, bool, sdbus::ObjectPath>> ListImages() override;
  sdbus::ObjectPath GetImage(const std::string& ref) override;
  void SetDefaultImage(sdbus::Result<>&& result, std::string ref) override;
  void DeleteImage(sdbus::Result<>&& result, std::string ref) override;
  void CreateNetwork(sdbus::Result<sdbus::ObjectPath>&& result, std::string name,
                     std::map<std::string, sdbus::Variant> options) override;
  std::vector<sdbus::Struct<std::string, std::string, bool, sdbus::ObjectPath>> ListNetworks() override;
  sdbus::ObjectPath GetNetwork(const std::string& name) override;
  void DeleteNetwork(sdbus::Result<>&& result, std::string name) override;
  std::string Version() override;
  void Doctor(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string>>>&&
                  result) override;

  BusContext& ctx_;
  DoctorRuns doctor_;
};

}  // namespace banger
