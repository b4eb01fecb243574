#include "image_builder.h"

#include "banger_build_config.h"
#include "banger_source_dir.h"

#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace bangerctl {

namespace fs = std::filesystem;

fs::path image_builder() {
  if (const char* env = std::getenv("BANGER_IMAGE_BUILDER"); env && *env) return env;
  if (fs::exists(BANGER_IMAGE_BUILDER)) return BANGER_IMAGE_BUILDER;
  return fs::path(BANGER_SOURCE_DIR) / "scripts" / "build-default-image.sh";
}

fs::path default_image_cache() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "banger" / "default-image";
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    const passwd* pw = getpwuid(getuid());
    home = pw ? pw->pw_dir : "/tmp";
  }
  return fs::path(home) / ".cache" / "banger" / "default-image";
}

void run_image_builder(const fs::path& builder, const fs::path& output) {
  if (!fs::exists(builder))
    throw std::runtime_error("image builder " + builder.string() + " not found (set BANGER_IMAGE_BUILDER)");
  fs::create_directories(output);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(STDERR_FILENO, STDOUT_FILENO);
    execl(builder.c_str(), builder.c_str(), output.c_str(), static_cast<char*>(nullptr));
    std::fprintf(stderr, "bangerctl: cannot run %s: %s\n", builder.c_str(), std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("building the image failed (" + builder.string() + " " + output.string() + ", status " +
                             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
}

}  // namespace bangerctl
