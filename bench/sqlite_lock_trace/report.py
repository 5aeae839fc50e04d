"""Sum up a SQLite write-lock trace (see sitecustomize.py here): waits and holds by thread kind and statement.

    .venv/bin/python bench/sqlite_lock_trace/report.py /tmp/locks [--seconds 2]

Prints, for each kind of thread (request threads, grading threads, ...) and first statement, how
many write transactions there were and how long they waited for the lock and held it; then the
same per time slice of ``--seconds``, which shows when the grading threads starved.
"""

from __future__ import annotations

import argparse
import glob
import re
import statistics
from collections import defaultdict


def read(prefix: str) -> list[tuple[float, float, float, str, str]]:
    rows = []
    for path in glob.glob(f"{prefix}.*"):
        with open(path) as trace:
            for line in trace:
                sent, waited, held, thread, statement = line.rstrip("\n").split(" ", 4)
                # grader-0 -> grader, ThreadPoolExecutor-0_3 -> ThreadPoolExecutor
                kind = re.sub(r"[-_]?\d+$", "", thread.split("_")[0])
                rows.append((float(sent), float(waited), float(held), kind, statement))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prefix", help="the SQLITE_LOCK_TRACE value the run used")
    parser.add_argument("--seconds", type=float, default=2.0, help="time slice of the second table")
    args = parser.parse_args()
    rows = read(args.prefix)
    if not rows:
        raise SystemExit(f"no trace at {args.prefix}.*")
    start = min(row[0] for row in rows)
    span = max(row[0] + row[1] + row[2] for row in rows) - start
    print(
        f"{len(rows)} write transactions in {span / 1000:.1f} s; the lock was held "
        f"{sum(row[2] for row in rows) / span:.0%} of the time"
    )
    print("count  wait ms: mean  median   max | hold ms: mean  median   p90  thread, first write")
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for row in rows:
        groups[(row[3], row[4])].append(row)
    for (kind, statement), group in sorted(groups.items(), key=lambda item: -len(item[1])):
        waits, holds = [row[1] for row in group], sorted(row[2] for row in group)
        print(
            f"{len(group):5d}  {statistics.mean(waits):13.1f} {statistics.median(waits):7.2f} {max(waits):7.1f} | "
            f"{statistics.mean(holds):13.2f} {statistics.median(holds):7.2f} {holds[int(0.9 * (len(holds) - 1))]:5.2f}"
            f"  {kind}, {statement}"
        )
    print(f"\nper {args.seconds:g} s: transactions and mean wait (ms) by thread kind")
    slices: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for sent, waited, _, kind, _ in rows:
        slices[int((sent - start) / 1000 // args.seconds)][kind].append(waited)
    for index in sorted(slices):
        cells = "  ".join(
            f"{kind} {len(waits)} x {statistics.mean(waits):.1f}" for kind, waits in sorted(slices[index].items())
        )
        print(f"{index * args.seconds:6.1f} s  {cells}")


if __name__ == "__main__":
    main()
