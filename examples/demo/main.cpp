// mixcut-demo: shows Cutout, RandomErasing, Mixup, CutMix and the timm-style switch
// policy on a labelled batch as one PNG grid, then times each kernel beside memcpy.
//
// Uses only the public C API <mixcut/mixcut.h>. The last line printed is the
// absolute path of the PNG.

#include <mixcut/mixcut.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "canvas.hpp"
#include "check.hpp"
#include "images.hpp"
#include "throughput.hpp"

namespace mixcut_demo {
namespace {

struct Options {
  std::string output = "mixcut-demo.png";
  uint64_t seed = 252;  // a seed whose draws show every effect clearly
  int size = 128;
  int threads = 0;  // 0 = OpenMP's default
  bool bench = true;
  std::vector<std::string> images;
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: mixcut-demo [-o PATH] [--seed N] [--size PIXELS] [--threads N]\n"
               "                   [--no-bench] [IMAGE...]\n"
               "Draws Cutout, RandomErasing, Mixup, CutMix and the Mixup/CutMix switch on a\n"
               "labelled batch (eight built-in images, or the PNG/JPEG files given, each\n"
               "centre-cropped to a square) into one PNG grid, then times each kernel on a\n"
               "64x3x224x224 batch beside memcpy.\n"
               "  -o PATH        output PNG (default mixcut-demo.png)\n"
               "  --seed N       seed of every plan (default 252)\n"
               "  --size PIXELS  side of each tile; image files are cropped and resized to it\n"
               "                 (default 128)\n"
               "  --threads N    threads per call (default: OpenMP's default)\n"
               "  --no-bench     skip the throughput table\n"
               "The last line printed is the absolute path of the PNG.\n");
}

bool ParseInt(const char* text, long long low, long long high, long long* value) {
  char* end = nullptr;
  const long long parsed = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || parsed < low || parsed > high) return false;
  *value = parsed;
  return true;
}

// Returns 0 to go on, or 1 + an exit code to stop with.
int ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    long long value = 0;
    if (arg == "-h" || arg == "--help") {
      PrintUsage(stdout);
      return 1;
    } else if (arg == "-o" && has_value) {
      options->output = argv[++i];
    } else if (arg == "--seed" && has_value && ParseInt(argv[i + 1], 0, INT64_MAX, &value)) {
      options->seed = static_cast<uint64_t>(value);
      ++i;
    } else if (arg == "--size" && has_value && ParseInt(argv[i + 1], 16, 1024, &value)) {
      options->size = static_cast<int>(value);
      ++i;
    } else if (arg == "--threads" && has_value && ParseInt(argv[i + 1], 0, 1024, &value)) {
      options->threads = static_cast<int>(value);
      ++i;
    } else if (arg == "--no-bench") {
      options->bench = false;
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "mixcut-demo: bad option or value: %s\n", arg.c_str());
      PrintUsage(stderr);
      return 3;
    } else {
      options->images.push_back(arg);
    }
  }
  return 0;
}

mixcut_tensor NhwcTensor(uint8_t* data, const LabelledBatch& batch) {
  mixcut_tensor t{};
  t.data = data;
  t.dtype = MIXCUT_UINT8;
  t.layout = MIXCUT_NHWC;
  t.n = batch.n;
  t.c = 3;
  t.h = batch.size;
  t.w = batch.size;
  t.sample_stride = 0;
  return t;
}

// One row of the grid: the augmented pixels and the plan that explains them.
struct GridRow {
  std::string title;
  std::vector<std::string> notes;  // lines under the title
  std::vector<uint8_t> pixels;     // NHWC, like the batch
  std::vector<mixcut_mix_sample> plan;
  bool show_kind = false;  // caption says mixup/cutmix (the switch row)
};

// A plan that leaves every sample alone: what Cutout means for the labels.
std::vector<mixcut_mix_sample> IdentityPlan(int n) {
  std::vector<mixcut_mix_sample> plan(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    plan[static_cast<size_t>(i)] = mixcut_mix_sample{i, 1.0f, MIXCUT_KIND_NONE, 0, 0, 0, 0};
  }
  return plan;
}

bool MixRow(mixcut_ctx* ctx, const LabelledBatch& batch, const mixcut_mix_policy& policy,
            uint64_t seed, GridRow* row) {
  row->plan.resize(static_cast<size_t>(batch.n));
  row->pixels.resize(batch.pixels.size());
  if (!Check(mixcut_mix_plan(&policy, seed, /*step=*/0, batch.n, batch.size, batch.size,
                             row->plan.data()),
             "mixcut_mix_plan")) {
    return false;
  }
  // mixcut never writes its source, so the const_cast only satisfies the view type.
  const mixcut_tensor src = NhwcTensor(const_cast<uint8_t*>(batch.pixels.data()), batch);
  const mixcut_tensor dst = NhwcTensor(row->pixels.data(), batch);
  return Check(mixcut_mix_apply(ctx, row->plan.data(), &src, &dst, nullptr), "mixcut_mix_apply");
}

