#include "dns_query.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <array>

namespace banger::test {

DnsAnswer query_a(const std::string& server, const std::string& name) {
  DnsAnswer answer;
  struct __res_state state{};
  if (res_ninit(&state) != 0) return {false, {}, "res_ninit failed"};
  state.nscount = 1;
  state.nsaddr_list[0].sin_family = AF_INET;
  state.nsaddr_list[0].sin_port = htons(53);
  inet_pton(AF_INET, server.c_str(), &state.nsaddr_list[0].sin_addr);
  state.retrans = 2;
  state.retry = 1;
  std::array<unsigned char, NS_PACKETSZ * 4> reply{};
  const int length = res_nquery(&state, name.c_str(), ns_c_in, ns_t_a, reply.data(), reply.size());
  const int herr = state.res_h_errno;
  res_nclose(&state);
  if (length < 0) {
    if (herr == HOST_NOT_FOUND) answer.nxdomain = true;
    else if (herr != NO_DATA) answer.failure = "no answer (h_errno " + std::to_string(herr) + ")";
    return answer;
  }
  ns_msg message;
  if (ns_initparse(reply.data(), length, &message) != 0) return {false, {}, "unparsable reply"};
  for (int i = 0; i < ns_msg_count(message, ns_s_an); ++i) {
    ns_rr record;
    if (ns_parserr(&message, ns_s_an, i, &record) != 0 || ns_rr_type(record) != ns_t_a || ns_rr_rdlen(record) != 4) continue;
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, ns_rr_rdata(record), text, sizeof text);
    answer.addresses.push_back(text);
  }
  return answer;
}

}  // namespace banger::test
