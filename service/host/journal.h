#pragma once
#include "core/log.h"

namespace banger::host {

// One record to journald over its native protocol (sd_journal_sendv), as
// SYSLOG_IDENTIFIER=bangerd with the record's fields: log::use_journal's writer.
bool send_to_journal(int priority, std::string_view message, const log::Fields& fields);

}  // namespace banger::host
