#include "doctor/nftables_check.h"

#include <nftables/libnftables.h>

#include <memory>
#include <string>

namespace banger::doctor {

DoctorCheck nftables_check() {
  std::unique_ptr<nft_ctx, decltype(&nft_ctx_free)> ctx(nft_ctx_new(NFT_CTX_DEFAULT), &nft_ctx_free);
  if (!ctx)
    return {"nftables", "fail", "libnftables cannot make a context", "", "apt-get install libnftables1 nftables"};
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  if (nft_run_cmd_from_buffer(ctx.get(), "list tables") == 0)
    return {"nftables", "ok", "nftables answers (NAT and port forwards can be set up)", "", ""};
  std::string why = nft_ctx_get_error_buffer(ctx.get()) ? nft_ctx_get_error_buffer(ctx.get()) : "";
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  return {"nftables", "fail", "nftables refuses to list tables: networks get no NAT", why,
          "run bangerd as root (it needs CAP_NET_ADMIN) on a kernel with nf_tables"};
}

}  // namespace banger::doctor