// Cutout (policy.form HOLES) or RandomErasing (ERASING) with this fill.
bool CutoutRow(mixcut_ctx* ctx, const LabelledBatch& batch, uint64_t seed,
               const mixcut_cutout_policy& policy, const mixcut_fill& fill, GridRow* row) {
  std::vector<mixcut_cutout_hole> holes(static_cast<size_t>(batch.n * policy.max_count));
  int64_t count = 0;
  if (!Check(mixcut_cutout_plan(&policy, seed, /*step=*/0, batch.n, batch.size, batch.size,
                                holes.data(), &count),
             "mixcut_cutout_plan")) {
    return false;
  }
  row->pixels.resize(batch.pixels.size());
  row->plan = IdentityPlan(batch.n);
  const mixcut_tensor src = NhwcTensor(const_cast<uint8_t*>(batch.pixels.data()), batch);
  const mixcut_tensor dst = NhwcTensor(row->pixels.data(), batch);
  return Check(mixcut_cutout_apply(ctx, holes.data(), count, &fill, &src, &dst, nullptr),
               "mixcut_cutout_apply");
}

std::string FormatFixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

// The caption lines under one tile: lam (or kind and lam), then the image's
// own class and, when it was mixed, its partner's class, with their weights
// in the soft label. Own class first: lam is the weight of the image itself.
std::vector<std::string> Caption(const GridRow& row, int i, const float* soft,
                                 const LabelledBatch& batch) {
  const mixcut_mix_sample& s = row.plan[static_cast<size_t>(i)];
  std::vector<std::string> lines;
  if (row.show_kind) {
    const char* kind = s.kind == MIXCUT_KIND_MIXUP    ? "mixup "
                       : s.kind == MIXCUT_KIND_CUTMIX ? "cutmix "
                                                      : "none ";
    lines.push_back(kind + FormatFixed(s.lam, 2));
  } else {
    lines.push_back("lam=" + FormatFixed(s.lam, 2));
  }
  const size_t own = static_cast<size_t>(batch.labels[static_cast<size_t>(i)]);
  const size_t other = static_cast<size_t>(batch.labels[static_cast<size_t>(s.partner)]);
  auto line = [&](size_t k) {
    return batch.class_names[k] + " " + FormatFixed(100.0 * soft[k], 0) + "%";
  };
  lines.push_back(line(own));
  // A pure label (not mixed, or a CutMix box of no area) has no second class.
  if (other != own && soft[other] >= 0.005f) lines.push_back(line(other));
  return lines;
}

constexpr Rgb kBackground{248, 247, 244};
constexpr Rgb kInk{20, 20, 24};
constexpr Rgb kFaint{110, 110, 118};
constexpr Rgb kMixupInk{30, 90, 200};
constexpr Rgb kCutmixInk{200, 90, 10};

