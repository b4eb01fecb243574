#pragma once
#include <span>
#include <string_view>

namespace banger {

// One schema step. Versions only ever grow: a released step is never edited,
// later changes append a new step instead, so every existing database can be
// brought forward by applying the steps it has not recorded yet.
struct Migration {
  int version;
  std::string_view sql;  // may hold several statements
};

// The steps this bangerd knows, in ascending version order.
std::span<const Migration> builtin_migrations();

}  // namespace banger
