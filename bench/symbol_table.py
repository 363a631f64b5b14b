#!/usr/bin/env python3
# The symbols g++ creates for a translation unit, grouped by name without
# template arguments: count and total name length per family.  Every
# function and variable instantiated with a node or graph type is a symbol
# whose (mangled) name spells that type out, and g++ builds every name;
# a family whose count grows with the number of nodes, or whose names grow
# with the graph, is compile time to remove (docs/internals.md).
#   g++-12 -std=c++20 -O2 -Iinclude -c tu.cpp -o /dev/null -fdump-ipa-cgraph=stdout \
#     | python3 bench/symbol_table.py [rows]
# Pipe it: the dump prints demangled names in full, gigabytes for a deep net.
import re, sys, subprocess, collections
fam = collections.Counter(); size = collections.Counter()
state = 0
pat = re.compile(rb'^(\S.*?)/(\d+) \(')
for line in sys.stdin.buffer:
    if line.startswith(b'Initial Symbol table'): state = 1; continue
    if state and (line.startswith(b'Removing') or line.startswith(b'Optimized') or line.startswith(b'Reclaiming') or line.startswith(b';;')): break
    if not state or line[:1] in (b' ', b'\n'): continue
    m = pat.match(line[:200000])
    if not m: continue
    name = m.group(1).decode('latin1')
    if name.startswith('_Z'):
        d = subprocess.run(['c++filt'], input=name, capture_output=True, text=True).stdout.strip()
    else:
        d = name
    # family: strip template args
    f = d
    for _ in range(50):
        g = re.sub(r'<[^<>]*>', '', f)
        if g == f: break
        f = g
    f = re.sub(r'\(.*', '', f)[:110]
    fam[f] += 1; size[f] += len(name)
tot = sum(size.values())
print('symbols', sum(fam.values()), 'total name chars', tot)
for f, c in sorted(fam.items(), key=lambda kv: -size[kv[0]])[:int(sys.argv[1]) if len(sys.argv) > 1 else 40]:
    print(f'{size[f]:>9} {c:>5}  {f}')
