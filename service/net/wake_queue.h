#pragma once
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/unique_fd.h"
#include "core/wake_on_connect.h"
#include "net/wake_packet.h"

struct nfq_handle;
struct nfq_q_handle;
struct nfgenmsg;
struct nfq_data;

namespace banger {

// The netfilter queue bangerd holds wake-on-connect's segments on (the rules
// of net/wake_ruleset.h send them there). Another program on the same number
// in bangerd's network namespace makes the bind fail.
inline constexpr std::uint16_t wake_queue_num = 2990;

// Binds the queue (libnetfilter_queue) and reads it on a thread of its own:
// each packet's first bytes (only its IPv4 and TCP headers are copied out of
// the kernel) go through parse_tcp_syn; a TCP SYN goes to `on_syn` with its
// packet id, anything else is let go at once. Packets stay held until
// release(id) (NF_ACCEPT), from any thread. With the queue full or bangerd
// gone the kernel lets packets pass (fail-open, and the rules' bypass).
// Throws Error(backend_failed) when the queue cannot be bound.
class WakeQueue final : public HeldConnections {
 public:
  using OnSyn = std::function<void(std::uint32_t packet_id, WakeTarget target)>;
  WakeQueue(std::uint16_t queue_num, OnSyn on_syn);
  ~WakeQueue() override;
  WakeQueue(const WakeQueue&) = delete;
  WakeQueue& operator=(const WakeQueue&) = delete;

  void release(std::uint32_t packet_id) noexcept override;
  // Stops reading (no more on_syn calls); release still works until destruction. Idempotent.
  void stop_reading() noexcept;

 private:
  void read_loop() noexcept;

  struct Read {
    std::uint32_t id;
    std::optional<WakeTarget> target;
  };
  static int note_packet(nfq_q_handle*, struct nfgenmsg*, struct nfq_data* data, void* self);

  OnSyn on_syn_;
  std::vector<Read> reads_;  // filled by note_packet during nfq_handle_packet, under mutex_
  std::mutex mutex_;  // the queue's handle: verdicts and the reader's parsing take turns
  nfq_handle* handle_ = nullptr;
  nfq_q_handle* queue_ = nullptr;
  UniqueFd stop_;  // an eventfd: written once by the destructor
  std::thread reader_;
};

}  // namespace banger
