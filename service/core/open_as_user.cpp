#include "core/open_as_user.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "core/errors.h"

namespace banger {

FsIdentity fs_identity_of(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  int rc = 0;
  while ((rc = getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found)) == ERANGE)
    buffer.resize(buffer.size() * 2);
  if (rc != 0 || found == nullptr)
    throw Error(ErrorKind::access_denied, "uid " + std::to_string(uid) + " has no user entry, so its rights are unknown");
  FsIdentity who{uid, entry.pw_gid, {}};
  int count = 64;
  for (;;) {
    who.groups.resize(static_cast<std::size_t>(count));
    const int wanted = count;
    if (getgrouplist(entry.pw_name, entry.pw_gid, who.groups.data(), &count) >= 0) break;
    if (count <= wanted) count = wanted * 2;  // some NSS modules do not say how many
  }
  who.groups.resize(static_cast<std::size_t>(count));
  return who;
}

namespace {

// Runs on a thread that ends right after: its credentials die with it.
OpenedFile open_with_thread_credentials(const FsIdentity& who, const std::string& path, int flags) {
  // Groups and gid first: dropping fsuid from 0 takes the file-system
  // capabilities, not CAP_SETGID, but the order keeps this obviously right.
  if (syscall(SYS_setgroups, who.groups.size(), who.groups.data()) != 0) return {UniqueFd(), errno};
  syscall(SYS_setfsgid, who.gid);
  syscall(SYS_setfsuid, who.uid);
  // setfsuid/setfsgid answer the previous value and never fail loudly: ask again.
  if (static_cast<uid_t>(syscall(SYS_setfsuid, -1)) != who.uid ||
      static_cast<gid_t>(syscall(SYS_setfsgid, -1)) != who.gid)
    return {UniqueFd(), EPERM};
  // Taking a non-zero fsuid drops only the file-system capabilities; the rest
  // (CAP_SYS_PTRACE, CAP_SYS_RAWIO, …) go too, so the open is the user's alone.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2] = {};
  if (syscall(SYS_capget, &header, caps) != 0) return {UniqueFd(), errno};
  caps[0].effective = caps[1].effective = 0;
  if (syscall(SYS_capset, &header, caps) != 0) return {UniqueFd(), errno};
  UniqueFd fd(open(path.c_str(), flags));
  const int error = fd.valid() ? 0 : errno;
  return {std::move(fd), error};
}

}  // namespace

OpenedFile open_as(const FsIdentity& who, const std::string& path, int flags) {
  if (who.uid == 0) {
    UniqueFd fd(open(path.c_str(), flags));
    const int error = fd.valid() ? 0 : errno;
    return {std::move(fd), error};
  }
  OpenedFile opened;
  std::thread([&] { opened = open_with_thread_credentials(who, path, flags); }).join();
  return opened;
}

}  // namespace banger