bool DrawGrid(const LabelledBatch& batch, const std::vector<GridRow>& rows,
              const std::vector<std::string>& heading, Canvas* canvas) {
  const size_t classes = batch.class_names.size();
  const int text_scale = 2;
  const int line_height = TextHeight(text_scale) + 5;
  const int tile = batch.size;

  // Captions first: the widest one decides the column width.
  std::vector<std::vector<std::vector<std::string>>> captions(rows.size());
  std::vector<float> soft(static_cast<size_t>(batch.n) * classes);
  int column_width = tile;
  size_t caption_lines = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (!Check(
            mixcut_mix_labels(rows[r].plan.data(), batch.n, batch.labels.data(),
                              static_cast<int64_t>(classes), /*label_smoothing=*/0.0f, soft.data()),
            "mixcut_mix_labels")) {
      return false;
    }
    for (int i = 0; i < batch.n; ++i) {
      captions[r].push_back(Caption(rows[r], i, &soft[static_cast<size_t>(i) * classes], batch));
      caption_lines = std::max(caption_lines, captions[r].back().size());
      for (const std::string& line : captions[r].back()) {
        column_width = std::max(column_width, TextWidth(line, text_scale));
      }
    }
  }
  column_width += 18;

  int label_width = 0;
  for (const GridRow& row : rows) {
    label_width = std::max(label_width, TextWidth(row.title, text_scale));
    for (const std::string& note : row.notes) {
      label_width = std::max(label_width, TextWidth(note, text_scale));
    }
  }
  const int margin = 24;
  const int left = margin + label_width + 24;
  const int top = margin + static_cast<int>(heading.size()) * line_height + 24;
  const int row_height = tile + 10 + static_cast<int>(caption_lines) * line_height + 20;
  int width = left + batch.n * column_width + margin;
  width = std::max(width, 2 * margin + TextWidth(heading[0], 3));
  for (size_t k = 1; k < heading.size(); ++k) {
    width = std::max(width, 2 * margin + TextWidth(heading[k], text_scale));
  }
  const int height = top + static_cast<int>(rows.size()) * row_height + margin;
  *canvas = Canvas(std::max(width, 256), std::max(height, 256), kBackground);

  canvas->DrawText(margin, margin, heading[0], kInk, 3);
  for (size_t k = 1; k < heading.size(); ++k) {
    canvas->DrawText(margin, margin + 12 + static_cast<int>(k) * line_height, heading[k], kFaint,
                     text_scale);
  }

  for (size_t r = 0; r < rows.size(); ++r) {
    const int y = top + static_cast<int>(r) * row_height;
    const int title_y = y + tile / 2 - TextHeight(text_scale);
    canvas->DrawText(margin, title_y, rows[r].title, kInk, text_scale);
    for (size_t k = 0; k < rows[r].notes.size(); ++k) {
      canvas->DrawText(margin, title_y + (static_cast<int>(k) + 1) * line_height + 6,
                       rows[r].notes[k], kFaint, text_scale);
    }
    for (int i = 0; i < batch.n; ++i) {
      const int x = left + i * column_width + (column_width - tile) / 2;
      canvas->StrokeRect(x - 1, y - 1, tile + 2, tile + 2, kFaint);
      canvas->Blit(&rows[r].pixels[static_cast<size_t>(i) * tile * tile * 3], tile, tile, x, y);
      const mixcut_mix_sample& s = rows[r].plan[static_cast<size_t>(i)];
      const std::vector<std::string>& lines = captions[r][static_cast<size_t>(i)];
      for (size_t k = 0; k < lines.size(); ++k) {
        Rgb color = k == 0 ? kFaint : kInk;
        if (k == 0 && rows[r].show_kind) {
          color = s.kind == MIXCUT_KIND_CUTMIX  ? kCutmixInk
                  : s.kind == MIXCUT_KIND_MIXUP ? kMixupInk
                                                : kFaint;
        }
        if (k == 2) color = kFaint;
        const int line_x = left + i * column_width + (column_width - TextWidth(lines[k], 2)) / 2;
        canvas->DrawText(line_x, y + tile + 10 + static_cast<int>(k) * line_height, lines[k], color,
                         text_scale);
      }
    }
  }
  return true;
}

