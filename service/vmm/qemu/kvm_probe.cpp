#include "vmm/qemu/kvm_probe.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace banger {

namespace {

constexpr unsigned long guest_address = 0x1000;
constexpr std::size_t guest_size = 0x1000;

// Closes a descriptor on every exit path of the probe.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

struct Mapping {
  void* address;
  std::size_t size;
  Mapping(void* a, std::size_t s) : address(a), size(s) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (address != MAP_FAILED) munmap(address, size);
  }
};

KvmProbeResult fail(const char* step) { return {false, fmt::format("{}: {}", step, std::strerror(errno))}; }

}  // namespace

KvmProbeResult probe_kvm(const char* device) {
  Fd kvm(open(device, O_RDWR | O_CLOEXEC));
  if (kvm.fd < 0) return fail(fmt::format("open {}", device).c_str());
  if (ioctl(kvm.fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) return {false, "unexpected KVM API version"};
  Fd vm(ioctl(kvm.fd, KVM_CREATE_VM, 0));
  if (vm.fd < 0) return fail("KVM_CREATE_VM");

  Mapping memory(mmap(nullptr, guest_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), guest_size);
  if (memory.address == MAP_FAILED) return fail("mmap guest memory");
  // mov al, 0x42; out 0x10, al; hlt — an I/O exit proves instructions really
  // execute, the HLT exit that the vCPU runs on afterwards.
  const unsigned char code[] = {0xb0, 0x42, 0xe6, 0x10, 0xf4};
  std::memcpy(memory.address, code, sizeof code);
  kvm_userspace_memory_region region{};
  region.slot = 0;
  region.guest_phys_addr = guest_address;
  region.memory_size = guest_size;
  region.userspace_addr = reinterpret_cast<std::uintptr_t>(memory.address);
  if (ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) return fail("KVM_SET_USER_MEMORY_REGION");

  Fd vcpu(ioctl(vm.fd, KVM_CREATE_VCPU, 0));
  if (vcpu.fd < 0) return fail("KVM_CREATE_VCPU");
  int run_size = ioctl(kvm.fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) return fail("KVM_GET_VCPU_MMAP_SIZE");
  Mapping run_map(mmap(nullptr, static_cast<std::size_t>(run_size), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu.fd, 0),
                  static_cast<std::size_t>(run_size));
  if (run_map.address == MAP_FAILED) return fail("mmap kvm_run");
  auto* run = static_cast<kvm_run*>(run_map.address);

  kvm_sregs sregs{};
  if (ioctl(vcpu.fd, KVM_GET_SREGS, &sregs) < 0) return fail("KVM_GET_SREGS");
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  if (ioctl(vcpu.fd, KVM_SET_SREGS, &sregs) < 0) return fail("KVM_SET_SREGS");
  kvm_regs regs{};
  regs.rip = guest_address;
  regs.rflags = 0x2;  // bit 1 is reserved and must be set
  if (ioctl(vcpu.fd, KVM_SET_REGS, &regs) < 0) return fail("KVM_SET_REGS");

  if (ioctl(vcpu.fd, KVM_RUN, 0) < 0) return fail("KVM_RUN");
  if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x10)
    return {false, fmt::format("test guest stopped with KVM exit reason {} instead of I/O", run->exit_reason)};
  if (ioctl(vcpu.fd, KVM_RUN, 0) < 0) return fail("KVM_RUN");
  if (run->exit_reason != KVM_EXIT_HLT)
    return {false, fmt::format("test guest stopped with KVM exit reason {} instead of HLT", run->exit_reason)};
  return {true, "a test guest ran under KVM"};
}

}  // namespace banger
