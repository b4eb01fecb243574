// ResolvedBus against a fake org.freedesktop.resolve1 on a private
// dbus-daemon of the test's own: the exact calls and arguments resolved gets.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include <sdbus-c++/sdbus-c++.h>

#include "net/resolved_bus.h"
#include "netns.h"

namespace banger::net {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Address = sdbus::Struct<std::int32_t, std::vector<std::uint8_t>>;
using Domain = sdbus::Struct<std::string, bool>;

constexpr const char* manager = "org.freedesktop.resolve1.Manager";

// A dbus-daemon with the stock session policy (anyone may own any name).
class PrivateBus {
 public:
  PrivateBus() {
    char dir[] = "/tmp/banger-resolved-XXXXXX";
    if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
    dir_ = dir;
    const auto started = test::run_command("dbus-daemon --session --fork --address=unix:path=" + (dir_ / "bus").string() +
                                           " --print-address=1 --print-pid=1 > " + (dir_ / "info").string());
    std::ifstream info(dir_ / "info");
    if (started.status != 0 || !std::getline(info, address_) || !(info >> pid_))
      throw std::runtime_error("dbus-daemon did not start");
  }
  ~PrivateBus() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const std::string& address() const { return address_; }

 private:
  fs::path dir_;
  std::string address_;
  pid_t pid_ = 0;
};

// org.freedesktop.resolve1's two methods, recording what they were given.
class FakeResolve1 {
 public:
  explicit FakeResolve1(const std::string& address, std::string refuse_with = {})
      : connection_(sdbus::createSessionBusConnectionWithAddress(address)), refuse_with_(std::move(refuse_with)) {
    connection_->requestName("org.freedesktop.resolve1");
    object_ = sdbus::createObject(*connection_, "/org/freedesktop/resolve1");
    object_->registerMethod("SetLinkDNS").onInterface(manager).implementedAs(
        [this](std::int32_t ifindex, const std::vector<Address>& addresses) {
          refuse_if_told();
          std::lock_guard lock(mutex_);
          calls_.push_back("SetLinkDNS");
          dns_ = {ifindex, addresses};
        });
    object_->registerMethod("SetLinkDomains").onInterface(manager).implementedAs(
        [this](std::int32_t ifindex, const std::vector<Domain>& domains) {
          std::lock_guard lock(mutex_);
          calls_.push_back("SetLinkDomains");
          domains_ = {ifindex, domains};
        });
    object_->finishRegistration();
    connection_->enterEventLoopAsync();
  }
  ~FakeResolve1() { connection_->leaveEventLoop(); }

  std::vector<std::string> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::pair<std::int32_t, std::vector<Address>> dns() {
    std::lock_guard lock(mutex_);
    return dns_;
  }
  std::pair<std::int32_t, std::vector<Domain>> domains() {
    std::lock_guard lock(mutex_);
    return domains_;
  }

 private:
  void refuse_if_told() const {
    if (!refuse_with_.empty()) throw sdbus::Error("org.freedesktop.DBus.Error.AccessDenied", refuse_with_);
  }

  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IObject> object_;
  std::string refuse_with_;
  std::mutex mutex_;
  std::vector<std::string> calls_;
  std::pair<std::int32_t, std::vector<Address>> dns_;
  std::pair<std::int32_t, std::vector<Domain>> domains_;
};

class ResolvedBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::run_command("command -v dbus-daemon >/dev/null").status != 0) GTEST_SKIP() << "dbus-daemon is not installed";
    bus_ = std::make_unique<PrivateBus>();
  }
  std::unique_ptr<PrivateBus> bus_;
};

TEST_F(ResolvedBusTest, SetsTheLinksServerAndItsRoutingOnlyDomain) {
  FakeResolve1 resolve1(bus_->address());
  ResolvedBus resolved(bus_->address());
  EXPECT_EQ(resolved.unavailable(), std::nullopt);
  EXPECT_EQ(resolved.register_link({7, "10.219.0.1", "banger"}), std::nullopt);

  EXPECT_EQ(resolve1.calls(), (std::vector<std::string>{"SetLinkDNS", "SetLinkDomains"}));
  const auto [dns_link, addresses] = resolve1.dns();
  EXPECT_EQ(dns_link, 7);
  ASSERT_EQ(addresses.size(), 1u);
  EXPECT_EQ(addresses[0].get<0>(), AF_INET);
  EXPECT_EQ(addresses[0].get<1>(), (std::vector<std::uint8_t>{10, 219, 0, 1}));
  const auto [domain_link, domains] = resolve1.domains();
  EXPECT_EQ(domain_link, 7);
  ASSERT_EQ(domains.size(), 1u);
  EXPECT_EQ(domains[0].get<0>(), "banger");
  EXPECT_TRUE(domains[0].get<1>());  // routing only: just names under it go there
}

TEST_F(ResolvedBusTest, WithoutResolvedOnTheBusNothingIsCalledAndItSaysSo) {
  ResolvedBus resolved(bus_->address());
  ASSERT_TRUE(resolved.unavailable().has_value());
  EXPECT_THAT(*resolved.unavailable(), HasSubstr("not on the system bus"));
  const auto why = resolved.register_link({7, "10.219.0.1", "banger"});
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("systemd-resolved is not running"));
}

TEST_F(ResolvedBusTest, WithoutAnyBusItSaysSoAndDoesNotThrow) {
  ResolvedBus resolved("unix:path=/nonexistent/banger-test-bus");
  ASSERT_TRUE(resolved.unavailable().has_value());
  EXPECT_THAT(*resolved.unavailable(), HasSubstr("no system bus"));
  EXPECT_TRUE(resolved.register_link({7, "10.219.0.1", "banger"}).has_value());
}

TEST_F(ResolvedBusTest, ARefusalIsReportedWithResolvedsReason) {
  FakeResolve1 resolve1(bus_->address(), "not allowed to touch link 7");
  ResolvedBus resolved(bus_->address());
  const auto why = resolved.register_link({7, "10.219.0.1", "banger"});
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("not allowed to touch link 7"));
  EXPECT_THAT(*why, HasSubstr("AccessDenied"));
  EXPECT_TRUE(resolve1.calls().empty());
}

TEST_F(ResolvedBusTest, AServerThatIsNoIpv4AddressIsRefusedBeforeAnyCall) {
  FakeResolve1 resolve1(bus_->address());
  ResolvedBus resolved(bus_->address());
  EXPECT_TRUE(resolved.register_link({7, "not-an-address", "banger"}).has_value());
  EXPECT_TRUE(resolve1.calls().empty());
}

}  // namespace
}  // namespace banger::net
