// The forwards table (migration 7) and the VM's forward_ports column.
#include <gtest/gtest.h>

#include "error_kind.h"
#include "store/sqlite_store.h"
#include "store_fixtures.h"

namespace banger {
namespace {

using testing::error_message_of;
using testing::kind_of;

using StoreForwardsTest = testing::StoreWithTwoVmsTest;

TEST_F(StoreForwardsTest, ListsAreSortedByProtocolThenHostPort) {
  store.insert_forward(web.id, {"udp", 5000, 53, false});
  store.insert_forward(web.id, {"tcp", 9000, 90, true});
  store.insert_forward(web.id, {"tcp", 8000, 80, false});
  store.insert_forward(db.id, {"tcp", 7000, 5432, false});
  EXPECT_EQ(store.list_forwards(web.id), (std::vector<PortForward>{{"tcp", 8000, 80, false},
                                                                   {"tcp", 9000, 90, true},
                                                                   {"udp", 5000, 53, false}}));
  const auto all = store.list_all_forwards();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].vm_id, db.id);
  EXPECT_EQ(all[0].forward.host_port, 7000);
}

TEST_F(StoreForwardsTest, AHostPortBelongsToOneVmPerProtocol) {
  store.insert_forward(web.id, {"tcp", 8000, 80, false});
  const auto message = error_message_of(ErrorKind::exists, [&] { store.insert_forward(db.id, {"tcp", 8000, 81, false}); });
  EXPECT_NE(message.find("'web'"), std::string::npos) << message;
  EXPECT_EQ(kind_of([&] { store.insert_forward(web.id, {"tcp", 8000, 82, false}); }), ErrorKind::exists);
  EXPECT_NO_THROW(store.insert_forward(db.id, {"udp", 8000, 81, false}));
}

TEST_F(StoreForwardsTest, AMissingVmIsNoSuchVm) {
  EXPECT_EQ(kind_of([&] { store.insert_forward("nope", {"tcp", 8000, 80, false}); }), ErrorKind::no_such_vm);
}

TEST_F(StoreForwardsTest, DeleteSaysWhetherThereWasOne) {
  store.insert_forward(web.id, {"tcp", 8000, 80, false});
  EXPECT_FALSE(store.delete_forward(db.id, "tcp", 8000)) << "another VM's forward is not this one's";
  EXPECT_FALSE(store.delete_forward(web.id, "udp", 8000));
  EXPECT_TRUE(store.delete_forward(web.id, "tcp", 8000));
  EXPECT_TRUE(store.list_forwards(web.id).empty());
}

TEST_F(StoreForwardsTest, AVmsForwardsGoWithItsRow) {
  store.insert_forward(web.id, {"tcp", 8000, 80, false});
  store.insert_forward(db.id, {"tcp", 8001, 80, false});
  store.delete_vm(web.id);
  ASSERT_EQ(store.list_all_forwards().size(), 1u);
  EXPECT_EQ(store.list_all_forwards()[0].vm_id, db.id);
}

TEST_F(StoreForwardsTest, ForwardPortsIsKeptWithTheVm) {
  EXPECT_FALSE(store.find_vm(web.id)->forward_ports);
  web.forward_ports = true;
  store.update_vm(web);
  EXPECT_TRUE(store.find_vm(web.id)->forward_ports);
}

}  // namespace
}  // namespace banger
