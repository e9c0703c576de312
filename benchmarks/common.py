"""Shared helpers for benchmarks: a separate database, timing, medians and percentiles."""

import os
import resource
import statistics
import time
from contextlib import contextmanager


def setup_django(database: str = "bench") -> None:
    """Use var/<database>.sqlite3 unless DATABASE_URL names another database, then migrate it."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{root / 'var' / f'{database}.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiyang.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def reset_database() -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def timed(fn, repeat: int) -> list[float]:
    """Run fn `repeat` times; return the durations in milliseconds."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"median {statistics.median(ordered):8.2f} ms   p95 {p95:8.2f} ms"


def peak_rss_mb() -> float:
    """Peak resident memory of this process. VmHWM belongs to the process image, whereas ru_maxrss
    survives exec and would report the parent's peak for a freshly started child."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def stopwatch():
    box = {}
    start = time.perf_counter()
    yield box
    box["seconds"] = time.perf_counter() - start
