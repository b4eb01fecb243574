#!/usr/bin/env python3
"""Fails when a function in the given C++ files is longer than --max lines.

Issue 18: bangerd's start-up is to read as a list, so no function of
service/daemon*.cpp and service/daemon/*.cpp may grow back into a wall of
wiring. A function's length runs from the first line of its signature to its
closing brace, lambdas and comments inside it included. This is a brace
counter, not a C++ parser: it knows namespaces, classes and braced tables
apart from function bodies, which is all the daemon's files need.

Usage: function_lengths.py --max N [--report] PATH...  (a directory: its
daemon*.cpp and daemon/*.cpp)
"""
import argparse
import pathlib
import re
import sys

SCOPE_HEAD = re.compile(r"^(template\s*<.*>\s*)?(namespace|class|struct|union)\b|^extern\b", re.S)
ENUM_HEAD = re.compile(r"^(template\s*<.*>\s*)?enum\b", re.S)
CTOR_INIT = re.compile(r"\)\s*(noexcept\s*)?:(?!:)")
BODY_KEYWORDS = {"const", "noexcept", "override", "final", "mutable", "try", "volatile"}
ACCESS = re.compile(r"^((public|protected|private)\s*:\s*)+")


def blank_out(text):
    """The text with comments, string and character literals and preprocessor
    lines replaced by spaces (newlines kept, so line numbers stay)."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == "#":
            j = i
            while j < n and (text[j] != "\n" or text[j - 1] == "\\"):
                j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        if c == "\n":
            line_start = True
            out.append(c)
            i += 1
            continue
        if not c.isspace():
            line_start = False
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "R" and text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j]))
            i = j
        elif c in "\"'" and not (c == "'" and i > 0 and text[i - 1].isalnum()):  # 1'000 is a number
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(first line, last line, head) of every function body at namespace or
    class scope, lines counted from 1."""
    code = blank_out(text)
    found = []
    # One entry per open brace: (kind, where its head began). Kinds: "scope"
    # (namespace, class), "function", "expr" (a brace inside a declaration's
    # head: a lambda or braced argument, a member initializer), "other" (an
    # enum, a table) and "inner" (any brace inside one of those but a scope).
    stack = []
    head_start = 0  # where the declaration before the next brace at this level begins
    parens = 0  # open parentheses in that declaration so far
    for i, c in enumerate(code):
        in_scope = not stack or stack[-1][0] == "scope"
        if c == "}" and stack:
            kind, start = stack.pop()
            if kind == "function":
                found.append((code.count("\n", 0, start) + 1 + leading_newlines(code, start),
                              code.count("\n", 0, i) + 1, " ".join(code[start:i].split())[:80]))
            if in_scope_after(stack) and kind not in ("expr", "inner"):
                head_start, parens = i + 1, 0
            continue
        if not in_scope:
            if c == "{":
                stack.append(("inner", None))
            continue
        if c == "(":
            parens += 1
        elif c == ")":
            parens -= 1
        elif c == ";":
            head_start, parens = i + 1, 0
        elif c == "{":
            stack.append((kind_of(code[head_start:i], parens), head_start))
            if stack[-1][0] == "scope":
                head_start, parens = i + 1, 0
    return found


def in_scope_after(stack):
    return not stack or stack[-1][0] == "scope"


def kind_of(head, parens):
    """What a brace opens at namespace or class scope, from the declaration before it."""
    if parens > 0:
        return "expr"
    words = ACCESS.sub("", " ".join(head.split()))
    if SCOPE_HEAD.match(words) and "(" not in words.split(":")[0]:
        return "scope"
    if ENUM_HEAD.match(words) or "(" not in words or re.search(r"=\s*$", words):
        return "other"  # an enum, a braced table or initializer
    # A member initializer in braces (Foo() : a_{x}, b_(y) {): its name is just before it.
    last = re.search(r"([A-Za-z_][A-Za-z_0-9]*|>)\s*$", words)
    if CTOR_INIT.search(words) and last and last.group(1) not in BODY_KEYWORDS:
        return "expr"
    return "function"


def leading_newlines(code, start):
    """Lines between `start` and the first non-blank character after it."""
    stripped = code[start:]
    return stripped[: len(stripped) - len(stripped.lstrip())].count("\n")


def sources(paths):
    for path in map(pathlib.Path, paths):
        if path.is_dir():
            yield from sorted(path.glob("daemon*.cpp"))
            yield from sorted(path.glob("daemon/*.cpp"))
        else:
            yield path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, required=True)
    parser.add_argument("--report", action="store_true", help="list every file's longest function")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    files = list(sources(args.paths))
    if not files:
        print("no files to check", file=sys.stderr)
        return 1
    failed = False
    for path in files:
        found = functions(path.read_text())
        for first, last, head in found:
            if last - first + 1 > args.max:
                print(f"{path}:{first}: {last - first + 1} lines (at most {args.max}): {head}")
                failed = True
        if args.report and found:
            first, last, head = max(found, key=lambda f: f[1] - f[0])
            print(f"{path}: longest function {last - first + 1} lines, at line {first}: {head}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
