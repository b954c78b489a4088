/* Calls mixcut_status_string with any int, as a C caller may (in C an enum
 * parameter takes any value of its integer type; in C++ that load is UB). */
#include <mixcut/mixcut.h>

const char* mixcut_test_status_string_of_int(int value);

const char* mixcut_test_status_string_of_int(int value) {
  return mixcut_status_string((mixcut_status)value);
}
