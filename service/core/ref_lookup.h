#pragma once
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/errors.h"

namespace banger {

// Resolves what a user typed to one record with `id` and `name` members (VMs,
// images): an exact id, else an exact name, else a unique prefix over one pool
// of ids and names. Throws Error(not_found) or Error(ambiguous) naming the
// candidates, Error(invalid_args) for an empty ref. `what` is "VM", "image" ….
template <typename Record>
const Record& resolve_record_ref(std::span<const Record> records, std::string_view ref, std::string_view what,
                                 ErrorKind not_found) {
  if (ref.empty()) throw Error(ErrorKind::invalid_args, fmt::format("empty {} reference", what));
  for (const auto& r : records)
    if (r.id == ref) return r;
  for (const auto& r : records)
    if (r.name == ref) return r;

  std::vector<const Record*> matches;
  for (const auto& r : records)
    if (r.id.starts_with(ref) || r.name.starts_with(ref)) matches.push_back(&r);
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) throw Error(not_found, fmt::format("no {} matches '{}'", what, ref));

  std::string candidates;
  for (const auto* r : matches) {
    if (!candidates.empty()) candidates += ", ";
    candidates += fmt::format("{} ({})", r->name, r->id.substr(0, 12));
  }
  throw Error(ErrorKind::ambiguous, fmt::format("'{}' matches {} {}s: {}", ref, matches.size(), what, candidates));
}

}  // namespace banger
