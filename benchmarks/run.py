"""Time ``mlmath`` against NumPy/SciPy, scikit-learn and NetworkX (issue 8).

Usage::

    .venv/bin/python benchmarks/run.py                      # every comparison
    .venv/bin/python benchmarks/run.py --only tsne --repeats 5
    .venv/bin/python benchmarks/run.py --json _build/bench/latest.json

Prints one table row per target (medians with min-max over the repeats, the ratio of
the medians, PASS/FAIL) and writes everything, with the machine it ran on, as JSON.
The times are wall-clock: on a machine shared with other work they are noisy, so the
load average before and after each comparison is recorded too.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # _harness, cases
sys.path.insert(1, str(HERE.parent))  # the working copy of mlmath, not an install

from _harness import (  # noqa: E402
    Stats,
    blas_info,
    load_average,
    machine_info,
    set_clock,
)
from cases import CASES, DEFAULT_REPEATS, Case, Row, run_case  # noqa: E402


def fmt_time(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} us"
    if s < 1.0:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def fmt_stats(st: Stats | None) -> str:
    if st is None:
        return "-"
    return f"{fmt_time(st.median)} [{fmt_time(st.min)}-{fmt_time(st.max)}]"


def table_rows(cases: list[Case]) -> list[list[str]]:
    out = []
    for case in cases:
        for row in case.rows:
            ratio = "-" if row.ratio is None else f"{row.ratio:.3g}x"
            verdict = ("PASS" if row.ok else "FAIL") if row.judged else "info"
            out.append([
                row.label, fmt_stats(row.ours), fmt_stats(row.ref), ratio,
                row.target, row.agreement, verdict,
            ])
    return out


HEADER = ["comparison", "ours: median [min-max]", "reference: median [min-max]",
          "ours/ref", "target", "agreement", "result"]


def render(rows: list[list[str]], markdown: bool = False) -> str:
    if markdown:
        lines = ["| " + " | ".join(HEADER) + " |",
                 "|" + "|".join("---" for _ in HEADER) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |"
                  for r in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    line = "  ".join("-" * w for w in widths)
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*HEADER), line, *(fmt.format(*r) for r in rows)])


def machine_line(info: dict) -> str:
    blas = sorted({
        f"{b.get('internal_api')} {b.get('version') or ''}".strip()
        + f" ({b.get('num_threads')} threads)"
        for b in info["blas"] if b.get("user_api") == "blas"
    })
    v = info["versions"]
    return (
        f"{info['cpu']}, {info['usable_cpus']} cores, {info['memory_gb']} GB; "
        f"Python {info['python']}, NumPy {v['numpy']}, SciPy {v['scipy']}, "
        f"scikit-learn {v['scikit-learn']}, NetworkX {v['networkx']}; "
        f"BLAS {', '.join(blas) or '?'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(CASES),
                        metavar="NAME",
                        help="run only this comparison (repeatable): "
                        + ", ".join(CASES))
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs per function (default: per comparison, "
                             + ", ".join(f"{k} {v}" for k, v in DEFAULT_REPEATS.items())
                             + ")")
    parser.add_argument("--json", type=Path, default=None,
                        help="write the results as JSON to this file")
    parser.add_argument("--markdown", action="store_true",
                        help="print the table as Markdown (for the README)")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit BLAS/OpenMP threads for ours and the references "
                             "alike (threadpoolctl); default: the libraries' own")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="build the table from wall-clock time (default) or this "
                             "process's CPU time (steadier on a busy machine when "
                             "combined with --threads 1); both go to the JSON")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")

    names = args.only or list(CASES)
    t_start = time.perf_counter()
    info = machine_info()  # imports NumPy, SciPy, scikit-learn: their pools exist
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)  # stays in force for the whole run
        info["blas"] = blas_info()
    info["threads_limit"] = args.threads
    set_clock(args.clock)
    print(f"clock: {args.clock}; BLAS threads: {args.threads or 'library default'}")
    print(f"machine: {machine_line(info)}")
    print(f"load average (1/5/15 min) at start: {info['load_average_1_5_15min']}")
    if info["load_average_1_5_15min"] and (
        info["load_average_1_5_15min"][0] > 0.5 * (info["usable_cpus"] or 1)
    ):
        print("note: the machine is busy; times are noisy (see min-max). Multithreaded "
              "BLAS/LAPACK calls on small matrices can stall while another process "
              "holds a core; --threads 1 --clock cpu gives steadier ratios.")
    cases, records, errors = [], [], []
    for name in names:
        repeats = args.repeats or DEFAULT_REPEATS[name]
        load_before = load_average()
        t0 = time.perf_counter()
        try:
            case = run_case(name, repeats)
        except Exception as exc:  # noqa: BLE001 - report it, run the other cases
            message = f"{type(exc).__name__}: {exc}"
            print(f"  {name}: ERROR {message}", flush=True)
            traceback.print_exc()
            errors.append({"name": name, "error": message})
            continue
        seconds = time.perf_counter() - t0
        cases.append(case)
        records.append({
            "name": case.name, "title": case.title, "input": case.input,
            "settings": case.settings, "repeats": repeats,
            "rows": [r.as_dict() for r in case.rows], "extra": case.extra,
            "notes": case.notes, "wall_seconds": seconds,
            "load_average_before": load_before, "load_average_after": load_average(),
        })
        print(f"  {name}: {seconds:.1f} s, {repeats} repeats, "
              f"load {load_before} -> {load_average()}", flush=True)

    rows = table_rows(cases)
    print(f"\ntimes: {args.clock} clock, median [min-max] over the repeats; "
          "ours/ref = ratio of the medians")
    print(render(rows, markdown=args.markdown))
    judged: list[Row] = [r for c in cases for r in c.rows if r.judged]
    n_ok = sum(r.ok for r in judged)
    total = time.perf_counter() - t_start
    print(f"\n{n_ok}/{len(judged)} targets hold; total {total:.0f} s")
    for err in errors:
        print(f"ERROR in {err['name']}: {err['error']}")
    for case in cases:
        for note in case.notes:
            print(f"- {case.name}: {note}")

    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv),
            "clock": args.clock,
            "machine": info,
            "load_average_at_end": load_average(),
            "total_seconds": total,
            "targets_held": n_ok,
            "targets_judged": len(judged),
            "table_markdown": render(rows, markdown=True),
            "cases": records,
            "errors": errors,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if errors:
        return 2
    return 1 if args.strict and n_ok < len(judged) else 0


if __name__ == "__main__":
    sys.exit(main())
