#!/usr/bin/env python3
"""Doxygen input filter for include/mixcut/mixcut.h.

The header documents itself with plain C comments so that it reads well as
text. This filter turns them into Doxygen comments on the fly (the header is
never changed):
  - a comment on the line(s) just before a declaration documents it: /* -> /**
  - a comment after code on the same line documents that member: /* -> /**<
  - free-standing comments (the file's preamble, shared rules) followed by a
    blank line go to the file's own page: /** @file ... */
  - the section banners between /* ---- */ rules stay plain comments.
"""
import re
import sys

RULE = re.compile(r"^/\* -{10,} \*/\s*$")
# Code that a trailing comment may document: a field, a parameter, an enumerator.
MEMBER = re.compile(r"(,|;|^\s*[A-Z][A-Z0-9_]*\s*=\s*-?\w+)\s*$")


def comment_end(lines, start):
    """Index of the line holding the */ that closes the comment opened on lines[start]."""
    for i in range(start, len(lines)):
        opening = lines[i].find("/*") if i == start else -1
        if lines[i].find("*/", opening + 2 if opening >= 0 else 0) >= 0:
            return i
    return len(lines) - 1


def convert(lines):
    out = list(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if RULE.match(stripped):
            # A banner: rule, title line(s), rule. Leave all of it alone.
            j = i + 1
            while j < len(lines) and not RULE.match(lines[j].lstrip()):
                j += 1
            i = j + 1
            continue
        position = line.find("/*")
        if position < 0 or line[position:].startswith("/**"):
            i += 1
            continue
        end = comment_end(lines, i)
        code = line[:position]
        if code.strip():
            if MEMBER.search(code):
                out[i] = code + "/**<" + line[position + 2:]
        else:
            following = lines[end + 1] if end + 1 < len(lines) else ""
            # The first comment is the file's preamble, even though the
            # include guard follows it directly.
            if following.strip() and i > 0:
                out[i] = code + "/**" + line[position + 2:]
            else:
                out[i] = code + "/** @file mixcut.h" + line[position + 2:]
        i = end + 1
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    sys.stdout.write("\n".join(convert(lines)))


if __name__ == "__main__":
    main()
