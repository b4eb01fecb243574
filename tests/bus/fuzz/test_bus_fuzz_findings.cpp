// What the D-Bus fuzz client found, one focused test each, so that a fix stays
// fixed without waiting for the fuzzer to draw the same call again.
#include <string>

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
