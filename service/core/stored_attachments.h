#pragma once
#include "core/vm_attachment.h"
#include "core/network_store.h"
#include "core/store.h"

namespace banger {

// VmAttachments read from the store: the VM's network row and its lease there.
class StoredAttachments final : public VmAttachments {
 public:
  StoredAttachments(Store& vms, NetworkStore& networks) : vms_(vms), networks_(networks) {}

  std::optional<VmAttachment> attachment_of(const VmRecord& vm) override;
  std::vector<DnsEntry> dns_entries(const std::string& network) override;

 private:
  Store& vms_;
  NetworkStore& networks_;
};

}  // namespace banger
