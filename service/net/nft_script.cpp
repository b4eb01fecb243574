#include "net/nft_script.h"

#include <nftables/libnftables.h>

#include <cctype>
#include <memory>

#include "core/errors.h"

namespace banger {
namespace {

struct ContextDeleter {
  void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};

using Context = std::unique_ptr<nft_ctx, ContextDeleter>;

// Buffered, so nothing goes to the daemon's stdout/stderr and the texts can be returned.
Context buffered_context() {
  Context ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return ctx;
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  return ctx;
}

}  // namespace

std::optional<std::string> nft_listing(const std::string& command) {
  const auto ctx = buffered_context();
  if (!ctx || nft_run_cmd_from_buffer(ctx.get(), command.c_str()) != 0) return std::nullopt;
  const char* output = nft_ctx_get_output_buffer(ctx.get());
  return std::string(output ? output : "");
}

void run_nft_script(const std::string& script, const char* what) {
  std::unique_ptr<nft_ctx, ContextDeleter> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) throw Error(ErrorKind::backend_failed, std::string(what) + ": cannot create an nftables context");
  // Buffered, so nothing goes to the daemon's stdout/stderr and the error text
  // can travel in the Error.
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  if (nft_run_cmd_from_buffer(ctx.get(), script.c_str()) != 0) {
    const char* buffered = nft_ctx_get_error_buffer(ctx.get());
    std::string detail = buffered ? buffered : "";
    while (!detail.empty() && std::isspace(static_cast<unsigned char>(detail.back()))) detail.pop_back();
    throw Error(ErrorKind::backend_failed,
                std::string(what) + ": " + (detail.empty() ? "nftables refused the ruleset" : detail));
  }
}

}  // namespace banger
