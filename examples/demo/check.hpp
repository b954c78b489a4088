// Reports a failed mixcut call on stderr with the library's own message.
#pragma once

#include <mixcut/mixcut.h>

#include <cstdio>

namespace mixcut_demo {

// True if status is MIXCUT_OK; otherwise prints what failed and why.
inline bool Check(mixcut_status status, const char* what) {
  if (status == MIXCUT_OK) return true;
  std::fprintf(stderr, "mixcut-demo: %s failed: %s: %s\n", what, mixcut_status_string(status),
               mixcut_last_error());
  return false;
}

}  // namespace mixcut_demo
