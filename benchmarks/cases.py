"""The comparisons of issue 8: each ``mlmath`` function against its reference.

Each ``bench_*`` function builds its input once (not timed), times ours and the
reference on that same input with :func:`_harness.interleave`, checks that the two
answers agree, and returns a :class:`Case` holding one :class:`Row` per judged ratio.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from _harness import Sample, Stats, interleave, paired_ratios, time_call


@dataclass
class Row:
    """One line of the table: a time target and an agreement check."""

    label: str
    ours: Stats
    reference: str | None
    ref: Stats | None
    target: str
    limit: float
    kind: str  # "ratio": ours/ref <= limit; "seconds": ours <= limit
    agreement: str = "-"
    agree_value: float | None = None
    agree_limit: float | None = None
    judged: bool = True  # False: shown for information, not a target of issue 8

    @property
    def ratio(self) -> float | None:
        return None if self.ref is None else self.ours.median / self.ref.median

    @property
    def time_ok(self) -> bool:
        value = self.ratio if self.kind == "ratio" else self.ours.median
        return value is not None and value <= self.limit

    @property
    def agree_ok(self) -> bool | None:
        if self.agree_value is None or self.agree_limit is None:
            return None
        return bool(self.agree_value <= self.agree_limit)

    @property
    def ok(self) -> bool:
        return self.time_ok and self.agree_ok is not False

    def as_dict(self) -> dict[str, Any]:
        paired = None if self.ref is None else paired_ratios(self.ours, self.ref)
        return {
            "label": self.label,
            "ours_seconds": self.ours.as_dict(),
            "reference": self.reference,
            "reference_seconds": None if self.ref is None else self.ref.as_dict(),
            "ratio_of_medians": self.ratio,
            "ratio_per_round": paired,
            "target": self.target,
            "limit": self.limit,
            "kind": self.kind,
            "time_ok": self.time_ok,
            "agreement": self.agreement,
            "agreement_value": self.agree_value,
            "agreement_limit": self.agree_limit,
            "agreement_ok": self.agree_ok,
            "judged": self.judged,
            "ok": self.ok,
        }


@dataclass
class Case:
    """All rows of one comparison plus what is needed to reproduce and read it."""

    name: str
    title: str
    input: str
    settings: dict[str, Any]
    rows: list[Row]
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _fmt(x: float) -> str:
    return f"{x:.1e}"


# -------------------------------------------------------------------- PageRank
def _random_digraph(n: int, m: int, dangling_fraction: float, seed: int = 0):
    """``m`` distinct random links, no self-loops; a fraction of pages link nowhere."""
    rng = np.random.default_rng(seed)
    dangling = rng.random(n) < dangling_fraction
    sources = np.flatnonzero(~dangling)
    src = rng.choice(sources, size=int(m * 1.05))
    dst = rng.integers(0, n, size=src.size)
    keep = src != dst
    key = np.unique(src[keep].astype(np.int64) * n + dst[keep])
    key = rng.permutation(key)[:m]
    if key.size < m:
        raise RuntimeError("could not draw enough distinct edges")
    src, dst = key // n, key % n
    A = sp.csr_array((np.ones(m), (src, dst)), shape=(n, n))
    return A, src, dst


def bench_pagerank(repeats: int) -> Case:
    import networkx as nx

    from mlmath import pagerank

    n, m, tol, damping = 100_000, 1_000_000, 1e-10, 0.85
    A, src, dst = _random_digraph(n, m, dangling_fraction=0.1)
    n_dangling = int(np.count_nonzero(np.asarray(A.sum(axis=1)).ravel() == 0))
    t_graph, G = time_call(lambda: _nx_digraph(nx, n, src, dst))

    def ours():
        return pagerank(A, damping=damping, tol=tol)

    def reference():
        # networkx stops when ||x - x_last||_1 < N * tol: tol / n is our L1 threshold
        return nx.pagerank(G, alpha=damping, tol=tol / n, max_iter=1000)

    stats, out = interleave(
        {"ours": ours, "networkx": reference}, repeats, warmup=("ours",)
    )
    r, residuals = out["ours"]
    k = len(residuals)
    pr = out["networkx"]
    x = np.fromiter((pr[i] for i in range(n)), dtype=float, count=n)
    l1 = float(np.abs(x - r).sum())

    # The lower bound: the same number of bare sparse products with P^T (CSR),
    # built the way pagerank builds it.
    out_deg = np.asarray(A.sum(axis=1)).ravel()
    inv = np.divide(1.0, out_deg, out=np.zeros(n), where=out_deg > 0)
    M = (sp.diags_array(inv) @ A).T.tocsr()
    v = np.full(n, 1.0 / n)

    def spmv():
        for _ in range(k):
            y = M @ v
        return y

    # Ours against the bound: both cheap, so five times the repeats, interleaved.
    fast, _ = interleave({"ours": ours, "spmv": spmv}, 5 * repeats, warmup=("spmv",))
    t_conv, _ = time_call(lambda: nx.to_scipy_sparse_array(G, dtype=float))

    rows = [
        Row(
            "pagerank vs networkx.pagerank", stats["ours"], "networkx.pagerank",
            stats["networkx"], "<= 0.1x", 0.1, "ratio",
            f"L1 {_fmt(l1)}", l1, 1e-8,
        ),
        Row(
            f"pagerank vs {k} bare SpMVs", fast["ours"], f"{k} x (P^T @ r), CSR",
            fast["spmv"], "<= 2x", 2.0, "ratio",
        ),
    ]
    return Case(
        "pagerank",
        "PageRank by power iteration",
        f"random directed graph, n={n:,}, {m:,} distinct links, "
        f"{n_dangling:,} dangling pages (10% of pages have no out-link)",
        {"damping": damping, "tol_L1": tol, "networkx_tol": tol / n,
         "iterations_ours": k, "repeats_vs_spmv_bound": 5 * repeats},
        rows,
        extra={
            "building_nx_DiGraph_seconds_untimed": t_graph.wall,
            "networkx_to_scipy_sparse_array_seconds": t_conv.wall,
            "final_residual_ours": float(residuals[-1]),
        },
        notes=[
            "networkx.pagerank converts the Graph to a SciPy CSR matrix on every call "
            "(to_scipy_sparse_array, timed separately in extra) and then runs the "
            "same power iteration; building the nx.DiGraph itself is not timed.",
        ],
    )


def _nx_digraph(nx, n, src, dst):
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    return G


# ---------------------------------------------------------------------- t-SNE
def bench_tsne(repeats: int) -> Case:
    from sklearn.datasets import load_digits
    from sklearn.manifold import TSNE, trustworthiness

    from mlmath import tsne

    X = load_digits().data[:1000].astype(float)
    settings = {
        "n_components": 2, "perplexity": 30.0, "iterations": 1000,
        "early_exaggeration": 12.0, "exaggeration_iterations": 250,
        "learning_rate": "auto (= max(n / 12 / 4, 50) = 50)", "init": "pca",
        "seed": 0, "trustworthiness_n_neighbors": 5,
    }
    fitted: dict[str, Any] = {}

    def ours():
        return tsne(X, n_components=2, perplexity=30.0, n_iter=1000,
                    early_exaggeration=12.0, exaggeration_iter=250, init="pca",
                    seed=0)

    def reference():
        model = TSNE(n_components=2, perplexity=30.0, max_iter=1000,
                     early_exaggeration=12.0, learning_rate="auto", init="pca",
                     method="exact", random_state=0)
        fitted["model"] = model
        return model.fit_transform(X)

    stats, out = interleave({"ours": ours, "sklearn": reference}, repeats)
    t_ours = float(trustworthiness(X, out["ours"], n_neighbors=5))
    t_ref = float(trustworthiness(X, out["sklearn"], n_neighbors=5))
    diff = abs(t_ours - t_ref)
    model = fitted["model"]
    row = Row(
        "tsne vs sklearn TSNE(method='exact')", stats["ours"],
        "sklearn.manifold.TSNE exact", stats["sklearn"], "<= 1.0x", 1.0, "ratio",
        f"trust {t_ours:.4f} vs {t_ref:.4f}", diff, 0.02,
    )
    return Case(
        "tsne", "exact t-SNE", "load_digits().data[:1000], shape (1000, 64)",
        settings, [row],
        extra={"trustworthiness_ours": t_ours, "trustworthiness_sklearn": t_ref,
               "sklearn_n_iter_": int(model.n_iter_),
               "sklearn_kl_divergence_": float(model.kl_divergence_)},
        notes=["Both start from the PCA initialisation scaled to std 1e-4 and run "
               "all 1000 iterations (sklearn's n_iter_ confirms no early stop)."],
    )


# ------------------------------------------------------------ Gaussian process
def bench_gp(repeats: int) -> Case:
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel

    from mlmath import gp_posterior

    rng = np.random.default_rng(0)
    n, m, d = 2000, 2000, 3
    X = rng.uniform(-3, 3, (n, d))
    y = np.sin(X).sum(axis=1) + 0.1 * rng.standard_normal(n)
    Xs = rng.uniform(-3, 3, (m, d))
    ls, var, noise = 1.0, 1.0, 0.1

    def make():
        kernel = ConstantKernel(var, "fixed") * RBF(ls, "fixed")
        return GaussianProcessRegressor(kernel, alpha=noise**2, optimizer=None)

    times: dict[str, list[Sample]] = {"ours": [], "fit": [], "predict": [], "both": []}
    gp_posterior(X, y, Xs, ls, var, noise)  # warm-up (first touch of 2 x 32 MB)
    make().fit(X, y).predict(Xs, return_std=True)
    for r in range(repeats):
        for who in ("ours", "sklearn") if r % 2 == 0 else ("sklearn", "ours"):
            if who == "ours":
                dt, mine = time_call(lambda: gp_posterior(X, y, Xs, ls, var, noise))
                times["ours"].append(dt)
            else:
                gpr = make()
                t_fit, _ = time_call(lambda gpr=gpr: gpr.fit(X, y))
                t_pred, ref = time_call(
                    lambda gpr=gpr: gpr.predict(Xs, return_std=True)
                )
                times["fit"].append(t_fit)
                times["predict"].append(t_pred)
                times["both"].append(t_fit + t_pred)
    st = {k: Stats.of(v) for k, v in times.items()}
    dmean = float(np.abs(mine[0] - ref[0]).max())
    dstd = float(np.abs(mine[1] - ref[1]).max())
    agree = max(dmean, dstd)
    text = f"mean {_fmt(dmean)}, std {_fmt(dstd)}"
    rows = [
        Row("gp_posterior vs GPR.predict", st["ours"],
            "GPR.predict(return_std=True)", st["predict"], "<= 1.2x", 1.2, "ratio",
            text, agree, 1e-8),
        Row("gp_posterior vs GPR.fit+predict", st["ours"], "GPR.fit + predict",
            st["both"], "(<= 1.2x)", 1.2, "ratio", text, agree, 1e-8, judged=False),
    ]
    return Case(
        "gp", "Gaussian-process posterior (fixed RBF kernel)",
        f"{n} training, {m} test points in {d}-D, y = sum(sin x) + N(0, 0.1^2)",
        {"length_scale": ls, "variance": var, "noise_std": noise,
         "sklearn": "ConstantKernel(1, fixed) * RBF(1, fixed), alpha=noise**2, "
                    "optimizer=None"},
        rows,
        extra={"sklearn_fit_seconds": st["fit"].as_dict()},
        notes=[
            "The judged row is issue 8's target read literally: all of gp_posterior "
            "(kernels, Cholesky, solves) against sklearn's predict alone, whose "
            "Cholesky factor was computed in fit. The factor costs n^3/3 flops next "
            "to predict's n^2 m, so at equal speed per flop the ratio is "
            "1 + n/(3m) = 1.33 here. The fit + predict row (information) compares "
            "the same work; sklearn's fit also evaluates the log marginal "
            "likelihood, a second Cholesky, even with optimizer=None.",
        ],
    )


# ---------------------------------------------------------------------- lasso
def bench_lasso(repeats: int) -> Case:
    from sklearn.linear_model import Lasso

    from mlmath import admm_lasso

    rng = np.random.default_rng(0)
    n, d, k = 500, 200, 20
    A = rng.standard_normal((n, d))
    x_true = np.zeros(d)
    x_true[rng.choice(d, k, replace=False)] = rng.normal(0.0, 2.0, k)
    b = A @ x_true + 0.5 * rng.standard_normal(n)
    lam = 0.1 * float(np.abs(A.T @ b).max())

    def ours():
        return admm_lasso(A, b, lam)

    def reference():
        return Lasso(alpha=lam / n, fit_intercept=False, tol=1e-10,
                     max_iter=100_000).fit(A, b)

    stats, out = interleave({"ours": ours, "sklearn": reference}, repeats,
                            warmup=("ours", "sklearn"))
    res, las = out["ours"], out["sklearn"]
    diff = float(np.abs(res.x - las.coef_).max())
    row = Row("admm_lasso vs sklearn Lasso (CD)", stats["ours"],
              "sklearn.linear_model.Lasso", stats["sklearn"], "<= 10x", 10.0,
              "ratio", f"max|dx| {_fmt(diff)}", diff, 1e-4)
    return Case(
        "lasso", "Lasso by ADMM (default settings)",
        f"A: {n} x {d} Gaussian, {k}-sparse truth, noise 0.5, "
        "lam = 0.1 ||A^T b||_inf",
        {"ours": "admm_lasso(A, b, lam) defaults",
         "sklearn": "Lasso(alpha=lam/n, fit_intercept=False, tol=1e-10)"},
        [row],
        extra={"admm_iterations": res.n_iter, "admm_converged": res.converged,
               "admm_final_rho": res.rho, "cd_epochs": int(las.n_iter_),
               "nnz_ours": res.nnz, "nnz_sklearn": int(np.count_nonzero(las.coef_))},
        notes=["Coordinate descent is the right single-machine lasso solver; "
               "ADMM's strength is that the x-update splits across data shards "
               "(consensus_admm_lasso), not raw speed on one core."],
    )


# ------------------------------------------------------- matrix factorisation
def bench_mf(repeats: int) -> Case:
    from mlmath import MatrixFactorization

    rng = np.random.default_rng(0)
    n_users, n_items, n_ratings = 943, 1682, 100_000  # the MovieLens-100k shape
    idx = rng.choice(n_users * n_items, n_ratings, replace=False)
    R = np.full((n_users, n_items), np.nan)
    R.flat[idx] = rng.integers(1, 6, n_ratings)

    def ours():
        return MatrixFactorization(n_factors=3, n_epochs=1, seed=0).fit(R)

    stats, out = interleave({"ours": ours}, repeats, warmup=("ours",))
    rmse = float(out["ours"].loss_history_[-1])
    row = Row("MatrixFactorization, 1 epoch", stats["ours"], None, None,
              "<= 1 s", 1.0, "seconds", f"train RMSE {rmse:.3f}")
    return Case(
        "mf", "FunkSVD, one SGD epoch",
        f"{n_users} x {n_items} ratings matrix, {n_ratings:,} observed (1-5)",
        {"n_factors": 3, "n_epochs": 1, "lr": 0.01, "reg": 0.01},
        [row],
        notes=["Absolute target, no reference; the time includes fit's setup "
               "(finding the observed entries, initial factors)."],
    )


# ------------------------------------------------------------ link prediction
def _random_graph(n: int, avg_degree: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    m = n * avg_degree // 2
    u = rng.integers(0, n, int(m * 1.1))
    v = rng.integers(0, n, u.size)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    key = np.unique(lo[keep].astype(np.int64) * n + hi[keep])
    key = rng.permutation(key)[:m]
    lo, hi = key // n, key % n
    A = sp.csr_array(
        (np.ones(2 * m), (np.r_[lo, hi], np.r_[hi, lo])), shape=(n, n)
    )
    return A, lo, hi


def bench_linkpred(repeats: int) -> Case:
    import networkx as nx

    from mlmath import adamic_adar, common_neighbors

    n, avg = 10_000, 10
    A, lo, hi = _random_graph(n, avg)
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(zip(lo.tolist(), hi.tolist(), strict=True))
    # Candidate pairs: every unlinked pair u < v at distance 2 (a common neighbour).
    P2 = sp.triu(A @ A, k=1).tocoo()
    linked = np.asarray(A[P2.row, P2.col]).ravel() != 0
    rows_, cols_ = P2.row[~linked], P2.col[~linked]
    pairs = list(zip(rows_.tolist(), cols_.tolist(), strict=True))

    def lookup(S):
        return np.asarray(S[rows_, cols_]).ravel()

    def ours_cn():
        return lookup(common_neighbors(A))

    def nx_cn():
        return [len(list(nx.common_neighbors(G, u, v))) for u, v in pairs]

    def ours_aa():
        return lookup(adamic_adar(A))

    def nx_aa():
        return [p for _, _, p in nx.adamic_adar_index(G, pairs)]

    st, out = interleave(
        {"ours_cn": ours_cn, "nx_cn": nx_cn, "ours_aa": ours_aa, "nx_aa": nx_aa},
        repeats, warmup=("ours_cn", "ours_aa"),
    )
    d_cn = float(np.abs(out["ours_cn"] - np.asarray(out["nx_cn"])).max())
    d_aa = float(np.abs(out["ours_aa"] - np.asarray(out["nx_aa"])).max())
    S = common_neighbors(A)
    rows = [
        Row("common_neighbors (+lookup) vs nx", st["ours_cn"],
            "len(list(nx.common_neighbors(G, u, v)))", st["nx_cn"], "<= 1.0x", 1.0,
            "ratio", f"max|d| {_fmt(d_cn)}", d_cn, 1e-12),
        Row("adamic_adar (+lookup) vs nx", st["ours_aa"],
            "nx.adamic_adar_index(G, pairs)", st["nx_aa"], "<= 1.0x", 1.0, "ratio",
            f"max|d| {_fmt(d_aa)}", d_aa, 1e-12),
    ]
    return Case(
        "linkpred", "Link-prediction scores (sparse in, sparse out)",
        f"random undirected graph, n={n:,}, {lo.size:,} edges (mean degree {avg}); "
        f"{len(pairs):,} candidate pairs = all unlinked pairs at distance 2",
        {"lookup": "S[rows, cols] on the CSR result, included in our time"},
        rows,
        extra={"n_candidate_pairs": len(pairs), "output_is_sparse": sp.issparse(S),
               "output_nnz": int(S.nnz)},
    )


CASES: dict[str, Callable[[int], Case]] = {
    "pagerank": bench_pagerank,
    "tsne": bench_tsne,
    "gp": bench_gp,
    "lasso": bench_lasso,
    "mf": bench_mf,
    "linkpred": bench_linkpred,
}

# Repeats when --repeats is not given: fewer for the slow comparisons so that the
# whole run stays well under five minutes on two cores.
DEFAULT_REPEATS = {"pagerank": 3, "tsne": 3, "gp": 5, "lasso": 15, "mf": 5,
                   "linkpred": 3}


def run_case(name: str, repeats: int) -> Case:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return CASES[name](repeats)
