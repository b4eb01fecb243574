#pragma once
// DnsNames with a real dnsmasq on a real bridge, inside a network namespace
// each test makes and removes: the fakes, the fixture and the query helpers
// shared by test_dns_names_netns.cpp and test_dnsmasq_lifecycle_netns.cpp.
#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "capabilities/dns_names.h"
#include "config.h"
#include "core/errors.h"
#include "core/unique_fd.h"
#include "dns_query.h"
#include "net/dnsmasq_config.h"
#include "net/links.h"
#include "netns.h"

namespace banger::dns_fixture {

namespace fs = std::filesystem;

// NetworkManager's answers, set by each test.
class FakeAttachments final : public VmAttachments {
 public:
  std::optional<VmAttachment> attachment_of(const VmRecord& vm) override {
    auto it = by_vm.find(vm.id);
    if (it == by_vm.end()) return std::nullopt;
    return it->second;
  }
  std::vector<DnsEntry> dns_entries(const std::string& network) override { return entries[network]; }

  std::map<std::string, VmAttachment> by_vm;
  std::map<std::string, std::vector<DnsEntry>> entries;
};

class FakeResolved final : public net::ResolvedLinks {
 public:
  std::optional<std::string> unavailable() override { return why_unavailable; }
  std::optional<std::string> register_link(const net::ResolvedLink& link) override {
    if (why_unavailable) return why_unavailable;
    registered.push_back(link);
    return std::nullopt;
  }
  std::optional<std::string> why_unavailable;
  std::vector<net::ResolvedLink> registered;
};

class NullProgress final : public ProgressSink {
 public:
  void report(std::string_view, double) override {}
};

constexpr const char* gateway = "10.213.0.1";

inline NetworkRecord network(const std::string& domain = "banger") {
  NetworkRecord n;
  n.name = "dnst";
  n.bridge = "bg-dnst";
  n.subnet = "10.213.0.0/24";
  n.gateway = gateway;
  n.dns_domain = domain;
  return n;
}

inline VmRecord vm(const std::string& id, const std::string& name) {
  VmRecord v;
  v.id = id;
  v.name = name;
  return v;
}

// Every running dnsmasq whose command line names this pid file.
inline std::vector<pid_t> dnsmasqs_of(const fs::path& pid_file) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    auto start = process_start_time(pid);
    if (!start || !is_running({pid, *start})) continue;
    for (const auto& arg : process_cmdline(pid))
      if (arg == "--pid-file=" + pid_file.string()) found.push_back(pid);
  }
  return found;
}

// One query at the gateway: the A records, none for NXDOMAIN, or the failure.
inline std::vector<std::string> answer(const std::string& name) {
  const auto reply = test::query_a(gateway, name);
  if (!reply.failure.empty()) return {reply.failure};
  return reply.nxdomain ? std::vector<std::string>{} : reply.addresses;
}

inline const std::vector<std::string> nxdomain{};

class DnsNamesInNetns : public ::testing::Test {
 protected:
  static std::optional<std::string> unavailable() { return test::netns_unavailable({.programs = {"dnsmasq"}}); }

  void SetUp() override {
    if (auto why = unavailable()) GTEST_SKIP() << *why;
    netns_ = std::make_unique<test::ScopedNetns>();
    ASSERT_EQ(netns_->exec("ip link set lo up").status, 0);
    net::ensure_bridge("bg-dnst", *net::parse_cidr(std::string(gateway) + "/24"));
    char dir[] = "/tmp/banger-dns-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    runtime_ = dir;
    // As /run/banger: dnsmasq re-reads its hosts file as nobody.
    fs::permissions(runtime_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
    dnsmasq_ = find_on_path("dnsmasq", "/usr/sbin/dnsmasq");
    resolved_ = std::make_shared<FakeResolved>();
    names_ = make_names();
    attachments_.by_vm["id-1"] = {network(), "10.213.0.2", "vm1.banger"};
    attachments_.entries["dnst"] = {{"vm1", "10.213.0.2"}};
  }
  void TearDown() override {
    if (!netns_) return;
    names_->stop_network("dnst");
    reap_spawned_children([](pid_t, const siginfo_t&) {});
    std::error_code ec;
    fs::remove_all(runtime_, ec);
    netns_.reset();
  }

  std::unique_ptr<DnsNames> make_names(fs::path binary = {}) {
    return std::make_unique<DnsNames>(attachments_, runtime_, binary.empty() ? dnsmasq_ : binary, resolved_);
  }
  net::DnsmasqFiles files() const { return net::dnsmasq_files(runtime_, "dnst"); }
  pid_t only_dnsmasq() const {
    auto pids = dnsmasqs_of(files().pid);
    EXPECT_EQ(pids.size(), 1u);
    return pids.empty() ? 0 : pids.front();
  }

  std::unique_ptr<test::ScopedNetns> netns_;
  fs::path runtime_;
  fs::path dnsmasq_;
  FakeAttachments attachments_;
  std::shared_ptr<FakeResolved> resolved_;
  std::unique_ptr<DnsNames> names_;
};

}  // namespace banger::dns_fixture
