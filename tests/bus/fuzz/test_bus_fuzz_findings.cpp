// What the D-Bus fuzz client found, one focused test each, so that a fix stays
// fixed without waiting for the fuzzer to draw the same call again.
#include <string>

#include "bus/live_object.h"
#include "bus/removal_signal.h"
#include "test_support.h"

namespace banger::test {
namespace {

namespace err = banger::bus::error;

class BusFuzzFindings : public ClientTest {};

// GetManagedObjects is answered by bangerd's own responder outside sd-bus's
// vtables, which used to ignore arguments and return the objects anyway.
TEST_F(BusFuzzFindings, GetManagedObjectsWithArgumentsIsInvalidArgs) {
  auto connection = sdbus::createSessionBusConnectionWithAddress(env().address());
  auto root = sdbus::createProxy(*connection, kService, kRoot);
  auto e = error_of([&] {
    root->callMethod("GetManagedObjects").onInterface(kObjectManager).withArguments(std::string("x"), std::uint32_t{7});
  });
  ASSERT_TRUE(e) << "GetManagedObjects(su) must be refused";
  EXPECT_EQ(e->getName(), err::invalid_args);
  EXPECT_NE(e->getMessage().find("'su'"), std::string::npos) << e->getMessage();
  // Without arguments it still answers.
  std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>> objects;
  root->callMethod("GetManagedObjects").onInterface(kObjectManager).storeResultsTo(objects);
}

}  // namespace
}  // namespace banger::test

namespace banger::test {
namespace {

// bangerd died once under the fuzzer: sdbus-c++ threw "Failed to emit
// InterfacesRemoved signal … (No such process)" — sd-bus's ESRCH for a path with
// no object manager above it — out of an object's removal on the event loop.
// announce_removed() must swallow (and log) that, never throw.
TEST_F(BusFuzzFindings, AFailedRemovalSignalDoesNotThrow) {
  auto connection = sdbus::createSessionBusConnectionWithAddress(env().address());
  auto object = sdbus::createObject(*connection, "/no/object/manager/above/this");
  EXPECT_TRUE(error_of([&] { object->emitInterfacesRemovedSignal(); }))
      << "sd-bus should refuse InterfacesRemoved without an object manager (the case this guards)";
  EXPECT_NO_THROW(banger::announce_removed(*object));
}

}  // namespace
}  // namespace banger::test

namespace banger::test {
namespace {

// A stand-in with what alive_or_gone() needs from a bus object.
struct FakeObject : std::enable_shared_from_this<FakeObject> {
  std::string getObjectPath() const { return "/dev/banger/banger1/vm/_30gone"; }
};

// bangerd died once under the fuzzer with std::bad_weak_ptr: a VM method call
// was dispatched to a VmObject whose last reference was gone while its
// destructor unregistered it. Such a call is now answered NoSuchVM.
TEST(BusFuzzFindingsNoBus, ACallToAnObjectBeingDestroyedIsNoSuchObject) {
  FakeObject dying;  // owned by no shared_ptr: what a destructor in progress looks like
  try {
    banger::alive_or_gone(dying, ErrorKind::no_such_vm);
    ADD_FAILURE() << "expected an error";
  } catch (const sdbus::Error& e) {
    EXPECT_EQ(e.getName(), err::no_such_vm);
    EXPECT_NE(e.getMessage().find("_30gone"), std::string::npos) << e.getMessage();
  }
  auto owned = std::make_shared<FakeObject>();
  EXPECT_EQ(banger::alive_or_gone(*owned, ErrorKind::no_such_vm), owned);
}

}  // namespace
}  // namespace banger::test
