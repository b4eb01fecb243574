#include "fake_host_services.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include <sdbus-c++/sdbus-c++.h>

namespace banger::test {

namespace {

constexpr const char* login1_manager = "org.freedesktop.login1.Manager";
constexpr const char* machine1_manager = "org.freedesktop.machine1.Manager";

bool closed_everywhere(int read_end) {
  pollfd p{read_end, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

}  // namespace

FakeHostServices::FakeHostServices(const std::string& address)
    : connection_(sdbus::createSessionBusConnectionWithAddress(address)) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  connection_->requestName("org.freedesktop.login1");
  connection_->requestName("org.freedesktop.machine1");

  login1_ = sdbus::createObject(*connection_, "/org/freedesktop/login1");
  login1_->registerMethod("Inhibit")
      .onInterface(login1_manager)
      .implementedAs([this](const std::string& what, const std::string& who, const std::string& why,
                            const std::string& mode) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) throw sdbus::Error("org.freedesktop.DBus.Error.Failed", "pipe");
        locks_.push_back({{what, who, why, mode}, fds[0]});  // under mutex_: serve() holds it
        return sdbus::UnixFd(fds[1], sdbus::adopt_fd);
      });
  login1_->registerProperty("InhibitDelayMaxUSec").onInterface(login1_manager).withGetter([this] {
    return delay_usec_.load();
  });
  login1_->registerSignal("PrepareForSleep").onInterface(login1_manager).withParameters<bool>();
  login1_->registerSignal("PrepareForShutdown").onInterface(login1_manager).withParameters<bool>();
  login1_->finishRegistration();

  machine1_ = sdbus::createObject(*connection_, "/org/freedesktop/machine1");
  auto add_machine = [this](std::string method, const std::string& name, const std::vector<std::uint8_t>& id,
                            const std::string& service, const std::string& machine_class, std::uint32_t leader,
                            const std::string& root, const std::vector<std::int32_t>& ifindices,
                            std::vector<std::string> scope_properties) {
    MachineCall call{std::move(method), name,       service,           machine_class, leader, root,
                     ifindices,         id.size(), std::move(scope_properties), "ok"};
    if (std::find(machines_.begin(), machines_.end(), name) != machines_.end()) {
      call.answer = "org.freedesktop.machine1.MachineExists";
      calls_.push_back(call);
      throw sdbus::Error(call.answer, "Machine '" + name + "' already exists");
    }
    calls_.push_back(call);
    machines_.push_back(name);
    return sdbus::ObjectPath("/org/freedesktop/machine1/machine/" + name);
  };
  machine1_->registerMethod("CreateMachineWithNetwork")
      .onInterface(machine1_manager)
      .implementedAs([add_machine](const std::string& name, const std::vector<std::uint8_t>& id,
                                   const std::string& service, const std::string& machine_class, std::uint32_t leader,
                                   const std::string& root, const std::vector<std::int32_t>& ifindices,
                                   const std::vector<sdbus::Struct<std::string, sdbus::Variant>>& properties) {
        std::vector<std::string> names;
        for (const auto& p : properties) names.push_back(std::get<0>(p));
        return add_machine("CreateMachineWithNetwork", name, id, service, machine_class, leader, root, ifindices,
                           names);
      });
  machine1_->registerMethod("RegisterMachineWithNetwork")
      .onInterface(machine1_manager)
      .implementedAs([add_machine](const std::string& name, const std::vector<std::uint8_t>& id,
                                   const std::string& service, const std::string& machine_class, std::uint32_t leader,
                                   const std::string& root, const std::vector<std::int32_t>& ifindices) {
        return add_machine("RegisterMachineWithNetwork", name, id, service, machine_class, leader, root, ifindices,
                           {});
      });
  machine1_->registerMethod("UnregisterMachine").onInterface(machine1_manager).implementedAs([this](const std::string& name) {
    MachineCall call{"UnregisterMachine", name, "", "", 0, "", {}, 0, {}, "ok"};
    auto it = std::find(machines_.begin(), machines_.end(), name);
    if (it == machines_.end()) {
      call.answer = "org.freedesktop.machine1.NoSuchMachine";
      calls_.push_back(call);
      throw sdbus::Error(call.answer, "No machine '" + name + "' known");
    }
    machines_.erase(it);
    calls_.push_back(call);
  });
  machine1_->finishRegistration();
  thread_ = std::thread([this] { serve(); });
}

FakeHostServices::~FakeHostServices() {
  stop_ = true;
  std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  std::lock_guard hold(mutex_);
  login1_.reset();
  machine1_.reset();
  connection_.reset();
  for (auto& l : locks_) close(l.read_end);
  close(wake_fd_);
}

void FakeHostServices::serve() {
  while (!stop_) {
    sdbus::IConnection::PollData poll_data;
    {
      std::lock_guard hold(mutex_);
      while (connection_->processPendingRequest()) {
      }
      poll_data = connection_->getEventLoopPollData();
    }
    pollfd fds[2] = {{poll_data.fd, poll_data.events, 0}, {wake_fd_, POLLIN, 0}};
    ::poll(fds, 2, 50);  // short: signals emitted meanwhile are flushed on the next round
    if (fds[1].revents & POLLIN) {
      std::uint64_t count = 0;
      (void)!read(wake_fd_, &count, sizeof count);
    }
  }
}

std::vector<FakeHostServices::MachineCall> FakeHostServices::machine_calls() const {
  std::lock_guard hold(mutex_);
  return calls_;
}

std::vector<std::string> FakeHostServices::machines() const {
  std::lock_guard hold(mutex_);
  return machines_;
}

std::vector<FakeHostServices::Lock> FakeHostServices::held_locks() const {
  std::lock_guard hold(mutex_);
  std::vector<Lock> held;
  for (const auto& l : locks_)
    if (!closed_everywhere(l.read_end)) held.push_back(l.lock);
  return held;
}

std::size_t FakeHostServices::locks_handed_out() const {
  std::lock_guard hold(mutex_);
  return locks_.size();
}

void FakeHostServices::emit_prepare_for_sleep(bool start) {
  {
    std::lock_guard hold(mutex_);
    login1_->emitSignal("PrepareForSleep").onInterface(login1_manager).withArguments(start);
  }
  std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

void FakeHostServices::emit_prepare_for_shutdown(bool start) {
  {
    std::lock_guard hold(mutex_);
    login1_->emitSignal("PrepareForShutdown").onInterface(login1_manager).withArguments(start);
  }
  std::uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

}  // namespace banger::test
