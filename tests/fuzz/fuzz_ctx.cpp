// libFuzzer target: ctx options (any key, any value), status and ISA strings
// of any int, and the per-thread last error.
#include "fuzz_common.hpp"

// tests/status_of_int.c: passes an int the way a C caller does.
extern "C" const char* mixcut_test_status_string_of_int(int value);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider p(data, size);
  using fuzz::check;
  mixcut_ctx* ctx = nullptr;
  check(mixcut_ctx_create(&ctx) == MIXCUT_OK, "ctx_create");
  while (p.remaining_bytes() > 0) {
    switch (p.ConsumeIntegralInRange(0, 4)) {
      case 0: {  // set then get: a success is read back, a failure changes nothing
        const int32_t key = p.ConsumeBool() ? p.ConsumeIntegralInRange(-1, 7) : p.ConsumeIntegral<int32_t>();
        const int64_t value = p.ConsumeIntegral<int64_t>();
        int64_t before = 0, after = 0;
        const mixcut_status gb = mixcut_ctx_get(ctx, key, &before);
        const mixcut_status st = mixcut_ctx_set(ctx, key, value);
        check(st == MIXCUT_OK || std::strncmp(mixcut_last_error(), "mixcut_ctx_set", 14) == 0,
              "message not from ctx_set", st);
        const mixcut_status ga = mixcut_ctx_get(ctx, key, &after);
        check(gb == ga, "ctx_get status changed", gb, ga);
        if (st == MIXCUT_OK) {
          check(ga == MIXCUT_OK && after == value, "ctx_set not read back", key, value);
          if (key == MIXCUT_OPT_NUM_THREADS)
            check(value >= 0 && value <= MIXCUT_MAX_THREADS, "thread count accepted", value);
        } else {
          check(ga != MIXCUT_OK || after == before, "failed ctx_set changed the option", key);
        }
        break;
      }
      case 1: {  // any int: a string, "unknown status" outside the enum
        const int value = p.ConsumeIntegral<int>();
        const char* text = mixcut_test_status_string_of_int(value);
        check(text != nullptr && *text != '\0', "empty status string", value);
        if (value < MIXCUT_OK || value > MIXCUT_ERR_INTERNAL)
          check(std::strcmp(text, "unknown status") == 0, "known string for unknown status", value);
        break;
      }
      case 2: {
        const int32_t value = p.ConsumeIntegral<int32_t>();
        const char* text = mixcut_isa_string(value);
        check(text != nullptr && *text != '\0', "empty isa string", value);
        break;
      }
      case 3: {
        int32_t isa = -1;
        check(mixcut_ctx_isa(p.ConsumeBool() ? ctx : nullptr, &isa) == MIXCUT_OK, "ctx_isa");
        check(isa >= MIXCUT_ISA_SCALAR && isa <= MIXCUT_ISA_AVX512, "isa range", isa);
        break;
      }
      default:
        check(mixcut_version() == MIXCUT_VERSION_NUMBER, "version");
        check(mixcut_ctx_get(ctx, MIXCUT_OPT_NUM_THREADS, nullptr) == MIXCUT_ERR_NULL_POINTER,
              "get NULL value");
    }
  }
  mixcut_ctx_destroy(ctx);
  return 0;
}
