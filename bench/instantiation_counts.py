#!/usr/bin/python3
"""Which templates a translation unit instantiates, and how many more per
layer: counts clang's -ftime-trace events by template name.

    clang++-14 -std=c++20 -O0 -Iinclude -c a.cpp -o /tmp/a.o \
        -ftime-trace -ftime-trace-granularity=0        # writes /tmp/a.json
    /usr/bin/python3 bench/instantiation_counts.py /tmp/a.json [/tmp/b.json] [--top N]

With one trace: the templates instantiated most often.  With two (the same
TU at two depths, e.g. 5 and 10 layers from bench/depth_scaling.sh's
source_for): the difference, i.e. what each added layer costs.

Keep the depths small: clang spells out the full name of every
instantiation in the trace, and at 100 layers that took 23 GB.
"""
import argparse
import collections
import json


def counts(path):
    with open(path) as f:
        events = json.load(f)["traceEvents"]
    result = collections.Counter()
    for e in events:
        if e.get("ph") == "X" and e["name"] in ("InstantiateClass", "InstantiateFunction"):
            name = e.get("args", {}).get("detail", "").split("<", 1)[0]
            result[(e["name"][len("Instantiate"):].lower(), name)] += 1
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("traces", nargs="+", help="one trace, or two to subtract (second minus first)")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    if len(args.traces) > 2:
        parser.error("one or two traces")
    first = counts(args.traces[0])
    if len(args.traces) == 1:
        shown, total = first, sum(first.values())
        print(f"{total} instantiations")
    else:
        second = counts(args.traces[1])
        shown = collections.Counter({k: second[k] - first.get(k, 0) for k in second})
        print(f"{sum(first.values())} -> {sum(second.values())}: {sum(shown.values())} more")
    for (what, name), n in shown.most_common(args.top):
        print(f"{n:7d}  {what:8s}  {name}")


if __name__ == "__main__":
    main()
