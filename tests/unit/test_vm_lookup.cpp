#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/vm_lookup.h"

namespace banger {
namespace {

VmRecord vm(std::string id, std::string name) {
  VmRecord r;
  r.id = std::move(id);
  r.name = std::move(name);
  return r;
}

ErrorKind kind_of(const std::vector<VmRecord>& vms, std::string_view ref) {
  try {
    resolve_ref(vms, ref);
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::internal;
}

TEST(VmLookup, ExactIdWinsOverNameAndPrefix) {
  // "ab12" is both one VM's id and a prefix of another's name.
  std::vector<VmRecord> vms{vm("ab12", "web"), vm("cd34", "ab12x")};
  EXPECT_EQ(resolve_ref(vms, "ab12").name, "web");
}

TEST(VmLookup, ExactNameWinsOverPrefix) {
  std::vector<VmRecord> vms{vm("aaaa", "db"), vm("bbbb", "db2")};
  EXPECT_EQ(resolve_ref(vms, "db").id, "aaaa");
}

TEST(VmLookup, UniquePrefixOfIdOrName) {
  std::vector<VmRecord> vms{vm("0123abcd", "web"), vm("4567abcd", "db")};
  EXPECT_EQ(resolve_ref(vms, "01").name, "web");
  EXPECT_EQ(resolve_ref(vms, "we").id, "0123abcd");
}

TEST(VmLookup, PrefixMatchingIdOfOneAndNameOfAnotherIsAmbiguous) {
  std::vector<VmRecord> vms{vm("d00d1234", "web"), vm("77778888", "dev")};
  try {
    resolve_ref(vms, "d");
    FAIL() << "expected Ambiguous";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::ambiguous);
    EXPECT_NE(std::string(e.what()).find("web"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("dev"), std::string::npos);
  }
}

TEST(VmLookup, OneVmMatchingByIdAndNameIsNotAmbiguous) {
  std::vector<VmRecord> vms{vm("beef0000", "beefy")};
  EXPECT_EQ(resolve_ref(vms, "bee").id, "beef0000");
}

TEST(VmLookup, NothingMatches) {
  std::vector<VmRecord> vms{vm("aaaa", "web")};
  EXPECT_EQ(kind_of(vms, "zzz"), ErrorKind::no_such_vm);
  EXPECT_EQ(kind_of({}, "web"), ErrorKind::no_such_vm);
}

TEST(VmLookup, EmptyRefIsInvalid) {
  std::vector<VmRecord> vms{vm("aaaa", "web")};
  EXPECT_EQ(kind_of(vms, ""), ErrorKind::invalid_args);
}

}  // namespace
}  // namespace banger
