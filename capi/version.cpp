// mixcut_version*: the version of the loaded library, from the header macros.
#include "mixcut/mixcut.h"

#define MIXCUT_STRINGIFY_(x) #x
#define MIXCUT_STRINGIFY(x) MIXCUT_STRINGIFY_(x)

extern "C" {

unsigned mixcut_version(void) { return MIXCUT_VERSION_NUMBER; }

const char* mixcut_version_string(void) {
  return MIXCUT_STRINGIFY(MIXCUT_VERSION_MAJOR) "." MIXCUT_STRINGIFY(
      MIXCUT_VERSION_MINOR) "." MIXCUT_STRINGIFY(MIXCUT_VERSION_PATCH);
}

}  // extern "C"
