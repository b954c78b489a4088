// The boundary between the C ABI and the C++ core: status codes, the
// thread-local error message, and the guard that keeps every exception inside.
#pragma once

#include <new>
#include <sstream>
#include <string>
#include <utility>

#include "core/types.hpp"
#include "mixcut/mixcut.h"

namespace mixcut::capi {

// The core's Status and the C API's pinned values, both ways (an OK status
// is never thrown, so it has no core twin).
mixcut_status status_to_c(Status status) noexcept;
Status status_from_c(mixcut_status status) noexcept;

// Builds a message from streamable parts; floats print with enough digits to
// tell neighbouring values apart.
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  out.precision(9);
  (out << ... << parts);
  return out.str();
}

// Aborts validation: the guard turns it into `status` and the message.
[[noreturn]] inline void fail(mixcut_status status, const std::string& message) {
  throw Error(status_from_c(status), message);
}

template <class... Parts>
[[noreturn]] void failf(mixcut_status status, const Parts&... parts) {
  fail(status, concat(parts...));
}

// Stores "<function>: <detail>" as this thread's last error. Never throws.
void set_last_error(const char* function, const char* detail) noexcept;

// Runs body(); every failure becomes a status plus a message and nothing
// escapes. body returns void: outputs are written by body itself, last.
template <class Body>
mixcut_status guarded(const char* function, Body&& body) noexcept {
  try {
    std::forward<Body>(body)();
    return MIXCUT_OK;
  } catch (const Error& e) {
    set_last_error(function, e.what());
    return status_to_c(e.status);
  } catch (const std::bad_alloc&) {
    set_last_error(function, "out of memory");
    return MIXCUT_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_last_error(function, e.what());
    return MIXCUT_ERR_INTERNAL;
  } catch (...) {
    set_last_error(function, "unknown exception");
    return MIXCUT_ERR_INTERNAL;
  }
}

}  // namespace mixcut::capi
