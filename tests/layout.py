#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The rules of docs/design.md "Where things live", checked on the sources.

Reads every #include "..." of bpf/, lib/, cli/ and daemon/ and fails (exit 1,
one line per broken rule) when:
  - lib/ includes anything from daemon/ or cli/ (the shared code knows neither
    program), cli/ anything from daemon/, bpf/ anything outside bpf/;
  - the daemon's modules include each other in a circle: a module is foo.c
    with foo.h, and it depends on every daemon module whose header it
    includes;
  - daemon.h (struct daemon, which ties the modules together) is included by
    anything but halfopend.c, the loop.
Usage: tests/layout.py [ROOT] (default: the checkout this file is in).
"""
import os
import re
import sys

FOLDERS = ("bpf", "lib", "cli", "daemon")
# where a folder's #include "x" is looked up, in order (the Makefile's -I)
SEARCH = {
    "bpf": ("bpf",),
    "lib": ("lib", "bpf"),
    "cli": ("cli", "lib", "bpf"),
    "daemon": ("daemon", "lib", "bpf"),
}
# what a folder may include from
ALLOWED = {
    "bpf": {"bpf"},
    "lib": {"lib", "bpf"},
    "cli": {"cli", "lib", "bpf"},
    "daemon": {"daemon", "lib", "bpf"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return INCLUDE.findall(f.read())


def where(root, name):
    """The folders of the tree that hold a file of this name."""
    return [d for d in FOLDERS if os.path.isfile(os.path.join(root, d, name))]


def find_cycle(graph):
    """One cycle of the graph as a list of nodes, or None."""
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    errors = []
    graph = {}
    files = 0
    for folder in FOLDERS:
        d = os.path.join(root, folder)
        for name in sorted(os.listdir(d)):
            if not name.endswith((".c", ".h")):
                continue
            files += 1
            src = f"{folder}/{name}"
            module = name.split(".")[0]
            for inc in includes(os.path.join(d, name)):
                found = [f for f in SEARCH[folder] if os.path.isfile(os.path.join(root, f, inc))]
                other = [f for f in where(root, inc) if f not in ALLOWED[folder]]
                if not found and other:
                    errors.append(f"{src} includes {other[0]}/{inc}: {folder}/ may not "
                                  f"include from {other[0]}/")
                    continue
                if not found:
                    continue  # generated (build/halfopen.skel.h) or not ours
                if folder != "daemon" or found[0] != "daemon":
                    continue
                if inc == "daemon.h" and src != "daemon/halfopend.c":
                    errors.append(f"{src} includes daemon.h: only the loop (halfopend.c) "
                                  "may know struct daemon")
                dep = inc.split(".")[0]
                if dep != module:
                    graph.setdefault(module, set()).add(dep)
    cycle = find_cycle(graph)
    if cycle:
        errors.append("daemon modules include each other in a circle: " + " -> ".join(cycle))
    for e in errors:
        print(e)
    if not errors:
        print(f"{files} files, {len(graph)} daemon modules with includes: no circle, "
              "every folder within its rule")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
