// A tiny 5x7 bitmap font (plus two descender rows), so the demo can label its
// picture without a font library.
#pragma once

#include <array>
#include <cstdint>

namespace mixcut_demo {

constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 9;  // 7 above the baseline, 2 for descenders

// One byte per row; bit 4 of each row is the leftmost pixel.
using Glyph = std::array<uint8_t, kGlyphHeight>;

// The glyph of c: printable ASCII letters, digits and common punctuation.
// Characters without a glyph show as a hollow box, so a gap is never silent.
const Glyph& GlyphFor(char c);

}  // namespace mixcut_demo
