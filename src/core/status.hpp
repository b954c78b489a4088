// The core's own status vocabulary: why a call failed, and the exception that
// carries it to capi, which maps it onto the pinned C values (mixcut_status).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace mixcut {

// One value per failure the C API reports (capi/status.cpp maps each to its
// mixcut_status; the numbers live only in the public header).
enum class Status : int32_t {
  NullPointer,
  BadSize,
  BadDtype,
  BadLayout,
  BadEnum,
  BadParam,
  BadPartner,
  BadLabel,
  BadLam,
  BadBox,
  ShapeMismatch,
  Overlap,
  Unsupported,
  OutOfMemory,
  Internal,
};

// Raised for a failed validation (capi's, or the planner's own for inputs
// only it sees) and for internal invariants; capi turns it into a status.
struct Error : std::runtime_error {
  Status status;
  Error(Status s, const std::string& msg) : std::runtime_error(msg), status(s) {}
};

}  // namespace mixcut
