"""Broad fuzz of every public name of mlmath; counts unclear errors and silent results.

Usage (from the repository root)::

    .venv/bin/python benchmarks/fuzz.py            # the mlmath on sys.path
    PYTHONPATH=/path/to/other/checkout .venv/bin/python benchmarks/fuzz.py

It reuses the call table of ``tests/test_robustness.py`` (how to call each public
name validly) and feeds every array and number argument with

* bad values (NaN, +-inf, empty, scalar, extra dimension, complex, boolean, object,
  string, ragged, sparse; NaN/inf/str/complex/None/bool/array/huge numbers,
  non-callables): the outcome must be a ``ValueError``/``TypeError`` naming the
  argument in backticks;
* valid variants (lists, tuples, float32/float16/int dtypes, read-only and
  non-contiguous arrays, the whole input scaled by 1e150, 1e-150, 1e300 and
  1e-300): the outcome must be a finite result or a clear, named error.

Outcomes: ``clear`` (named error on bad input), ``ok`` (finite result on valid
input), ``unclear`` (any other exception, or an unnamed message), ``silent`` (bad input
accepted, NaN/inf in a result, or an input mutated). It prints the counts and the
share of unclear + silent cases, and the first few of each with their messages.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

import mlmath as M

ROOT = Path(__file__).resolve().parents[1]
if not hasattr(M, "ConvergenceWarning"):  # older mlmath: measure it all the same
    M.ConvergenceWarning = type("ConvergenceWarning", (UserWarning,), {})
spec = importlib.util.spec_from_file_location(
    "robustness_tables", ROOT / "tests" / "test_robustness.py"
)
tables = importlib.util.module_from_spec(spec)
sys.modules["robustness_tables"] = tables  # dataclasses look the module up
spec.loader.exec_module(tables)

NAMED = re.compile(r"`[A-Za-z_][A-Za-z0-9_\[\]]*`")
SCALES = (1e150, 1e-150, 1e300, 1e-300)


def _finite(result) -> bool:
    """Every float inside ``result`` (arrays, tuples, dataclasses, objects) finite."""
    if isinstance(result, (bool, np.bool_, str, type(None))):
        return True
    if isinstance(result, (int, float, np.number)):
        return bool(np.isfinite(result))
    if isinstance(result, np.ndarray):
        return result.dtype.kind not in "fc" or bool(np.all(np.isfinite(result)))
    if hasattr(result, "toarray"):
        return _finite(result.toarray())
    if isinstance(result, (tuple, list)):
        return all(_finite(r) for r in result)
    fields = getattr(result, "__dict__", None)
    if fields:
        return all(
            _finite(v)
            for k, v in fields.items()
            if not k.startswith("_")
            and isinstance(v, (np.ndarray, float, tuple, list, np.number))
        )
    return True


def _run(case, kwargs, names):
    snapshot = {
        k: np.array(v, copy=True)
        for k, v in kwargs.items()
        if isinstance(v, np.ndarray) and v.dtype.kind in "biuf"
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = case.call(**kwargs)
        except (ValueError, TypeError, FloatingPointError) as err:
            msg = str(err)
            return ("named" if NAMED.search(msg) else "unnamed"), msg
        except Exception as err:  # noqa: BLE001 (classifying every failure)
            return "raw", f"{type(err).__name__}: {err}"[:200]
    for k, before in snapshot.items():
        if not np.array_equal(before, kwargs[k], equal_nan=True):
            return "mutated", k
    return ("finite" if _finite(result) else "nonfinite"), ""


def _valid_variants(value):
    arr = np.asarray(value, dtype=float)
    yield "list", arr.tolist()
    yield "tuple", tuple(map(tuple, arr)) if arr.ndim == 2 else tuple(arr.ravel())
    yield "float32", arr.astype(np.float32)
    yield "float16", arr.astype(np.float16)
    if np.all(arr == np.round(arr)) and np.all(np.abs(arr) < 100):
        yield "int64", arr.astype(np.int64)
        yield "int8", arr.astype(np.int8)
    readonly = arr.copy()
    readonly.flags.writeable = False
    yield "read-only", readonly
    if arr.ndim >= 1:
        wide = np.repeat(arr, 2, axis=-1)[..., ::2]
        yield "non-contiguous", wide
    for s in SCALES:
        yield f"scaled {s:g}", arr * s


def cases():
    for name, case in sorted(tables.BAD_INPUT.items()):
        base = {**case.arrays, **case.numbers}
        for arg, good in case.arrays.items():
            for kind, bad in tables._bad_arrays(np.asarray(good, dtype=float)).items():
                expect = "valid" if kind in case.valid.get(arg, set()) else "bad"
                yield name, case, {**base, arg: bad}, arg, kind, expect
            for kind, value in _valid_variants(good):
                yield name, case, {**base, arg: value}, arg, kind, "valid"
        for arg in case.numbers:
            for kind, bad in tables.BAD_NUMBERS.items():
                expect = "valid" if kind in case.valid.get(arg, set()) else "bad"
                if kind == "huge-negative" and arg in tables.NUMBER_VALID[kind]:
                    expect = "valid"
                yield name, case, {**base, arg: bad}, arg, kind, expect
            for extreme in (0, -1, 10**6, 1e308, 1e-308):
                yield name, case, {**base, arg: extreme}, arg, f"={extreme:g}", "valid"
        for arg in case.callables:
            for kind, bad in tables.BAD_CALLABLES.items():
                yield name, case, {**base, arg: bad}, arg, kind, "bad"
            for kind, f in {
                "returns None": lambda *a: None,
                "returns nan": lambda x, *a: np.full(np.shape(x)[:1] or (), np.nan),
                "returns str": lambda *a: "a",
                "returns complex": lambda x, *a: np.zeros(np.shape(x)[:1] or ()) + 1j,
            }.items():
                yield name, case, {**base, arg: f}, arg, kind, "bad"


def classify(outcome: str, expect: str) -> str:
    if outcome == "mutated":
        return "silent"
    if expect == "bad":
        return {"named": "clear", "unnamed": "unclear", "raw": "unclear"}.get(
            outcome, "silent"
        )
    # valid input (possibly extreme): a finite result, or a named error
    return {"finite": "ok", "named": "clear", "nonfinite": "silent"}.get(
        outcome, "unclear"
    )


def main() -> None:
    counts, examples = Counter(), {"unclear": [], "silent": []}
    for name, case, kwargs, arg, kind, expect in cases():
        outcome, msg = _run(case, kwargs, name)
        label = classify(outcome, expect)
        counts[label] += 1
        if label in examples and len(examples[label]) < 40:
            examples[label].append(f"{name}({arg}={kind}) [{expect}]: {outcome} {msg}")
        if label in ("unclear", "silent"):
            print(f"{label}: {name}({arg}={kind}) [{expect}]: {outcome} {msg}"[:220])
        total = sum(counts.values())
        if total % 100 == 0:
            print(f"after {total} cases (up to {name}): {dict(counts)}", flush=True)
    total = sum(counts.values())
    bad = counts["unclear"] + counts["silent"]
    print(f"mlmath from {Path(M.__file__).parent}")
    print(f"{total} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"unclear + silent: {bad} = {100 * bad / total:.2f} %")
    for label, lines in examples.items():
        print(f"\n{label}:")
        for line in lines:
            print("  " + line[:220])


if __name__ == "__main__":
    sys.exit(main())
