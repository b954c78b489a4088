/* Compiled with -std=c99 -pedantic -Werror by the build: the header is C99. */
#include <mixcut/mixcut.h>

int mixcut_c99_check_uses_header(void);
int mixcut_c99_check_uses_header(void) {
  mixcut_mix_sample s = {0, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0};
  mixcut_tensor t = {0, MIXCUT_UINT8, MIXCUT_NCHW, 1, 3, 4, 4, 0};
  return (int)s.partner + (int)t.n + MIXCUT_OK;
}
