"""Soak: sign-ins at a steady rate for minutes through two nodes behind nginx; errors and memory.

The deployment of bench/two_nodes.py (nginx, two granian nodes, a Celery worker and beat, the
production settings with argon2id, one PostgreSQL, the shared Redis). A full sign-in (bench/
signins.py's `sign_in`, from its own loopback address) is begun every 1/`--rate` seconds for
`--minutes` minutes, whatever the previous ones are doing (up to `--browsers` at once; beyond
that they wait: the line says how many began more than half a second late).

Every minute it prints the sign-ins begun and failed so far, that minute's p50 and p99, and the
resident memory (RSS, from /proc) of each long-running process: each node's granian master
and workers, the Celery worker and beat. At the end: the totals, and each process's RSS at the
start (after a warm-up) against the end. Expected: 0 errors, and memory that levels off rather
than grows with the sign-ins served. Exits 1 on any error.

Usage: .venv/bin/python bench/soak.py [--minutes 10] [--rate 3] [--browsers 16] [--workers 1]
(needs REDIS_URL and nginx; database as bench/two_nodes.py)
"""

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tokens import PAGE_SIZE, percentile_ms, proc_stat, process_tree  # noqa: E402
from two_nodes import SignIns, deployment, one_sign_in  # noqa: E402

from tests.factories.topology import ClientAddresses, Topology  # noqa: E402

MIB = 1024 * 1024
LATE_SECONDS = 0.5  # a sign-in begun this long after it was due waited for a free browser


def resident_memory(topology: Topology) -> dict[str, float]:
    """MiB of RSS by process: each node's granian master and its workers (by pid), the Celery
    worker and beat (with any children they have)."""
    memory: dict[str, float] = {}
    for name, root in topology.processes().items():
        for pid in sorted(process_tree(root)):
            stat = proc_stat(pid)
            if stat is None:
                continue
            role = name if pid == root else f"{name} worker {pid}"
            memory[role] = stat[2] * PAGE_SIZE / MIB
    return memory


def memory_line(memory: dict[str, float]) -> str:
    return ", ".join(f"{name} {mib:.0f}" for name, mib in memory.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--rate", type=float, default=3.0, help="sign-ins begun per second")
    parser.add_argument("--browsers", type=int, default=16, help="sign-ins at once, at most")
    parser.add_argument("--workers", type=int, default=1, help="granian workers per node")
    args = parser.parse_args()

    with deployment(args.workers) as (topology, web):
        attempt = one_sign_in(topology, web, ClientAddresses())
        for _ in range(10):  # warm-up: both nodes' workers import, connect, fill their memories
            if (error := attempt()) is not None:
                print(f"warm-up sign-in failed: {error}")
                return 1
        start_memory = resident_memory(topology)
        print(f"RSS at start (MiB): {memory_line(start_memory)}", flush=True)
        signins = SignIns()
        late = 0
        lock = threading.Lock()

        def run(scheduled: float) -> None:
            nonlocal late
            if time.time() - scheduled > LATE_SECONDS:
                with lock:
                    late += 1
            signins.record(scheduled, attempt())

        interval = 1 / args.rate
        started = time.time()
        next_at = started
        minute_end = started + 60
        last_minute_count = 0
        with ThreadPoolExecutor(max_workers=args.browsers) as browsers:
            for minute in range(1, args.minutes + 1):
                while next_at < minute_end:
                    time.sleep(max(0.0, next_at - time.time()))
                    # Latency counts from when the sign-in was due, waiting included.
                    browsers.submit(run, next_at)
                    next_at += interval
                with signins.lock:
                    finished = [*signins.done, *((b, e) for b, e, _reason in signins.failed)]
                    failed = len(signins.failed)
                this_minute = [
                    ended - began for began, ended in finished if began >= minute_end - 60
                ]
                print(
                    f"minute {minute}: {len(finished)} sign-ins finished "
                    f"({len(finished) - last_minute_count} this minute, p50 "
                    f"{percentile_ms(this_minute, 50):.0f} ms, p99 "
                    f"{percentile_ms(this_minute, 99):.0f} ms), errors so far {failed}, "
                    f"begun late {late}; RSS (MiB): "
                    f"{memory_line(resident_memory(topology))}",
                    flush=True,
                )
                last_minute_count = len(finished)
                minute_end += 60
        end_memory = resident_memory(topology)

    latencies = signins.latencies()
    total = len(signins.done) + len(signins.failed)
    print(
        f"{total} sign-ins in {args.minutes} min at {args.rate:g}/s: {len(signins.failed)} "
        f"errors; p50 {percentile_ms(latencies, 50):.0f} ms, p99 "
        f"{percentile_ms(latencies, 99):.0f} ms"
    )
    print("RSS start → end (MiB):")
    for name, mib in start_memory.items():
        end = end_memory.get(name)
        ending = f"{end:.0f} ({end - mib:+.0f})" if end is not None else "gone"
        print(f"  {name}: {mib:.0f} → {ending}")
    for _began, _ended, reason in signins.failed[:3]:
        print(f"  failed: {reason}")
    return 1 if signins.failed else 0


if __name__ == "__main__":
    sys.exit(main())
