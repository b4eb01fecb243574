#include "host/journal.h"

#include <sys/uio.h>

#include <string>
#include <vector>

#include <systemd/sd-journal.h>

namespace banger::host {

bool send_to_journal(int priority, std::string_view message, const log::Fields& fields) {
  std::vector<std::string> items{fmt::format("MESSAGE={}", message), fmt::format("PRIORITY={}", priority),
                                 "SYSLOG_IDENTIFIER=bangerd"};
  for (const auto& [name, value] : fields) items.push_back(name + "=" + value);
  std::vector<iovec> iov;
  for (auto& item : items) iov.push_back({item.data(), item.size()});
  return sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0;
}

}  // namespace banger::host
