"""Timing helpers and machine description for the benchmarks (no test framework).

Every measurement is a plain ``time.perf_counter`` around one call. Ours and the
reference run in the same process on the same input, interleaved round by round
(A B, B A, A B, ...) so that a burst of load from another process hits both.
"""

from __future__ import annotations

import gc
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

# Which clock the statistics are built from: "wall" (time.perf_counter, default) or
# "cpu" (time.process_time of this process, all its threads). Both are recorded.
CLOCK = "wall"


def set_clock(clock: str) -> None:
    global CLOCK
    if clock not in ("wall", "cpu"):
        raise ValueError(f"clock must be 'wall' or 'cpu', got {clock!r}")
    CLOCK = clock


@dataclass(frozen=True)
class Sample:
    """One timed call: wall-clock and process CPU seconds."""

    wall: float
    cpu: float

    def __add__(self, other: Sample) -> Sample:
        return Sample(self.wall + other.wall, self.cpu + other.cpu)


@dataclass
class Stats:
    """Summary of repeated times in seconds, on the clock chosen by ``CLOCK``."""

    median: float
    min: float
    max: float
    q1: float
    q3: float
    n: int
    clock: str
    times: list[float] = field(repr=False)
    wall_times: list[float] = field(repr=False)
    cpu_times: list[float] = field(repr=False)

    @classmethod
    def of(cls, samples: list[Sample]) -> Stats:
        wall = [s.wall for s in samples]
        cpu = [s.cpu for s in samples]
        t = np.asarray(cpu if CLOCK == "cpu" else wall)
        q1, med, q3 = np.percentile(t, [25, 50, 75])
        return cls(
            float(med), float(t.min()), float(t.max()), float(q1), float(q3),
            len(samples), CLOCK, t.tolist(), wall, cpu,
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def time_call(fn: Callable[[], Any]) -> tuple[Sample, Any]:
    """Run ``fn()`` once after a garbage collection; return (sample, result)."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    t1, c1 = time.perf_counter(), time.process_time()
    return Sample(t1 - t0, c1 - c0), out


def interleave(
    fns: dict[str, Callable[[], Any]],
    repeats: int,
    warmup: tuple[str, ...] = (),
) -> tuple[dict[str, Stats], dict[str, Any]]:
    """Time each callable ``repeats`` times, alternating their order every round.

    Names in ``warmup`` get one untimed call first (first-touch page faults, lazy
    imports, BLAS thread start-up). Returns the statistics and each callable's last
    result (for the agreement checks).
    """
    for name in warmup:
        fns[name]()
    names = list(fns)
    samples: dict[str, list[Sample]] = {k: [] for k in names}
    last: dict[str, Any] = {}
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            sample, last[name] = time_call(fns[name])
            samples[name].append(sample)
    return {k: Stats.of(v) for k, v in samples.items()}, last


def paired_ratios(ours: Stats, ref: Stats) -> list[float]:
    """Round-by-round ratios ours/reference (same round = similar machine load)."""
    return [a / b for a, b in zip(ours.times, ref.times, strict=True)]


# ------------------------------------------------------------------ machine info
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def blas_info() -> list[dict[str, Any]]:
    """BLAS/OpenMP libraries actually loaded, from threadpoolctl (or numpy config)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        keys = ("user_api", "internal_api", "version", "num_threads", "architecture",
                "threading_layer", "filepath")
        return [{k: d.get(k) for k in keys} for d in threadpool_info()]
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]
        return [{"user_api": k, **{kk: cfg[k].get(kk) for kk in ("name", "version")}}
                for k in ("blas", "lapack")]
    except Exception:  # noqa: BLE001 - best effort, only for the report
        return []


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, load, Python and library versions, BLAS."""
    import networkx
    import scipy
    import scipy.linalg  # noqa: F401 - loads SciPy's BLAS so threadpoolctl sees it
    import sklearn

    import mlmath

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "memory_gb": _mem_total_gb(),
        "load_average_1_5_15min": load_average(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "versions": {
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "networkx": networkx.__version__,
            "mlmath": getattr(mlmath, "__version__", "?"),
        },
        "blas": blas_info(),
        "thread_env": {
            k: os.environ[k]
            for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            if k in os.environ
        },
    }