int Run(const Options& options) {
  LabelledBatch batch;
  if (options.images.empty()) {
    batch = MakeSyntheticBatch(options.size);
  } else {
    std::string error;
    if (!LoadImageBatch(options.images, options.size, &batch, &error)) {
      std::fprintf(stderr, "mixcut-demo: cannot read %s\n", error.c_str());
      return 1;
    }
  }

  mixcut_ctx* ctx = nullptr;
  if (!Check(mixcut_ctx_create(&ctx), "mixcut_ctx_create")) return 1;
  // Destroy the ctx on every return path below.
  struct CtxGuard {
    mixcut_ctx* ctx;
    ~CtxGuard() { mixcut_ctx_destroy(ctx); }
  } guard{ctx};
  if (!Check(mixcut_ctx_set(ctx, MIXCUT_OPT_NUM_THREADS, options.threads), "mixcut_ctx_set")) {
    return 1;
  }
  int32_t isa = 0;
  if (!Check(mixcut_ctx_isa(ctx, &isa), "mixcut_ctx_isa")) return 1;
  std::printf("mixcut %s, ISA %s: %d image%s of %dx%d, seed %llu\n", mixcut_version_string(),
              mixcut_isa_string(isa), batch.n, batch.n == 1 ? "" : "s", batch.size, batch.size,
              static_cast<unsigned long long>(options.seed));
  const char* const one_image_note =
      "one image: the mix rows need at least two (an image mixed with itself is unchanged)";
  if (batch.n == 1) std::printf("mixcut-demo: %s\n", one_image_note);

  // timm's defaults, then one draw per image (elem mode).
  mixcut_mix_policy base;
  if (!Check(mixcut_mix_policy_init(&base), "mixcut_mix_policy_init")) return 1;
  base.mode = MIXCUT_MODE_ELEM;
  mixcut_mix_policy mixup = base;
  mixup.mixup_alpha = 1.0f;
  mixup.cutmix_alpha = 0.0f;
  mixcut_mix_policy cutmix = base;
  cutmix.mixup_alpha = 0.0f;
  cutmix.cutmix_alpha = 1.0f;
  mixcut_mix_policy both = base;
  both.mixup_alpha = 1.0f;
  both.cutmix_alpha = 1.0f;
  both.switch_prob = 0.5f;

  // Cutout: 1-2 square holes filled with the ImageNet mean (0.485, 0.456,
  // 0.406) in uint8 units, what a normalised pipeline fills with 0.
  mixcut_cutout_policy cutout;
  if (!Check(mixcut_cutout_policy_init(&cutout), "mixcut_cutout_policy_init")) return 1;
  cutout.min_count = 1;
  cutout.max_count = 2;
  cutout.length = batch.size * 3 / 8;
  const float imagenet_mean[3] = {124.0f, 116.0f, 104.0f};
  mixcut_fill mean_fill{};
  mean_fill.kind = MIXCUT_FILL_CHANNEL;
  mean_fill.channel_values = imagenet_mean;
  // RandomErasing with timm's defaults (area 2-33 %, aspect 0.3-3.3, one
  // box) and its per-pixel noise fill (mode 'pixel').
  mixcut_cutout_policy erasing;
  if (!Check(mixcut_cutout_policy_init(&erasing), "mixcut_cutout_policy_init")) return 1;
  erasing.form = MIXCUT_CUTOUT_ERASING;
  mixcut_fill noise_fill{};
  noise_fill.kind = MIXCUT_FILL_NOISE;

  std::vector<GridRow> rows(6);
  rows[0].title = "original";
  rows[0].pixels = batch.pixels;
  rows[0].plan = IdentityPlan(batch.n);
  rows[1].title = "cutout";
  rows[1].notes = {"1-2 holes", std::to_string(cutout.length) + " px", "mean fill"};
  rows[2].title = "erasing";
  rows[2].notes = {"timm's", "RandomErasing", "noise fill"};
  rows[3].title = "mixup";
  rows[3].notes = {"alpha=1"};
  rows[4].title = "cutmix";
  rows[4].notes = {"alpha=1", "lam=1-area"};
  rows[5].title = "switch";
  rows[5].notes = {"alphas 1, 1", "switch_prob", "=0.5"};
  rows[5].show_kind = true;
  if (!CutoutRow(ctx, batch, options.seed, cutout, mean_fill, &rows[1]) ||
      !CutoutRow(ctx, batch, options.seed, erasing, noise_fill, &rows[2]) ||
      !MixRow(ctx, batch, mixup, options.seed, &rows[3]) ||
      !MixRow(ctx, batch, cutmix, options.seed, &rows[4]) ||
      !MixRow(ctx, batch, both, options.seed, &rows[5])) {
    return 1;
  }

  std::vector<std::string> heading = {
      std::string("mixcut ") + mixcut_version_string(),
      "seed " + std::to_string(options.seed) +
          ", elem mode (one draw per image), partner i <-> n-1-i, uint8 NHWC",
      "under each tile: lam (the weight of the image itself), then its own class and its",
      "partner's with their weights in the soft label (mixcut_mix_labels, no smoothing)"};
  if (batch.n == 1) heading.push_back(one_image_note);
  Canvas canvas;
  if (!DrawGrid(batch, rows, heading, &canvas)) return 1;
  if (stbi_write_png(options.output.c_str(), canvas.width(), canvas.height(), 3, canvas.data(),
                     canvas.width() * 3) == 0) {
    std::fprintf(stderr, "mixcut-demo: cannot write %s\n", options.output.c_str());
    return 1;
  }
  std::printf("wrote a %dx%d grid: rows original, cutout, erasing, mixup, cutmix, switch\n",
              canvas.width(), canvas.height());

  if (options.bench) {
    ThroughputConfig config;
    config.seed = options.seed;
    if (!PrintThroughputTable(ctx, config)) return 1;
  }
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(options.output, error);
  std::printf("%s\n", error ? options.output.c_str() : absolute.lexically_normal().c_str());
  return 0;
}

}  // namespace
}  // namespace mixcut_demo

int main(int argc, char** argv) {
  mixcut_demo::Options options;
  const int stop = mixcut_demo::ParseArgs(argc, argv, &options);
  if (stop != 0) return stop - 1;
  return mixcut_demo::Run(options);
}
