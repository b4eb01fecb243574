// The online route: the running guest's /work over SSH, busybox tar on the guest's side.
#include <fmt/format.h>

#include "core/errors.h"
#include "core/log.h"
#include "workspace/archives.h"
#include "workspace/guest_command.h"
#include "workspace/routes.h"

namespace banger::workspace {

namespace {

// Exit status the guest scripts use for "no such directory": the caller's mistake, not the guest's.
constexpr int missing_directory = 3;

std::string under_work(const std::string& relative) {
  return shell_quoted(relative.empty() ? "/work" : "/work/" + relative);
}

[[noreturn]] void guest_failed(const GuestCommand& command, int status, std::string_view what) {
  const auto& errors = command.errors();
  if (errors.find("No space left") != std::string::npos)
    throw Error(ErrorKind::resource_exhausted, fmt::format("the guest's work disk is full: {}", errors));
  throw Error(ErrorKind::backend_failed, fmt::format("{} failed in the guest (exit status {}): {}", what, status, errors));
}

void run(ssh_session_struct* session, const std::string& script, std::string_view what) {
  GuestCommand command(session, script);
  const int status = command.finish();
  if (status == missing_directory) throw Error(ErrorKind::invalid_args, command.errors());
  if (status != 0) guest_failed(command, status, what);
}

// A target that exists and is no directory is refused; a missing one takes the
// staging directory's place (a rename), an existing one gets its content merged.
std::string commit_script(const std::string& staging, const PushOptions& options) {
  const auto target = under_work(options.target);
  std::string script = fmt::format("set -e; S={}; T={}; ", shell_quoted(staging), target);
  if (options.replace) script += "rm -rf \"$T\"; ";
  script += fmt::format(
      "if [ ! -e \"$T\" ] && [ ! -L \"$T\" ]; then mkdir -p \"$(dirname \"$T\")\"; mv \"$S\" \"$T\"; "
      "elif [ -d \"$T\" ]; then cp -a \"$S\"/. \"$T\"/; rm -rf \"$S\"; "
      "else echo \"/work/{} is not a directory in the VM\" >&2; rm -rf \"$S\"; exit {}; fi",
      options.target, missing_directory);
  return script;
}

}  // namespace

void push_online(ssh_session_struct* session, int archive, const PushOptions& options, const ByteProgress& progress) {
  const std::string staging = "/work/" + staging_name();
  try {
    GuestCommand unpack(session, fmt::format("mkdir -p {0} && exec tar -x -f - -C {0}", shell_quoted(staging)));
    try {
      auto in = tar_reader(archive);
      auto out = tar_writer([&unpack](std::span<const char> data) { unpack.write(data); });
      copy_entries(in.get(), out.get(), {.progress = progress, .keep = {}});
    } catch (const Error& e) {
      // Wait for the guest's tar to end, so the clean-up below does not race it. When the
      // channel failed, the guest's words say why (a full disk); a refused stream stays refused.
      const int status = unpack.finish();
      if (e.kind() == ErrorKind::backend_failed && status != 0) guest_failed(unpack, status, "unpacking the workspace");
      throw;
    }
    if (const int status = unpack.finish(); status != 0) guest_failed(unpack, status, "unpacking the workspace");
    run(session, commit_script(staging, options), "moving the workspace into place");
  } catch (...) {
    try {
      run(session, fmt::format("rm -rf {}", shell_quoted(staging)), "removing the staging directory");
    } catch (const std::exception& e) {
      log::warn("could not remove {} in the guest: {}", staging, e.what());
    }
    throw;
  }
}

void pull_online(ssh_session_struct* session, int archive, const PullOptions& options, const ByteProgress& progress) {
  GuestCommand pack(session, fmt::format("T={}; if [ ! -d \"$T\" ] || [ -L \"$T\" ]; then "
                                         "echo \"/work/{} is not a directory in the VM\" >&2; exit {}; fi; "
                                         "cd \"$T\" && exec tar -c -f - .",
                                         under_work(options.source), options.source, missing_directory));
  try {
    auto in = tar_reader([&pack](std::span<char> data) { return pack.read(data); });
    auto out = tar_writer(archive);
    copy_entries(in.get(), out.get(), {.progress = progress, .keep = not_staging});
  } catch (const Error& e) {
    // An empty stream from a guest that refused: its words are better than "not a tar".
    const int status = pack.finish();
    if (status == missing_directory) throw Error(ErrorKind::invalid_args, pack.errors());
    if (status != 0) guest_failed(pack, status, "packing the workspace");
    throw;
  }
  if (const int status = pack.finish(); status != 0) guest_failed(pack, status, "packing the workspace");
}

}  // namespace banger::workspace
