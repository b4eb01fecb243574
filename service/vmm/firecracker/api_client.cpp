#include "vmm/firecracker/api_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "core/errors.h"
#include "vmm/firecracker/api_answers.h"

namespace banger {

namespace {

// curl_global_init is not thread-safe; workers may issue the first request.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t append_body(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

FirecrackerApiClient::FirecrackerApiClient(std::filesystem::path socket, std::chrono::milliseconds timeout)
    : socket_(std::move(socket)), timeout_(timeout) {}

ApiResponse FirecrackerApiClient::request(std::string_view method, std::string_view path,
                                          const std::optional<nlohmann::json>& body) const {
  init_curl_once();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) throw Error(ErrorKind::backend_failed, fmt::format("{} {}: curl_easy_init failed", method, path));

  const std::string url = fmt::format("http://localhost{}", path);
  const std::string method_str(method);
  const std::string payload = body ? body->dump() : std::string();
  ApiResponse response;

  // "Expect:" disables 100-continue, which Firecracker does not answer.
  curl_slist* raw_headers = curl_slist_append(nullptr, "Accept: application/json");
  raw_headers = curl_slist_append(raw_headers, "Expect:");
  if (body) raw_headers = curl_slist_append(raw_headers, "Content-Type: application/json");
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);

  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket_.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method_str.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  // No SIGALRM-based timeouts: bangerd is multi-threaded.
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);

  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    throw Error(ErrorKind::backend_failed,
                fmt::format("{} {}: timed out: no answer from the Firecracker API at {} within {} ms", method, path,
                            socket_.string(), timeout_.count()));
  if (rc != CURLE_OK)
    throw Error(ErrorKind::backend_failed, fmt::format("{} {}: cannot reach the Firecracker API at {}: {}", method,
                                                       path, socket_.string(), curl_easy_strerror(rc)));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  if (response.status < 200 || response.status > 299)
    throw Error(ErrorKind::backend_failed,
                fmt::format("{} {}: {}: {}", method, path, response.status, firecracker_fault_message(response.body)));
  return response;
}

}  // namespace banger
