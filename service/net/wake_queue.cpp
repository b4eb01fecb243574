#include "net/wake_queue.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <libnetfilter_queue/libnetfilter_queue.h>

#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"

namespace banger {

namespace {

// IPv4's longest header (60) and TCP's up to its flags (14), rounded up.
constexpr std::uint32_t copied_bytes = 80;
constexpr std::uint32_t max_held = 1024;

[[noreturn]] void bind_failed(const char* step, std::uint16_t num) {
  throw Error(ErrorKind::backend_failed,
              fmt::format("wake-on-connect: netfilter queue {}: {} failed: {}", num, step, std::strerror(errno)));
}

}  // namespace

// libnetfilter_queue's callback, while nfq_handle_packet runs under mutex_: only notes the packet.
int WakeQueue::note_packet(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* self) {
  auto& reads = static_cast<WakeQueue*>(self)->reads_;
  const auto* header = nfq_get_msg_packet_hdr(data);
  if (header == nullptr) return 0;
  unsigned char* payload = nullptr;
  const int length = nfq_get_payload(data, &payload);
  std::optional<WakeTarget> target;
  if (length > 0 && payload != nullptr)
    target = parse_tcp_syn(std::span<const std::uint8_t>(payload, static_cast<std::size_t>(length)));
  reads.push_back({ntohl(header->packet_id), target});
  return 0;
}

WakeQueue::WakeQueue(std::uint16_t queue_num, OnSyn on_syn) : on_syn_(std::move(on_syn)) {
  handle_ = nfq_open();
  if (handle_ == nullptr) bind_failed("nfq_open", queue_num);
  queue_ = nfq_create_queue(handle_, queue_num, &WakeQueue::note_packet, this);
  if (queue_ == nullptr) {
    nfq_close(handle_);
    bind_failed("binding (another program on it?)", queue_num);
  }
  if (nfq_set_mode(queue_, NFQNL_COPY_PACKET, copied_bytes) < 0 || nfq_set_queue_maxlen(queue_, max_held) < 0) {
    nfq_destroy_queue(queue_);
    nfq_close(handle_);
    bind_failed("configuring", queue_num);
  }
  // Past max_held the kernel lets packets through rather than drop them (needs Linux 3.6).
  if (nfq_set_queue_flags(queue_, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0)
    log::warn("wake-on-connect: the kernel has no fail-open queues; a full queue drops SYNs");
  stop_ = UniqueFd(eventfd(0, EFD_CLOEXEC));
  if (stop_.get() < 0) {
    nfq_destroy_queue(queue_);
    nfq_close(handle_);
    bind_failed("eventfd", queue_num);
  }
  reader_ = std::thread([this] { read_loop(); });
}

void WakeQueue::stop_reading() noexcept {
  if (!reader_.joinable()) return;
  const std::uint64_t one = 1;
  if (write(stop_.get(), &one, sizeof one) < 0) log::warn("wake-on-connect: cannot stop the queue's reader");
  reader_.join();
}

WakeQueue::~WakeQueue() {
  stop_reading();
  // The kernel lets go what is still held when the queue goes (the clients retransmit).
  nfq_destroy_queue(queue_);
  nfq_close(handle_);
}

void WakeQueue::release(std::uint32_t packet_id) noexcept {
  std::lock_guard guard(mutex_);
  if (nfq_set_verdict(queue_, packet_id, NF_ACCEPT, 0, nullptr) < 0)
    log::warn("wake-on-connect: cannot let packet {} go: {}", packet_id, std::strerror(errno));
}

void WakeQueue::read_loop() noexcept {
  const int fd = nfq_fd(handle_);
  std::array<char, 8192> buffer{};
  for (;;) {
    std::array<pollfd, 2> fds{{{fd, POLLIN, 0}, {stop_.get(), POLLIN, 0}}};
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      log::error("wake-on-connect: poll failed: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    const ssize_t got = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (got < 0) {
      // ENOBUFS: the socket's buffer ran over and the kernel dropped messages (fail-open let them pass).
      if (errno != EAGAIN && errno != EINTR && errno != ENOBUFS)
        log::warn("wake-on-connect: reading the queue failed: {}", std::strerror(errno));
      continue;
    }
    std::vector<Read> reads;
    {
      std::lock_guard guard(mutex_);
      nfq_handle_packet(handle_, buffer.data(), static_cast<int>(got));
      reads.swap(reads_);
    }
    for (const auto& read : reads) {
      if (!read.target) {
        release(read.id);
        continue;
      }
      try {
        on_syn_(read.id, *read.target);
      } catch (const std::exception& e) {
        log::warn("wake-on-connect: {}", e.what());
        release(read.id);
      }
    }
  }
}

}  // namespace banger
