// Status strings and the per-thread last error.
#include "status.hpp"

#include <cstring>

namespace mixcut::capi {
namespace {

thread_local std::string last_error_message;

}  // namespace

void set_last_error(const char* function, const char* detail) noexcept {
  try {
    last_error_message.assign(function);
    last_error_message.append(": ");
    last_error_message.append(detail);
  } catch (...) {
    // Out of memory while reporting: keep a short message (fits the small
    // string buffer, so assigning it cannot allocate).
    last_error_message.assign("out of memory");
  }
}

// The two directions of one table, so a status can never map one way only.
namespace {
struct StatusPair {
  Status core;
  mixcut_status c;
};
constexpr StatusPair kStatusPairs[] = {
    {Status::NullPointer, MIXCUT_ERR_NULL_POINTER},
    {Status::BadSize, MIXCUT_ERR_BAD_SIZE},
    {Status::BadDtype, MIXCUT_ERR_BAD_DTYPE},
    {Status::BadLayout, MIXCUT_ERR_BAD_LAYOUT},
    {Status::BadEnum, MIXCUT_ERR_BAD_ENUM},
    {Status::BadParam, MIXCUT_ERR_BAD_PARAM},
    {Status::BadPartner, MIXCUT_ERR_BAD_PARTNER},
    {Status::BadLabel, MIXCUT_ERR_BAD_LABEL},
    {Status::BadLam, MIXCUT_ERR_BAD_LAM},
    {Status::BadBox, MIXCUT_ERR_BAD_BOX},
    {Status::ShapeMismatch, MIXCUT_ERR_SHAPE_MISMATCH},
    {Status::Overlap, MIXCUT_ERR_OVERLAP},
    {Status::Unsupported, MIXCUT_ERR_UNSUPPORTED},
    {Status::OutOfMemory, MIXCUT_ERR_OUT_OF_MEMORY},
    {Status::Internal, MIXCUT_ERR_INTERNAL},
};
static_assert(sizeof(kStatusPairs) / sizeof(kStatusPairs[0]) == MIXCUT_ERR_INTERNAL,
              "one pair per error status");
}  // namespace

mixcut_status status_to_c(Status status) noexcept {
  for (const StatusPair& pair : kStatusPairs) {
    if (pair.core == status) return pair.c;
  }
  return MIXCUT_ERR_INTERNAL;
}

Status status_from_c(mixcut_status status) noexcept {
  for (const StatusPair& pair : kStatusPairs) {
    if (pair.c == status) return pair.core;
  }
  return Status::Internal;
}

}  // namespace mixcut::capi

extern "C" {

const char* mixcut_status_string(mixcut_status status) {
  // Indexed by the pinned status values.
  static const char* const kStrings[] = {
      "ok",
      "null pointer",
      "bad size",
      "bad dtype",
      "bad layout",
      "bad enum value",
      "bad parameter",
      "bad partner index",
      "bad label",
      "bad lam",
      "bad box",
      "shape mismatch",
      "overlapping buffers",
      "unsupported",
      "out of memory",
      "internal error",
  };
  static_assert(sizeof(kStrings) / sizeof(kStrings[0]) == MIXCUT_ERR_INTERNAL + 1,
                "one string per status");
  // The header allows any int here; reading `status` as the enum would be
  // undefined for values outside its range, so read its bytes as an int.
  static_assert(sizeof(status) == sizeof(int), "mixcut_status is int-sized");
  int index = 0;
  std::memcpy(&index, &status, sizeof index);
  if (index < MIXCUT_OK || index > MIXCUT_ERR_INTERNAL) return "unknown status";
  return kStrings[index];
}

const char* mixcut_last_error(void) { return mixcut::capi::last_error_message.c_str(); }

}  // extern "C"
