/* Mixup on a small float32 batch with soft labels, in plain C99.
 * The README's C example is the block between the BEGIN and END markers. */
#include <math.h>
#include <stdio.h>

#include <mixcut/mixcut.h>

enum { N = 4, C = 3, H = 8, W = 8, K = 10 };

int main(void) {
  static float pixels[N * C * H * W];
  for (int i = 0; i < N * C * H * W; ++i) pixels[i] = (float)(i % 17) / 16.0f;
  const int64_t labels[N] = {3, 1, 4, 1};
  float targets[N * K];

  /* BEGIN README */
  mixcut_mix_policy policy;
  mixcut_mix_policy_init(&policy);  /* timm's defaults: Mixup, alpha 1, flip partner */
  policy.mode = MIXCUT_MODE_ELEM;   /* one lam per sample */
  mixcut_mix_sample plan[N];
  mixcut_tensor batch = {pixels, MIXCUT_FLOAT32, MIXCUT_NCHW, N, C, H, W, 0};
  if (mixcut_mix_plan(&policy, /*seed=*/42, /*step=*/0, N, H, W, plan) != MIXCUT_OK ||
      mixcut_mix_apply(NULL, plan, &batch, &batch, NULL) != MIXCUT_OK ||  /* in place */
      mixcut_mix_labels(plan, N, labels, K, /*label_smoothing=*/0.1f, targets) != MIXCUT_OK) {
    fprintf(stderr, "mixcut: %s\n", mixcut_last_error());
    return 1;
  }
  /* END README */

  double pixel_sum = 0.0;
  for (int i = 0; i < N * C * H * W; ++i) pixel_sum += pixels[i];
  for (int i = 0; i < N; ++i) {
    double row_sum = 0.0;
    for (int k = 0; k < K; ++k) row_sum += targets[i * K + k];
    printf("sample %d: partner %lld, lam %.4f, target row sum %.6f\n", i,
           (long long)plan[i].partner, plan[i].lam, row_sum);
    /* Soft targets are distributions: a row that does not sum to 1 is a bug. */
    if (fabs(row_sum - 1.0) > 1e-5) return 2;
  }
  printf("pixel checksum %.6f\n", pixel_sum);
  return 0;
}
