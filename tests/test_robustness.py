"""Robustness suite: every public name of mlmath under valid and bad input.

Two tables drive it:

* ``BAD_INPUT``: for each public name, how to call it and which arguments are arrays
  or numbers. Every argument is replaced in turn by NaN, +-inf, an empty array, a
  scalar, one dimension too many, complex, boolean, object (``None``), string,
  ragged and scipy.sparse values; each must raise a ``ValueError``/``TypeError``
  whose message names the argument (unless the table says that value is valid).
* ``PROPERTIES``: hypothesis properties over valid input (finiteness, ranges,
  invariance or equivariance under scaling and shifting, agreement with SciPy,
  scikit-learn or NetworkX), registered per public name with ``@covers``.

``test_every_public_name_is_covered`` fails when a name of ``mlmath.__all__`` is in
neither table, so a new public name cannot arrive untested. Hypothesis runs
derandomised with few examples, so the suite is deterministic and fast.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import pdist, squareform

import mlmath as M
from mlmath import ConvergenceWarning

FAST = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FAST, max_examples=3)

PATH4 = np.array([[0, 1, 0, 0], [1, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], dtype=float)
RING6 = np.roll(np.eye(6), 1, axis=1) + np.roll(np.eye(6), -1, axis=1)
SVM_X = np.array([[1.0, 2.0], [2.0, 3.0], [0.0, 0.0], [1.0, 0.0]])
SVM_Y = np.array([1.0, 1.0, -1.0, -1.0])
RNG = np.random.default_rng(0)
X20 = RNG.normal(size=(20, 3))
P20 = M.joint_probabilities(X20, 5)
FLOW_X = np.concatenate([RNG.normal(-2, 0.5, 60), RNG.normal(1.5, 0.8, 40)])


# =========================================================== table 1: bad input
@dataclass
class Case:
    """How to call one public name; ``arrays``/``numbers`` are its checked inputs."""

    call: Callable[..., object]
    arrays: dict[str, object] = field(default_factory=dict)
    numbers: dict[str, object] = field(default_factory=dict)
    valid: dict[str, set[str]] = field(default_factory=dict)  # bad kinds it accepts
    callables: tuple[str, ...] = ()


def _bad_arrays(good: np.ndarray) -> dict[str, object]:
    g = np.asarray(good, dtype=float)
    flat = g.ravel().copy()
    flat[0] = np.nan
    nan = flat.reshape(g.shape)
    inf, ninf = np.where(np.isnan(nan), np.inf, g), np.where(np.isnan(nan), -np.inf, g)
    obj = g.astype(object)
    obj.flat[0] = None
    empty_shape = (0,) + g.shape[1:] if g.ndim else (0,)
    return {
        "nan": nan,
        "inf": inf,
        "-inf": ninf,
        "empty": np.empty(empty_shape),
        "0-d": np.float64(g.ravel()[0]),
        "ndim+1": g[..., None],
        "complex": g + 1j,
        "bool": g != 0,
        "object": obj,
        "string": g.astype(str),
        "ragged": [[1.0], [1.0, 2.0]],
        "sparse": sp.csr_array(
            g
            if g.ndim == 2
            else np.atleast_2d(g).reshape(g.shape[0] if g.ndim else 1, -1)
        ),
    }


BAD_NUMBERS = {
    "nan": np.nan,
    "inf": np.inf,
    "string": "1",
    "complex": 1 + 1j,
    "none": None,
    "bool": True,
    "array": np.array([1.0, 2.0]),
    "huge-negative": -1e308,
}
BAD_CALLABLES = {"int": 1, "string": "f", "none": None}

LASSO = {"A": RNG.normal(size=(6, 3)), "b": RNG.normal(size=6)}
IMG = np.arange(16.0).reshape(4, 4) % 5
KER = np.array([[1.0, -1.0], [0.5, 2.0]])
ATTN = {
    "Q": [[1.0, 0.0]],
    "K": [[1.0, 0.0], [0.0, 1.0]],
    "V": [[1.0], [2.0]],
    "grad_output": [[1.0]],
}
ELBO = {
    "x": [1.0, 2.0],
    "W": [[1.0], [0.5]],
    "bias": [0.0, 0.0],
    "q_mean": [0.0],
    "q_cov": [[1.0]],
}
CV_G = np.column_stack([np.linspace(0, 1, 6), np.linspace(0, 1, 6) ** 2])
FLOW2 = RNG.normal(size=(12, 2))
SVM_FIT = M.SVM(1.0).fit(SVM_X, SVM_Y)
GP = {"X_train": np.array([[0.0], [1.0], [2.0]]), "y_train": np.array([0.0, 1.0, 0.5])}


def _srw_fit(A=RING6, features=None, positives=((0, 2),)):
    psi = np.ones((6, 6, 1)) if features is None else features
    return M.SupervisedRandomWalk().fit(A, psi, positives)


BAD_INPUT: dict[str, Case] = {
    # ---------------------------------------------------------------- linalg
    "vector_angle": Case(
        lambda x, y, degrees=True: M.vector_angle(x, y, degrees),
        {"x": [1.0, 2.0, 3.0], "y": [4.0, 5.0, 6.0]},
        {"degrees": True},
        valid={"degrees": {"bool"}},
    ),
    "cosine_similarity": Case(
        lambda a, b: M.cosine_similarity(a, b), {"a": [1.0, 2.0], "b": [2.0, 1.0]}
    ),
    "cosine_similarity_matrix": Case(
        lambda X: M.cosine_similarity_matrix(X), {"X": [[1.0, 0.0], [1.0, 1.0]]}
    ),
    "rotation_matrix": Case(
        lambda theta: M.rotation_matrix(theta), numbers={"theta": 30.0}
    ),
    "scaling_matrix": Case(
        lambda sx, sy: M.scaling_matrix(sx, sy), numbers={"sx": 2.0, "sy": 0.5}
    ),
    "shear_matrix": Case(lambda k: M.shear_matrix(k), numbers={"k": 0.5}),
    "im2col1d": Case(
        lambda x, width: M.im2col1d(x, width), {"x": [1.0, 2.0, 3.0]}, {"width": 2}
    ),
    "toeplitz_matrix": Case(
        lambda kernel, n: M.toeplitz_matrix(kernel, n),
        {"kernel": [1.0, -1.0]},
        {"n": 4},
    ),
    "convolve1d": Case(
        lambda x, kernel: M.convolve1d(x, kernel),
        {"x": [1.0, 2.0, 3.0, 4.0], "kernel": [1.0, -1.0]},
    ),
    "cross_correlate1d": Case(
        lambda x, kernel: M.cross_correlate1d(x, kernel),
        {"x": [1.0, 2.0, 3.0, 4.0], "kernel": [1.0, -1.0]},
    ),
    "pagerank": Case(
        lambda adjacency, damping=0.85, tol=1e-10, max_iter=1000: M.pagerank(
            adjacency, damping, tol, max_iter
        ),
        {"adjacency": PATH4},
        {"damping": 0.85, "tol": 1e-10, "max_iter": 100},
        valid={"adjacency": {"sparse"}},
    ),
    "low_rank_approximation": Case(
        lambda M_, k: M.low_rank_approximation(M_, k),
        {"M_": [[1.0, 2.0], [3.0, 4.0]]},
        {"k": 1},
    ),
    "MatrixFactorization": Case(
        lambda ratings, lr=0.01, reg=0.01, n_factors=2, seed=0: M.MatrixFactorization(
            n_factors, lr, reg, n_epochs=2, seed=seed
        ).fit(ratings),
        {"ratings": [[5.0, 3.0], [1.0, 4.0]]},
        {"lr": 0.01, "reg": 0.01, "n_factors": 2, "seed": 0},
        valid={"ratings": {"nan"}, "seed": {"none"}},
    ),
    "projection_matrix": Case(
        lambda Y: M.projection_matrix(Y), {"Y": [[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]}
    ),
    "conv_output_size": Case(
        lambda n, kernel_size, stride=1, padding=0: M.conv_output_size(
            n, kernel_size, stride, padding
        ),
        numbers={"n": 5, "kernel_size": 3, "stride": 2, "padding": 1},
    ),
    "im2col2d": Case(
        lambda x, stride=1, padding=0: M.im2col2d(x, (2, 2), stride, padding),
        {"x": IMG},
        {"stride": 1, "padding": 1},
        valid={"x": {"ndim+1"}},  # (4, 4, 1) is a 4-channel image of width 1
    ),
    "cross_correlate2d": Case(
        lambda x, kernel, stride=1, padding=0: M.cross_correlate2d(
            x, kernel, stride, padding
        ),
        {"x": IMG, "kernel": KER},
        {"stride": 1, "padding": 1},
    ),
    "convolve2d": Case(
        lambda x, kernel, stride=1, padding=0: M.convolve2d(x, kernel, stride, padding),
        {"x": IMG, "kernel": KER},
        {"stride": 2, "padding": 0},
    ),
    "als_update": Case(
        lambda ratings, fixed, reg=0.1: M.als_update(ratings, fixed, reg),
        {"ratings": [[5.0, 3.0], [1.0, 4.0]], "fixed": [[1.0], [2.0]]},
        {"reg": 0.1},
        valid={"ratings": {"nan"}},
    ),
    # -------------------------------------------------------------- calculus
    "numerical_gradient": Case(
        lambda x, h=1e-5, f=np.sum: M.numerical_gradient(f, x, h),
        {"x": [1.0, 2.0]},
        {"h": 1e-5},
        valid={"x": {"0-d", "ndim+1"}},
        callables=("f",),
    ),
    "numerical_jacobian": Case(
        lambda x, h=1e-5, f=np.sin: M.numerical_jacobian(f, x, h),
        {"x": [1.0, 2.0]},
        {"h": 1e-5},
        callables=("f",),
    ),
    "relu": Case(
        lambda x: M.relu(x), {"x": [-1.0, 2.0]}, valid={"x": {"empty", "0-d", "ndim+1"}}
    ),
    "softmax": Case(
        lambda x, axis=-1: M.softmax(x, axis),
        {"x": [1.0, 2.0]},
        {"axis": -1},
        valid={"x": {"ndim+1"}},
    ),
    "causal_mask": Case(lambda n: M.causal_mask(n), numbers={"n": 3}),
    "scaled_dot_product_attention": Case(
        lambda Q, K, V: M.scaled_dot_product_attention(Q, K, V),
        {"Q": [[1.0, 0.0]], "K": [[1.0, 0.0], [0.0, 1.0]], "V": [[1.0], [2.0]]},
    ),
    "MLP": Case(
        lambda X, learning_rate=0.1, momentum=0.9, weight_decay=0.0: M.MLP(
            (3,),
            learning_rate=learning_rate,
            momentum=momentum,
            weight_decay=weight_decay,
            n_epochs=2,
            rng=0,
        ).fit(X, [0, 1, 1, 0]),
        {"X": [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]},
        {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.0},
    ),
    "numerical_hessian": Case(
        lambda x, h=1e-4, f=lambda v: float(v @ v): M.numerical_hessian(f, x, h),
        {"x": [1.0, 2.0]},
        {"h": 1e-4},
        callables=("f",),
    ),
    "gradient_descent": Case(
        lambda x0, learning_rate=0.1, n_iter=3, grad=lambda v: 2 * v: (
            M.gradient_descent(grad, x0, learning_rate, n_iter)
        ),
        {"x0": [1.0, 2.0]},
        {"learning_rate": 0.1, "n_iter": 3},
        callables=("grad",),
    ),
    "attention_gradients": Case(
        lambda Q, K, V, grad_output: M.attention_gradients(Q, K, V, grad_output),
        ATTN,
    ),
    # ---------------------------------------------------------- optimization
    "solve_equality_qp": Case(
        lambda P, q, A, b: M.solve_equality_qp(P, q, A, b),
        {"P": 2 * np.eye(2), "q": [0.0, 0.0], "A": [[1.0, 1.0]], "b": [1.0]},
    ),
    "SVM": Case(
        lambda X, C=1.0, gamma=1.0: M.SVM(C, gamma=gamma).fit(X, SVM_Y),
        {"X": SVM_X},
        {"C": 1.0, "gamma": 1.0},
    ),
    "soft_threshold": Case(
        lambda v, kappa=1.0: M.soft_threshold(v, kappa),
        {"v": [-2.0, 0.5]},
        {"kappa": 1.0},
        valid={"v": {"empty", "0-d", "ndim+1"}},
    ),
    "admm_lasso": Case(
        lambda A, b, lam=0.1, rho=1.0: M.admm_lasso(A, b, lam, rho),
        LASSO,
        {"lam": 0.1, "rho": 1.0},
    ),
    "consensus_admm_lasso": Case(
        lambda A, b, lam=0.1, n_workers=2: M.consensus_admm_lasso(A, b, lam, n_workers),
        LASSO,
        {"lam": 0.1, "n_workers": 2},
    ),
    "lasso_path": Case(
        lambda A, b, lams=(1.0, 0.1): M.lasso_path(A, b, lams),
        {**LASSO, "lams": [1.0, 0.1]},
    ),
    "svm_duality_gap": Case(
        lambda X, y: M.svm_duality_gap(SVM_FIT, X, y), {"X": SVM_X, "y": SVM_Y}
    ),
    # ----------------------------------------------------------- probability
    "entropy": Case(
        lambda p, base=2: M.entropy(p, base), {"p": [0.25, 0.75]}, {"base": 2.0}
    ),
    "cross_entropy": Case(
        lambda p, q: M.cross_entropy(p, q), {"p": [0.25, 0.75], "q": [0.5, 0.5]}
    ),
    "kl_divergence": Case(
        lambda p, q: M.kl_divergence(p, q), {"p": [0.25, 0.75], "q": [0.5, 0.5]}
    ),
    "gaussian_kl": Case(
        lambda mu, log_var: M.gaussian_kl(mu, log_var),
        {"mu": [0.5, 0.0], "log_var": [0.0, 0.1]},
        valid={"mu": {"0-d"}, "log_var": {"0-d"}},
    ),
    "reparameterize": Case(
        lambda mu, log_var, n_samples=3, rng=0: M.reparameterize(
            mu, log_var, n_samples, rng
        ),
        {"mu": [0.5, 0.0], "log_var": [0.0, 0.1]},
        {"n_samples": 3, "rng": 0},
        valid={
            "mu": {"0-d"},
            "log_var": {"0-d"},
            "n_samples": {"none"},
            "rng": {"none"},
        },
    ),
    "squared_distances": Case(lambda X: M.squared_distances(X), {"X": X20[:4]}),
    "calibrate_perplexity": Case(
        lambda sq_dists, perplexity=3.0, tol=1e-5, max_iter=100: M.calibrate_perplexity(
            sq_dists, perplexity, tol, max_iter
        ),
        {"sq_dists": M.squared_distances(X20[:8])},
        {"perplexity": 3.0, "tol": 1e-5, "max_iter": 100},
    ),
    "joint_probabilities": Case(
        lambda X, perplexity=3.0: M.joint_probabilities(X, perplexity),
        {"X": X20[:8]},
        {"perplexity": 3.0},
    ),
    "tsne_gradient": Case(
        lambda Y, P, exaggeration=1.0: M.tsne_gradient(Y, P, exaggeration=exaggeration),
        {"Y": RNG.normal(size=(20, 2)), "P": P20},
        {"exaggeration": 1.0},
    ),
    "tsne": Case(
        lambda X, perplexity=3.0, learning_rate=10.0, early_exaggeration=4.0: M.tsne(
            X,
            perplexity=perplexity,
            n_iter=3,
            learning_rate=learning_rate,
            early_exaggeration=early_exaggeration,
        ),
        {"X": X20[:8]},
        {"perplexity": 3.0, "learning_rate": 10.0, "early_exaggeration": 4.0},
    ),
    "linear_gaussian_elbo": Case(
        lambda x, W, bias, q_mean, q_cov, noise_var=0.5: M.linear_gaussian_elbo(
            x, W, bias, noise_var, q_mean, q_cov
        ),
        ELBO,
        {"noise_var": 0.5},
    ),
    # ------------------------------------------------------------ montecarlo
    "mc_integrate": Case(
        lambda a, b, n=100, f=np.sin: M.mc_integrate(f, a, b, n, rng=0),
        {"a": 0.0, "b": 1.0},
        {"n": 100},
        valid={"a": {"0-d"}, "b": {"0-d"}},
        callables=("f",),
    ),
    "importance_sampling": Case(
        lambda n=100, f=np.abs, log_p=scipy.stats.norm.logpdf: M.importance_sampling(
            f, log_p, lambda n, rng: rng.normal(size=n), scipy.stats.norm.logpdf, n, 0
        ),
        numbers={"n": 100},
        callables=("f", "log_p"),
    ),
    "effective_sample_size": Case(
        lambda log_w: M.effective_sample_size(log_w),
        {"log_w": [0.0, -1.0, -2.0]},
        valid={"log_w": {"-inf"}},
    ),
    "AffineFlow": Case(
        lambda a, b, x=(1.0, 2.0): M.AffineFlow(a, b).log_prob(x),
        {"a": [[2.0, 0.0], [0.0, 1.0]], "b": [1.0, 0.0], "x": [[1.0, 2.0]]},
        valid={"a": {"0-d"}, "x": {"empty"}},
    ),
    "TanhFlow": Case(
        lambda x, n_layers=1: M.TanhFlow(n_layers).fit(x, maxiter=3),
        {"x": FLOW_X[:10]},
        {"n_layers": 1},
    ),
    "control_variates": Case(
        lambda f_values, g_values, g_mean: M.control_variates(
            f_values, g_values, g_mean
        ),
        {"f_values": np.exp(CV_G[:, 0]), "g_values": CV_G, "g_mean": [0.5, 1 / 3]},
    ),
    "AffineCouplingFlow": Case(
        lambda x, n_layers=1, n_hidden=2, rng=0, maxiter=3, tol=1e-7: (
            M.AffineCouplingFlow(n_layers, n_hidden, rng).fit(x, maxiter, tol)
        ),
        {"x": FLOW2},
        {"n_layers": 1, "n_hidden": 2, "rng": 0, "maxiter": 3, "tol": 1e-7},
        valid={"rng": {"none"}},
    ),
    # -------------------------------------------------------------- networks
    "common_neighbors": Case(
        lambda A: M.common_neighbors(A), {"A": PATH4}, valid={"A": {"sparse"}}
    ),
    "adamic_adar": Case(
        lambda A: M.adamic_adar(A), {"A": PATH4}, valid={"A": {"sparse"}}
    ),
    "jaccard": Case(lambda A: M.jaccard(A), {"A": PATH4}, valid={"A": {"sparse"}}),
    "rank_pairs": Case(
        lambda scores, A: M.rank_pairs(scores, A),
        {"scores": PATH4 @ PATH4, "A": PATH4},
        valid={"scores": {"sparse"}, "A": {"sparse"}},
    ),
    "holdout_split": Case(
        lambda A, test_fraction=0.3: M.holdout_split(A, test_fraction, rng=0),
        {"A": PATH4},
        {"test_fraction": 0.3},
        valid={"A": {"sparse"}},
    ),
    "roc_auc": Case(
        lambda y_true, scores: M.roc_auc(y_true, scores),
        {"y_true": [0.0, 1.0, 1.0], "scores": [0.1, 0.4, 0.3]},
    ),
    "precision_at_k": Case(
        lambda y_true, scores, k=2: M.precision_at_k(y_true, scores, k),
        {"y_true": [0.0, 1.0, 1.0], "scores": [0.1, 0.4, 0.3]},
        {"k": 2},
    ),
    "random_walk_with_restart": Case(
        lambda A, restart=0.15: M.random_walk_with_restart(A, 0, restart),
        {"A": PATH4},
        {"restart": 0.15},
        valid={"A": {"sparse"}},
    ),
    "SupervisedRandomWalk": Case(
        lambda A, features=None: _srw_fit(A, features),
        {"A": RING6, "features": np.ones((6, 6, 1))},
        valid={"A": {"sparse"}},
    ),
    # -------------------------------------------------------------- bayesopt
    "rbf_kernel": Case(
        lambda X1, X2, length_scale=1.0, variance=1.0: M.rbf_kernel(
            X1, X2, length_scale, variance
        ),
        {"X1": [[0.0], [1.0]], "X2": [[0.5]]},
        {"length_scale": 1.0, "variance": 1.0},
        valid={"X1": {"0-d"}, "X2": {"0-d"}},
    ),
    "gp_posterior": Case(
        lambda X_train, y_train, X_test=((0.5,),), noise=1e-3: M.gp_posterior(
            X_train, y_train, X_test, noise=noise
        ),
        {**GP, "X_test": [[0.5]]},
        {"noise": 1e-3},
        valid={"X_test": {"0-d"}},
    ),
    "gp_log_marginal_likelihood": Case(
        lambda X_train, y_train, noise=1e-3: M.gp_log_marginal_likelihood(
            X_train, y_train, noise=noise
        ),
        GP,
        {"noise": 1e-3},
    ),
    "fit_gp_hyperparameters": Case(
        lambda X_train, y_train, length_scale=1.0: M.fit_gp_hyperparameters(
            X_train, y_train, length_scale
        ),
        GP,
        {"length_scale": 1.0},
    ),
    "expected_improvement": Case(
        lambda mu, sigma, best=0.0: M.expected_improvement(mu, sigma, best),
        {"mu": [0.0, 1.0], "sigma": [1.0, 0.5]},
        {"best": 0.0},
        valid={"mu": {"empty", "0-d", "ndim+1"}, "sigma": {"empty", "0-d", "ndim+1"}},
    ),
    "probability_of_improvement": Case(
        lambda mu, sigma, best=0.0: M.probability_of_improvement(mu, sigma, best),
        {"mu": [0.0, 1.0], "sigma": [1.0, 0.5]},
        {"best": 0.0},
        valid={"mu": {"empty", "0-d", "ndim+1"}, "sigma": {"empty", "0-d", "ndim+1"}},
    ),
    "upper_confidence_bound": Case(
        lambda mu, sigma, kappa=2.0: M.upper_confidence_bound(mu, sigma, kappa),
        {"mu": [0.0, 1.0], "sigma": [1.0, 0.5]},
        {"kappa": 2.0},
        valid={"mu": {"empty", "0-d", "ndim+1"}, "sigma": {"empty", "0-d", "ndim+1"}},
    ),
    "bayes_opt": Case(
        lambda x_init, n_iter=0, objective=lambda x: float(x.sum()): M.bayes_opt(
            objective, [(0.0, 1.0), (0.0, 1.0)], n_iter, x_init=x_init
        ),
        {"x_init": [[0.2, 0.3], [0.5, 0.5]]},
        {"n_iter": 0},
        callables=("objective",),
    ),
    "matern52_kernel": Case(
        lambda X1, X2, length_scale=1.0, variance=1.0: M.matern52_kernel(
            X1, X2, length_scale, variance
        ),
        {"X1": [[0.0], [1.0]], "X2": [[0.5]]},
        {"length_scale": 1.0, "variance": 1.0},
        valid={"X1": {"0-d"}, "X2": {"0-d"}},
    ),
    "gp_predict": Case(
        lambda X_train, y_train, X_test, length_scale=1.0, variance=1.0, noise=0.1: (
            M.gp_predict(
                X_train,
                y_train,
                X_test,
                M.GPHyperparameters(length_scale, variance, noise, 0.0),
            )
        ),
        {**GP, "X_test": [[0.5]]},
        {"length_scale": 1.0, "variance": 1.0, "noise": 0.1},
        valid={"X_test": {"0-d"}},
    ),
    "fit_gp_multistart": Case(
        lambda X_train, y_train, starts, max_iter=50: M.fit_gp_multistart(
            X_train, y_train, starts=starts, max_iter=max_iter
        ),
        {**GP, "starts": [[1.0, 1.0, 0.1]]},
        {"max_iter": 50},
    ),
    "bayes_opt_refit": Case(
        lambda x_init, n_iter=0, xi=0.01, seed=0, objective=lambda x: float(
            x.sum()
        ): M.bayes_opt_refit(
            objective, [(0.0, 1.0), (0.0, 1.0)], n_iter, seed, x_init=x_init, xi=xi
        ),
        {"x_init": [[0.2, 0.3], [0.5, 0.5]]},
        {"n_iter": 0, "xi": 0.01, "seed": 0},
        valid={"seed": {"none"}},
        callables=("objective",),
    ),
}

# result containers and the warning class: checked through what produces them
PRODUCED_BY = {
    "ADMMResult": "admm_lasso",
    "MCResult": "mc_integrate",
    "ISResult": "importance_sampling",
    "RankedPairs": "rank_pairs",
    "GPHyperparameters": "fit_gp_hyperparameters",
    "BayesOptResult": "bayes_opt",
    "ConvergenceWarning": "pagerank",
    "CVResult": "control_variates",
}

# numbers whose bad values are legitimately accepted, by name (any argument)
NUMBER_VALID = {"huge-negative": {"theta", "sx", "sy", "k", "best"}}
INTEGER_ARGS = {
    "width",
    "n",
    "max_iter",
    "n_factors",
    "n_workers",
    "n_samples",
    "n_layers",
    "n_iter",
    "k",
    "axis",
    "seed",
    "rng",
    "kernel_size",
    "stride",
    "padding",
    "n_hidden",
    "maxiter",
}


def _bad_array_cases():
    for name, case in sorted(BAD_INPUT.items()):
        for arg, good in case.arrays.items():
            for kind, bad in _bad_arrays(np.asarray(good, dtype=float)).items():
                if kind not in case.valid.get(arg, set()):
                    yield pytest.param(name, arg, bad, id=f"{name}-{arg}-{kind}")


def _bad_number_cases():
    for name, case in sorted(BAD_INPUT.items()):
        for arg in case.numbers:
            for kind, bad in BAD_NUMBERS.items():
                if kind in case.valid.get(arg, set()):
                    continue
                if kind == "huge-negative" and arg in NUMBER_VALID[kind]:
                    continue
                if arg in INTEGER_ARGS and kind == "huge-negative":
                    bad = -(10**20)
                yield pytest.param(name, arg, bad, id=f"{name}-{arg}-{kind}")
        for arg in case.callables:
            for kind, bad in BAD_CALLABLES.items():
                yield pytest.param(name, arg, bad, id=f"{name}-{arg}-{kind}")


def _call(name: str, arg: str, value) -> None:
    case = BAD_INPUT[name]
    kwargs = {**case.arrays, **case.numbers, arg: value}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        case.call(**kwargs)


def _argument_name(arg: str) -> str:
    return "M" if arg == "M_" else arg


@pytest.mark.parametrize(("name", "arg", "bad"), list(_bad_array_cases()))
def test_bad_array_is_refused_by_name(name, arg, bad):
    with pytest.raises((ValueError, TypeError)) as info:
        _call(name, arg, bad)
    assert f"`{_argument_name(arg)}`" in str(info.value), str(info.value)


@pytest.mark.parametrize(("name", "arg", "bad"), list(_bad_number_cases()))
def test_bad_number_or_callable_is_refused_by_name(name, arg, bad):
    with pytest.raises((ValueError, TypeError)) as info:
        _call(name, arg, bad)
    assert f"`{arg}`" in str(info.value), str(info.value)


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_the_valid_call_of_each_table_entry_works(name):
    case = BAD_INPUT[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        case.call(**case.arrays, **case.numbers)


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_no_input_is_mutated(name):
    case = BAD_INPUT[name]
    copies = {k: np.array(v, dtype=float) for k, v in case.arrays.items()}
    originals = {k: np.array(v, dtype=float, copy=True) for k, v in copies.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        case.call(**copies, **case.numbers)
    for k in copies:
        np.testing.assert_array_equal(copies[k], originals[k])


# ============================================================= table 2: properties
PROPERTIES: dict[str, list[str]] = defaultdict(list)


def covers(*names: str):
    """Register a property test as covering public names."""

    def mark(test):
        for name in names:
            PROPERTIES[name].append(test.__name__)
        return test

    return mark


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
positive = st.floats(0.1, 10.0)
exponent = st.integers(-250, 250)


def vectors(n: int = 4, elements=finite):
    return arrays(float, n, elements=elements).filter(lambda v: np.abs(v).max() > 1e-3)


# --------------------------------------------------------------------- linalg
@covers("cosine_similarity", "vector_angle")
@FAST
@given(vectors(), vectors(), exponent, exponent)
def test_cosine_and_angle_are_scale_invariant(x, y, e1, e2):
    cos, ang = M.cosine_similarity(x, y), M.vector_angle(x, y)
    assert -1.0 <= cos <= 1.0 and 0.0 <= ang <= 180.0
    assert M.cosine_similarity(x * 10.0**e1, y * 10.0**e2) == pytest.approx(
        cos, abs=1e-12
    )
    assert M.vector_angle(x * 10.0**e1, y * 10.0**e2) == pytest.approx(ang, abs=1e-9)
    reference = 1 - scipy.spatial.distance.cosine(x, y)
    assert cos == pytest.approx(reference, abs=1e-12)


@covers("cosine_similarity_matrix")
@FAST
@given(
    arrays(float, (4, 3), elements=st.floats(0.5, 10)),
    st.lists(exponent, min_size=4, max_size=4),
)
def test_cosine_matrix_rows_scale_invariant(X, exps):
    S = M.cosine_similarity_matrix(X)
    scaled = X * (10.0 ** np.array(exps))[:, None]
    np.testing.assert_allclose(M.cosine_similarity_matrix(scaled), S, atol=1e-12)
    np.testing.assert_allclose(np.diag(S), 1.0)
    assert np.all(np.abs(S) <= 1.0)


@covers("rotation_matrix", "scaling_matrix", "shear_matrix")
@FAST
@given(st.floats(-720, 720), positive, positive, finite)
def test_planar_maps(theta, sx, sy, k):
    R = M.rotation_matrix(theta)
    np.testing.assert_allclose(R.T @ R, np.eye(2), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    assert np.linalg.det(M.scaling_matrix(sx, sy)) == pytest.approx(sx * sy)
    assert np.linalg.det(M.shear_matrix(k)) == pytest.approx(1.0)


@covers("im2col1d", "toeplitz_matrix", "convolve1d", "cross_correlate1d")
@FAST
@given(vectors(8), vectors(3), finite)
def test_convolution_matches_numpy_and_shifts_linearly(x, kernel, c):
    np.testing.assert_allclose(
        M.convolve1d(x, kernel), np.convolve(x, kernel, "valid"), atol=1e-9
    )
    np.testing.assert_allclose(
        M.cross_correlate1d(x, kernel), np.correlate(x, kernel, "valid"), atol=1e-9
    )
    np.testing.assert_allclose(
        M.toeplitz_matrix(kernel, 8) @ x, M.convolve1d(x, kernel), atol=1e-9
    )
    np.testing.assert_array_equal(M.im2col1d(x, 3)[1], x[1:4])
    shifted = M.convolve1d(x + c, kernel) - c * kernel.sum()
    np.testing.assert_allclose(
        shifted, M.convolve1d(x, kernel), atol=1e-8 * (1 + abs(c))
    )


@covers("pagerank")
@settings(FAST, max_examples=6)
@given(
    arrays(float, (5, 5), elements=st.sampled_from([0.0, 1.0, 2.0, 0.5])),
    st.lists(st.integers(-300, 300), min_size=5, max_size=5),
    st.booleans(),
)
def test_pagerank_is_invariant_to_scaling_rows(A, exps, sparse):
    ranks, _ = M.pagerank(A)
    assert np.all(ranks >= 0) and ranks.sum() == pytest.approx(1.0)
    scaled = A * (10.0 ** np.array(exps, dtype=float))[:, None]
    scaled = sp.csr_array(scaled) if sparse else scaled
    np.testing.assert_allclose(M.pagerank(scaled)[0], ranks, atol=1e-9)
    reference = nx.pagerank(nx.DiGraph(A), alpha=0.85, tol=1e-12, weight="weight")
    np.testing.assert_allclose(ranks, [reference[i] for i in range(5)], atol=1e-8)


@covers("low_rank_approximation")
@FAST
@given(arrays(float, (4, 3), elements=finite), st.integers(1, 3), exponent)
def test_low_rank_is_eckart_young_and_scale_equivariant(A, k, e):
    B = M.low_rank_approximation(A, k)
    s = np.linalg.svd(A, compute_uv=False)
    assert np.linalg.norm(A - B) == pytest.approx(
        np.sqrt(np.sum(s[k:] ** 2)), abs=1e-8 * (1 + s[0])
    )
    np.testing.assert_allclose(
        M.low_rank_approximation(A * 10.0**e, k) / 10.0**e, B, atol=1e-8 * (1 + s[0])
    )


@covers("MatrixFactorization")
@FEW
@given(arrays(float, (3, 3), elements=st.floats(1, 5)), st.integers(0, 5))
def test_matrix_factorization_is_finite_and_reproducible(R, seed):
    R = R.copy()
    R[0, 1] = np.nan
    first = M.MatrixFactorization(2, n_epochs=5, seed=seed).fit(R).predict()
    again = M.MatrixFactorization(2, n_epochs=5, seed=seed).fit(R).predict()
    assert np.all(np.isfinite(first))
    np.testing.assert_array_equal(first, again)


@covers("projection_matrix")
@FAST
@given(
    arrays(float, (4, 2), elements=st.floats(-10, 10)).filter(
        lambda Y: np.linalg.svd(Y, compute_uv=False)[-1] > 1e-2
    ),
    st.lists(exponent, min_size=2, max_size=2),
)
def test_projection_is_idempotent_and_depends_on_the_span_only(Y, exps):
    P = M.projection_matrix(Y)
    np.testing.assert_allclose(P, P.T, atol=1e-12)
    np.testing.assert_allclose(P @ P, P, atol=1e-10)
    np.testing.assert_allclose(P @ Y, Y, atol=1e-9 * (1 + np.abs(Y).max()))
    assert np.trace(P) == pytest.approx(2.0)
    np.testing.assert_allclose(P, Y @ np.linalg.pinv(Y), atol=1e-9)
    rescaled = Y * 10.0 ** np.array(exps, dtype=float)  # same span
    np.testing.assert_allclose(M.projection_matrix(rescaled), P, atol=1e-9)


@covers("conv_output_size", "im2col2d", "cross_correlate2d", "convolve2d")
@FAST
@given(
    arrays(float, (2, 5, 6), elements=finite),
    arrays(float, (3, 2, 2, 3), elements=finite),
    st.integers(1, 3),
    st.integers(0, 2),
    finite,
)
def test_2d_convolution_matches_scipy_and_shifts_linearly(x, K, stride, padding, c):
    import scipy.signal

    y = M.cross_correlate2d(x, K)
    ref = [
        sum(scipy.signal.correlate2d(x[i], K[o, i], mode="valid") for i in range(2))
        for o in range(3)
    ]
    np.testing.assert_allclose(y, ref, atol=1e-9 * (1 + np.abs(x).max()) ** 2)
    np.testing.assert_allclose(
        M.convolve2d(x[0], K[0, 0]),
        scipy.signal.convolve2d(x[0], K[0, 0], mode="valid"),
        atol=1e-9 * (1 + np.abs(x).max()) ** 2,
    )
    # a constant added to the image adds c * (sum of each filter) to its channel
    np.testing.assert_allclose(
        M.cross_correlate2d(x + c, K) - c * K.sum(axis=(1, 2, 3))[:, None, None],
        y,
        atol=1e-8 * (1 + abs(c)) * (1 + np.abs(K).sum()) * (1 + np.abs(x).max()),
    )
    out = M.cross_correlate2d(x, K, stride, padding)
    assert out.shape == (
        3,
        M.conv_output_size(5, 2, stride, padding),
        M.conv_output_size(6, 3, stride, padding),
    )
    cols = M.im2col2d(x, (2, 3), stride, padding)
    assert cols.shape == (out.shape[1] * out.shape[2], 2 * 2 * 3)
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    np.testing.assert_array_equal(cols[0], xp[:, :2, :3].ravel())


@pytest.mark.parametrize("kernel_size", [3, (2,), (2, 2, 2), (2.0, 2), (0, 2), (9, 2)])
def test_im2col2d_refuses_a_bad_kernel_size_by_name(kernel_size):
    with pytest.raises((TypeError, ValueError), match="`kernel_size"):
        M.im2col2d(IMG, kernel_size)


@covers("als_update")
@FAST
@given(
    arrays(float, (4, 3), elements=st.floats(-5, 5)),
    arrays(float, (3, 2), elements=st.floats(-3, 3)),
    st.floats(0.01, 10),
    st.floats(-1e3, 1e3).filter(lambda s: abs(s) > 1e-3),
)
def test_als_update_is_the_ridge_solution_and_linear_in_ratings(R, Q, reg, s):
    R = R.copy()
    R[0, 1] = R[2, 0] = R[3, :] = np.nan
    P = M.als_update(R, Q, reg)
    for u in range(3):
        seen = ~np.isnan(R[u])
        Qo = Q[seen]
        ref = np.linalg.solve(Qo.T @ Qo + reg * np.eye(2), Qo.T @ R[u, seen])
        np.testing.assert_allclose(P[u], ref, atol=1e-9)
    np.testing.assert_array_equal(P[3], 0.0)  # a row without ratings
    np.testing.assert_allclose(M.als_update(R * s, Q, reg), P * s, atol=1e-9 * abs(s))


# ------------------------------------------------------------------- calculus
@covers("numerical_gradient", "numerical_jacobian")
@FAST
@given(vectors(3, st.floats(-1e8, 1e8)), arrays(float, (2, 3), elements=finite))
def test_finite_differences_of_quadratic_and_linear_maps(x, B):
    g = M.numerical_gradient(lambda v: float(v @ v), x)
    # round-off of central differences: about eps |f| / h per entry
    np.testing.assert_allclose(g, 2 * x, rtol=1e-6, atol=1e-9 * (1 + x @ x))
    J = M.numerical_jacobian(lambda v: B @ v, x)
    np.testing.assert_allclose(J, B, rtol=1e-5, atol=1e-5 * (1 + np.abs(x).max()))


@covers("relu")
@FAST
@given(arrays(float, (2, 3), elements=finite), positive)
def test_relu_is_positively_homogeneous(x, a):
    r = M.relu(x)
    assert np.all(r >= 0)
    np.testing.assert_allclose(M.relu(a * x), a * r)
    np.testing.assert_array_equal(M.relu(r), r)


@covers("softmax")
@FAST
@given(arrays(float, (2, 4), elements=st.floats(-1e300, 1e300)), st.floats(-1e3, 1e3))
def test_softmax_is_a_distribution_and_shift_invariant(x, c):
    p = M.softmax(x, axis=1)
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    small = np.clip(x, -1e3, 1e3)
    np.testing.assert_allclose(M.softmax(small + c), M.softmax(small), atol=1e-12)


@covers("causal_mask", "scaled_dot_product_attention")
@FAST
@given(
    arrays(float, (3, 2), elements=finite),
    arrays(float, (3, 2), elements=finite),
    arrays(float, (3, 1), elements=finite),
    arrays(float, 2, elements=finite),
)
def test_attention_rows_are_convex_and_keys_translation_invariant(Q, K, V, c):
    out, w = M.scaled_dot_product_attention(Q, K, V, mask=M.causal_mask(3))
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    assert np.all(np.triu(w, 1) == 0)
    assert np.all(out <= V.max() + 1e-9) and np.all(out >= V.min() - 1e-9)
    Qs = Q / 100.0
    _, w0 = M.scaled_dot_product_attention(Qs, K, V)
    _, w1 = M.scaled_dot_product_attention(Qs, K + c, V)  # scores move by Q c per row
    np.testing.assert_allclose(w1, w0, atol=1e-9)


@covers("MLP")
@FEW
@given(arrays(float, (8, 2), elements=st.floats(-3, 3)), st.integers(0, 5))
def test_mlp_probabilities_and_reproducible_refit(X, seed):
    y = np.array([0, 1] * 4)
    net = M.MLP((4,), n_epochs=3, batch_size=4, rng=seed)
    proba = net.fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(net.fit(X, y).predict_proba(X), proba)


@covers("numerical_hessian", "gradient_descent")
@FAST
@given(
    arrays(float, (3, 3), elements=st.floats(-2, 2)),
    arrays(float, 3, elements=st.floats(-10, 10)),
    arrays(float, 3, elements=st.floats(-10, 10)),
    st.floats(-1e3, 1e3),
)
def test_hessian_of_a_quadratic_and_descent_is_linear(B, b, x, s):
    A = B @ B.T + np.eye(3)
    H = M.numerical_hessian(lambda v: 0.5 * v @ A @ v + b @ v, x)
    np.testing.assert_allclose(H, A, atol=1e-5 * (1 + np.abs(x).max()) ** 2)
    np.testing.assert_array_equal(H, H.T)
    eta = 1.0 / np.linalg.eigvalsh(A).max()
    path = M.gradient_descent(lambda v: A @ v, x, eta, n_iter=5)
    step = np.eye(3) - eta * A
    np.testing.assert_allclose(path[5], np.linalg.matrix_power(step, 5) @ x, atol=1e-9)
    assert np.linalg.norm(path[-1]) <= np.linalg.norm(x) + 1e-12  # eta < 2 / l_max
    scaled = M.gradient_descent(lambda v: A @ v, s * x, eta, n_iter=5)
    np.testing.assert_allclose(scaled, s * path, atol=1e-9 * (1 + abs(s)))


@covers("attention_gradients")
@FAST
@given(
    arrays(float, (2, 3), elements=st.floats(-2, 2)),
    arrays(float, (4, 3), elements=st.floats(-2, 2)),
    arrays(float, (4, 2), elements=st.floats(-2, 2)),
    arrays(float, (2, 2), elements=st.floats(-2, 2)),
    st.floats(-100, 100),
)
def test_attention_gradients_match_finite_differences(Q, K, V, G, c):
    gQ, gK, gV = M.attention_gradients(Q, K, V, G)

    def loss(Q_=Q, K_=K, V_=V):
        return float(np.sum(G * M.scaled_dot_product_attention(Q_, K_, V_)[0]))

    for got, var, wrap in [
        (gQ, Q, lambda q: loss(Q_=q.reshape(Q.shape))),
        (gK, K, lambda k: loss(K_=k.reshape(K.shape))),
        (gV, V, lambda v: loss(V_=v.reshape(V.shape))),
    ]:
        ref = M.numerical_gradient(wrap, var.ravel()).reshape(var.shape)
        np.testing.assert_allclose(got, ref, atol=1e-6)
    # V + c adds c to every output (rows of the weights sum to 1): the adjoint of each
    # row of scores changes by a constant, which the softmax Jacobian annihilates
    moved = M.attention_gradients(Q, K, V + c, G)
    np.testing.assert_allclose(moved[0], gQ, atol=1e-9 * (1 + abs(c)))
    np.testing.assert_allclose(moved[1], gK, atol=1e-9 * (1 + abs(c)))
    np.testing.assert_allclose(moved[2], gV, atol=1e-12)


def test_new_calculus_functions_refuse_callables_returning_junk():
    for junk in ["a", 1j, None, np.array([1.0, np.nan])]:
        with pytest.raises((TypeError, ValueError), match="`f`"):
            M.numerical_hessian(lambda v, junk=junk: junk, [1.0, 2.0])
    for junk in ["ab", np.array([1j, 0.0]), np.array([1.0]), np.array([np.inf, 0.0])]:
        with pytest.raises((TypeError, ValueError), match="`grad`"):
            M.gradient_descent(lambda v, junk=junk: junk, [1.0, 2.0], 0.1, 2)


# --------------------------------------------------------------- optimization
@covers("solve_equality_qp")
@FAST
@given(arrays(float, (3, 3), elements=st.floats(-2, 2)), vectors(3), exponent)
def test_qp_solution_is_feasible_stationary_and_scale_free(B, q, e):
    P = B @ B.T + np.eye(3)
    A, b = np.array([[1.0, 1.0, 1.0]]), np.array([1.0])
    x, lam = M.solve_equality_qp(P, q, A, b)
    np.testing.assert_allclose(A @ x, b, atol=1e-9)
    np.testing.assert_allclose(P @ x + q + A.T @ lam, 0, atol=1e-7 * (1 + abs(q).max()))
    s = 10.0 ** (e / 2)
    np.testing.assert_allclose(
        M.solve_equality_qp(P * s, q * s, A, b)[0],
        x,
        rtol=1e-7,
        atol=1e-7 * (1 + abs(x).max()),
    )


@covers("SVM")
@settings(FEW, max_examples=2)
@given(arrays(float, 2, elements=finite), st.sampled_from([1.0, 1e3, 1e8]))
def test_svm_translation_and_reference(shift, C):
    svm = M.SVM(C).fit(SVM_X, SVM_Y)
    moved = M.SVM(C).fit(SVM_X + shift, SVM_Y)
    np.testing.assert_allclose(moved.w_, svm.w_, atol=1e-6)
    np.testing.assert_allclose(
        moved.decision_function(SVM_X + shift), svm.decision_function(SVM_X), atol=1e-5
    )
    from sklearn.svm import SVC

    ref = SVC(C=C, kernel="linear", tol=1e-10).fit(SVM_X, SVM_Y)
    np.testing.assert_allclose(svm.w_, ref.coef_[0], atol=1e-4)
    np.testing.assert_array_equal(svm.support_, np.sort(ref.support_))


@covers("soft_threshold")
@FAST
@given(arrays(float, 5, elements=finite), st.floats(0, 100))
def test_soft_threshold_shrinks_and_is_odd(v, kappa):
    s = M.soft_threshold(v, kappa)
    assert np.all(np.abs(s) <= np.abs(v)) and np.all(s * v >= 0)
    np.testing.assert_array_equal(M.soft_threshold(-v, kappa), -s)


@covers("admm_lasso", "consensus_admm_lasso", "lasso_path", "ADMMResult")
@FEW
@given(arrays(float, 3, elements=st.floats(-5, 5)), st.floats(0.1, 2), exponent)
def test_lasso_solvers_agree_and_scale(b, lam, e):
    A = np.eye(3)
    exact = np.sign(b) * np.maximum(np.abs(b) - lam, 0)
    res = M.admm_lasso(A, b, lam, abstol=1e-9, reltol=1e-9)
    assert res.converged and res.nnz == np.count_nonzero(res.x)
    np.testing.assert_allclose(res.x, exact, atol=1e-6)
    s = 10.0 ** (e / 5)
    scaled = M.admm_lasso(A, b * s, lam * s, abstol=1e-9 * s, reltol=1e-9).x / s
    np.testing.assert_allclose(scaled, exact, atol=1e-5)
    split = M.consensus_admm_lasso(A, b, lam, n_workers=3, abstol=1e-9, reltol=1e-9)
    np.testing.assert_allclose(split.x, exact, atol=1e-5)
    lams, coefs = M.lasso_path(A, b, [lam, 2 * lam])
    np.testing.assert_allclose(coefs[1], exact, atol=1e-4)
    assert lams[0] >= lams[1]


@covers("svm_duality_gap")
@settings(FEW, max_examples=2)
@given(arrays(float, 2, elements=finite), st.sampled_from([0.1, 1.0, 100.0]))
def test_svm_duality_gap_closes_and_ignores_translation(shift, C):
    svm = M.SVM(C).fit(SVM_X, SVM_Y)
    primal, dual, gap = M.svm_duality_gap(svm, SVM_X, SVM_Y)
    assert gap == pytest.approx(primal - dual)
    assert abs(gap) <= 1e-6 * (1 + abs(primal))  # strong duality at the optimum
    moved = M.SVM(C).fit(SVM_X + shift, SVM_Y)
    p2, d2, _ = M.svm_duality_gap(moved, SVM_X + shift, SVM_Y)
    assert p2 == pytest.approx(primal, rel=1e-5, abs=1e-6)
    assert d2 == pytest.approx(dual, rel=1e-5, abs=1e-6)
    early = M.SVM(C, max_iter=1).fit(SVM_X, SVM_Y) if C > 1 else svm
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert M.svm_duality_gap(early, SVM_X, SVM_Y)[2] >= -1e-9  # weak duality


@pytest.mark.parametrize("model", [None, "SVM", M.SVM(1.0)])
def test_svm_duality_gap_refuses_a_non_svm_or_unfitted_model(model):
    with pytest.raises((TypeError, ValueError), match="`model`"):
        M.svm_duality_gap(model, SVM_X, SVM_Y)


# ---------------------------------------------------------------- probability
probability = arrays(float, 4, elements=st.floats(0, 1)).filter(lambda p: p.sum() > 0.1)


@covers("entropy", "cross_entropy", "kl_divergence")
@FAST
@given(probability, probability.map(lambda q: q + 0.01), st.booleans())
def test_information_measures_ranges_and_scipy(p, q, single):
    p, q = p / p.sum(), q / q.sum()
    if single:
        p, q = p.astype(np.float32), q.astype(np.float32)
    H, D, X = M.entropy(p), M.kl_divergence(p, q), M.cross_entropy(p, q)
    assert 0.0 <= H <= 2.0 and D >= 0.0 and X >= H
    p64, q64 = np.asarray(p, float) / p.sum(), np.asarray(q, float) / q.sum()
    assert H == pytest.approx(scipy.stats.entropy(p64, base=2), abs=1e-9)
    assert D == pytest.approx(scipy.stats.entropy(p64, q64, base=2), abs=1e-9)
    assert X == pytest.approx(H + D, abs=1e-9)
    assert M.entropy(p[::-1]) == pytest.approx(H, abs=1e-12)


@covers("gaussian_kl", "reparameterize")
@FAST
@given(vectors(3), arrays(float, 3, elements=st.floats(-5, 5)), finite)
def test_gaussian_kl_and_reparameterisation_shift(mu, log_var, c):
    assert M.gaussian_kl(mu, log_var) >= 0.0
    assert M.gaussian_kl(np.zeros(3), np.zeros(3)) == 0.0
    z = M.reparameterize(mu, log_var, n_samples=4, rng=1)
    np.testing.assert_allclose(
        M.reparameterize(mu + c, log_var, 4, rng=1), z + c, atol=1e-9 * (1 + abs(c))
    )


@covers("squared_distances")
@FAST
@given(
    arrays(float, (5, 3), elements=finite), arrays(float, 3, elements=finite), exponent
)
def test_squared_distances_translation_and_scale(X, c, e):
    D = M.squared_distances(X)
    np.testing.assert_allclose(D, squareform(pdist(X, "sqeuclidean")), atol=1e-7)
    np.testing.assert_allclose(M.squared_distances(X + c), D, atol=1e-7)
    s = 10.0 ** (e / 2)
    np.testing.assert_allclose(
        M.squared_distances(X * s) / s**2, D, atol=1e-7, rtol=1e-9
    )


@covers("calibrate_perplexity", "joint_probabilities")
@FEW
@given(st.integers(0, 100), st.floats(2, 6), st.integers(-30, 30))
def test_affinities_reach_the_perplexity_and_ignore_scale(seed, perplexity, e):
    X = np.random.default_rng(seed).normal(size=(15, 3))
    D = M.squared_distances(X)
    P, beta = M.calibrate_perplexity(D, perplexity)
    H = -np.sum(P * np.log(np.where(P > 0, P, 1)), axis=1)
    np.testing.assert_allclose(np.exp(H), perplexity, rtol=1e-4)
    P2, _ = M.calibrate_perplexity(D * 10.0**e, perplexity)
    np.testing.assert_allclose(P2, P, atol=1e-4)
    J = M.joint_probabilities(X, perplexity)
    assert J.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(M.joint_probabilities(X + 1e3, perplexity), J, atol=1e-6)


@covers("tsne_gradient")
@FAST
@given(
    arrays(float, (20, 2), elements=st.floats(-5, 5)), arrays(float, 2, elements=finite)
)
def test_tsne_cost_translation_invariant_gradient_sums_to_zero(Y, c):
    kl, grad = M.tsne_gradient(Y, P20)
    assert kl >= -1e-12
    np.testing.assert_allclose(grad.sum(axis=0), 0, atol=1e-9)
    assert M.tsne_gradient(Y + c, P20)[0] == pytest.approx(kl, rel=1e-6, abs=1e-9)


@covers("tsne")
@FEW
@given(st.integers(0, 50), arrays(float, 3, elements=st.floats(-100, 100)))
def test_tsne_is_finite_and_translation_invariant(seed, c):
    X = np.random.default_rng(seed).normal(size=(12, 3))
    Y = M.tsne(X, perplexity=3, n_iter=40)
    assert np.all(np.isfinite(Y))
    np.testing.assert_allclose(M.tsne(X + c, perplexity=3, n_iter=40), Y, atol=1e-6)


@covers("linear_gaussian_elbo")
@FAST
@given(
    arrays(float, (3, 2), elements=st.floats(-3, 3)),
    arrays(float, 3, elements=st.floats(-5, 5)),
    arrays(float, 2, elements=st.floats(-3, 3)),
    st.floats(0.05, 5),
    arrays(float, 3, elements=finite),
)
def test_elbo_identity_evidence_reference_and_shift(W, x, m, s2, c):
    S = np.array([[0.5, 0.1], [0.1, 0.3]])
    elbo, log_px, kl = M.linear_gaussian_elbo(x, W, np.zeros(3), s2, m, S)
    assert kl >= 0.0 and elbo <= log_px + 1e-9
    assert log_px == pytest.approx(elbo + kl, abs=1e-8 * (1 + abs(elbo)))
    C = W @ W.T + s2 * np.eye(3)
    ref = scipy.stats.multivariate_normal(np.zeros(3), C).logpdf(x)
    assert log_px == pytest.approx(ref, abs=1e-9 * (1 + abs(ref)))
    moved = M.linear_gaussian_elbo(x + c, W, c, s2, m, S)  # only x - b matters
    np.testing.assert_allclose(
        moved, (elbo, log_px, kl), atol=1e-7 * (1 + abs(c).max())
    )


# ----------------------------------------------------------------- montecarlo
@covers("mc_integrate", "MCResult")
@FAST
@given(st.floats(-1e3, 1e3), st.floats(0.1, 1e3), st.floats(-10, 10))
def test_mc_integral_of_a_constant_is_exact(a, width, c):
    res = M.mc_integrate(lambda x: np.full(len(x), c), a, a + width, n=50, rng=0)
    assert res.estimate == pytest.approx(c * width, rel=1e-9, abs=1e-9)
    assert res.stderr == pytest.approx(0.0, abs=1e-9 * (1 + abs(c) * width))


@covers("importance_sampling", "ISResult", "effective_sample_size")
@FAST
@given(st.floats(-5, 5), arrays(float, 6, elements=st.floats(-50, 50)), finite)
def test_importance_sampling_with_q_equal_p_and_ess_shift(mu, log_w, c):
    logpdf = scipy.stats.norm(mu, 1).logpdf
    res = M.importance_sampling(
        np.square, logpdf, lambda n, rng: rng.normal(mu, 1, n), logpdf, n=200, rng=0
    )
    assert res.ess == pytest.approx(200.0)
    ess = M.effective_sample_size(log_w)
    assert 1.0 - 1e-9 <= ess <= 6.0 + 1e-9
    assert M.effective_sample_size(log_w + c) == pytest.approx(ess, rel=1e-9)


@covers("AffineFlow")
@FAST
@given(st.floats(0.1, 10), finite, arrays(float, 5, elements=finite))
def test_affine_flow_roundtrip_and_density(a, b, z):
    flow = M.AffineFlow(a, b)
    np.testing.assert_allclose(
        flow.inverse(flow.forward(z)), z, atol=1e-9 * (1 + abs(b))
    )
    x = flow.forward(z)
    np.testing.assert_allclose(
        flow.log_prob(x), scipy.stats.norm(b, a).logpdf(x), rtol=1e-9, atol=1e-9
    )


@covers("TanhFlow")
@settings(FEW, max_examples=2)
@given(st.floats(-100, 100))
def test_tanh_flow_is_shift_equivariant(c):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        flow = M.TanhFlow(1).fit(FLOW_X, maxiter=15)
        moved = M.TanhFlow(1).fit(FLOW_X + c, maxiter=15)
    assert moved.nll_ == pytest.approx(flow.nll_, rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(flow.forward(flow.inverse(FLOW_X)), FLOW_X, atol=1e-8)


@covers("control_variates", "CVResult")
@FAST
@given(
    arrays(float, (20, 2), elements=st.floats(-5, 5)).filter(
        lambda G: np.linalg.svd(G - G.mean(0), compute_uv=False)[-1] > 1e-1
    ),
    arrays(float, 2, elements=st.floats(-10, 10)),
    st.floats(-1e3, 1e3),
    arrays(float, 20, elements=st.floats(-1, 1)),
)
def test_control_variates_exact_for_affine_f_and_shift_equivariant(G, beta, a, noise):
    gamma = np.array([0.3, -0.2])
    res = M.control_variates(a + G @ beta, G, gamma)
    assert res.estimate == pytest.approx(a + gamma @ beta, abs=1e-8 * (1 + abs(a)))
    assert res.stderr == pytest.approx(0.0, abs=1e-8 * (1 + abs(a)))
    np.testing.assert_allclose(res.coef, beta, atol=1e-8)
    y = np.sin(G[:, 0]) + noise
    base = M.control_variates(y, G, gamma)
    moved = M.control_variates(y + a, G, gamma)
    assert moved.estimate == pytest.approx(base.estimate + a, abs=1e-8 * (1 + abs(a)))
    assert moved.stderr == pytest.approx(base.stderr, rel=1e-6, abs=1e-9)
    assert np.isfinite(base.stderr) and base.stderr >= 0


@covers("AffineCouplingFlow")
@settings(FEW, max_examples=2)
@given(arrays(float, 2, elements=st.floats(-100, 100)))
def test_coupling_flow_inverts_and_fit_is_shift_equivariant(c):
    x = np.column_stack([FLOW_X[:40], FLOW_X[:40] ** 2 / 4 + RNG.normal(0, 0.1, 40)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        flow = M.AffineCouplingFlow(2, 4, rng=0).fit(x, maxiter=20)
        moved = M.AffineCouplingFlow(2, 4, rng=0).fit(x + c, maxiter=20)
    assert np.isfinite(flow.nll_)
    assert moved.nll_ == pytest.approx(flow.nll_, rel=1e-6, abs=1e-8)
    np.testing.assert_allclose(flow.forward(flow.inverse(x)), x, atol=1e-8)
    np.testing.assert_allclose(
        moved.log_prob(x + c), flow.log_prob(x), rtol=1e-6, atol=1e-7
    )
    with pytest.warns(ConvergenceWarning):
        M.AffineCouplingFlow(2, 4, rng=0).fit(x, maxiter=1)


# ------------------------------------------------------------------- networks
graphs = (
    arrays(bool, (6, 6))
    .map(lambda B: np.triu(B, 1))
    .map(lambda U: (U | U.T).astype(float))
)


@covers("common_neighbors", "adamic_adar", "jaccard")
@FAST
@given(graphs, st.booleans())
def test_neighbourhood_scores_match_networkx(A, sparse):
    G = nx.from_numpy_array(A)
    pairs = [(0, 5), (1, 4), (2, 3)]
    inp = sp.csr_array(A) if sparse else A
    S = M.common_neighbors(inp)
    for u, v in pairs:
        assert S[u, v] == len(list(nx.common_neighbors(G, u, v)))
    J = M.jaccard(inp)
    ref = {(u, v): p for u, v, p in nx.jaccard_coefficient(G, pairs)}
    for u, v in pairs:
        assert J[u, v] == pytest.approx(ref[(u, v)])
    AA = M.adamic_adar(A)
    for u, v in pairs:
        assert AA[u, v] >= 0 and np.isfinite(AA[u, v])


@covers("rank_pairs", "RankedPairs")
@FAST
@given(graphs, st.floats(0.01, 100))
def test_rank_pairs_is_invariant_to_positive_scaling(A, s):
    scores = np.arange(36, dtype=float).reshape(6, 6) % 7
    scores = scores + scores.T
    ranked = M.rank_pairs(scores, A)
    assert np.all(np.diff(ranked.scores) <= 0) and np.all(np.diff(ranked.ranks) >= 0)
    again = M.rank_pairs(scores * s, A)
    np.testing.assert_array_equal(again.pairs, ranked.pairs)
    np.testing.assert_array_equal(again.ranks, ranked.ranks)
    assert len(ranked.top(1)) >= min(1, len(ranked.pairs))


@covers("holdout_split")
@FAST
@given(graphs.filter(lambda A: A.sum() >= 2), st.floats(0.1, 0.9), st.integers(0, 9))
def test_holdout_split_hides_edges_only(A, fraction, seed):
    A_train, pairs, labels = M.holdout_split(A, fraction, rng=seed)
    assert np.all(A_train <= A) and np.array_equal(A_train, A_train.T)
    assert labels.sum() == (A.sum() - A_train.sum()) / 2
    assert np.all(A[pairs[labels == 1, 0], pairs[labels == 1, 1]] == 1)


@covers("roc_auc", "precision_at_k")
@FAST
@given(
    arrays(float, 8, elements=st.integers(-10, 10).map(float)),
    st.floats(0.01, 100),
    st.floats(-100, 100),
    st.integers(1, 8),
)
def test_ranking_metrics_monotone_invariant_and_sklearn(scores, a, c, k):
    y = np.array([0, 1, 0, 1, 1, 0, 0, 1])
    from sklearn.metrics import roc_auc_score

    auc = M.roc_auc(y, scores)
    assert auc == pytest.approx(roc_auc_score(y, scores))
    assert M.roc_auc(y, a * scores + c) == pytest.approx(auc)
    p = M.precision_at_k(y, scores, k)
    assert 0.0 <= p <= 1.0
    assert M.precision_at_k(y, a * scores + c, k) == pytest.approx(p, abs=1e-12)


@covers("random_walk_with_restart")
@FAST
@given(st.lists(st.integers(-300, 300), min_size=4, max_size=4), st.floats(0.05, 1))
def test_rwr_columns_sum_to_one_and_rows_scale_free(exps, restart):
    p = M.random_walk_with_restart(PATH4, [0, 2], restart)
    np.testing.assert_allclose(p.sum(axis=0), 1.0)
    scaled = PATH4 * (10.0 ** np.array(exps, dtype=float))[:, None]
    np.testing.assert_allclose(
        M.random_walk_with_restart(scaled, [0, 2], restart), p, atol=1e-9
    )


@covers("SupervisedRandomWalk")
@settings(FEW, max_examples=2)
@given(st.floats(-800, 800))
def test_supervised_walk_loss_finite_and_scores_are_distributions(w):
    psi = np.zeros((6, 6, 1))
    psi[0, 1, 0] = psi[1, 0, 0] = 1.0
    srw = M.SupervisedRandomWalk(restart=0.3)
    loss, grad = srw.loss([w], RING6, psi, [(0, 2)])
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    srw.fit(RING6, psi, [(0, 2)])
    np.testing.assert_allclose(srw.score(RING6, psi).sum(axis=0), 1.0)


# ------------------------------------------------------------------- bayesopt
@covers("rbf_kernel", "gp_posterior", "gp_log_marginal_likelihood")
@FAST
@given(
    arrays(float, (4, 2), elements=st.floats(-5, 5), unique=True),
    arrays(float, 2, elements=st.floats(-1e3, 1e3)),
    st.floats(0.3, 3),
)
def test_gp_is_translation_invariant(X, c, ls):
    y = np.sin(X).sum(axis=1)
    K = M.rbf_kernel(X, X, ls)
    np.testing.assert_allclose(M.rbf_kernel(X + c, X + c, ls), K, atol=1e-12)
    assert np.all((K > 0) & (K <= 1.0))
    Xs = X[:2] + 0.25
    mean, std = M.gp_posterior(X, y, Xs, ls, noise=0.1)
    mean2, std2 = M.gp_posterior(X + c, y, Xs + c, ls, noise=0.1)
    np.testing.assert_allclose(mean2, mean, atol=1e-6)
    np.testing.assert_allclose(std2, std, atol=1e-6)
    assert np.all(std >= 0)
    lml = M.gp_log_marginal_likelihood(X, y, ls, noise=0.1)
    assert M.gp_log_marginal_likelihood(X + c, y, ls, noise=0.1) == pytest.approx(
        lml, abs=1e-6
    )


@covers("fit_gp_hyperparameters", "GPHyperparameters")
@settings(FEW, max_examples=2)
@given(st.floats(-1e3, 1e3))
def test_gp_fit_is_translation_invariant(c):
    X = np.linspace(0, 6, 7)
    y = np.sin(X)
    hp = M.fit_gp_hyperparameters(X, y)
    moved = M.fit_gp_hyperparameters(X + c, y)
    assert np.isfinite(hp.log_marginal_likelihood) and hp.n_iter >= 0
    assert moved.log_marginal_likelihood == pytest.approx(
        hp.log_marginal_likelihood, rel=1e-4
    )


@covers("expected_improvement", "probability_of_improvement", "upper_confidence_bound")
@FAST
@given(
    arrays(float, 5, elements=finite),
    arrays(float, 5, elements=st.floats(0, 100)),
    finite,
    finite,
)
def test_acquisitions_ranges_and_shift(mu, sigma, best, c):
    ei = M.expected_improvement(mu, sigma, best)
    pi = M.probability_of_improvement(mu, sigma, best)
    assert np.all(ei >= 0) and np.all((pi >= 0) & (pi <= 1))
    np.testing.assert_allclose(
        M.expected_improvement(mu + c, sigma, best + c), ei, atol=1e-9 * (1 + abs(c))
    )
    np.testing.assert_allclose(
        M.upper_confidence_bound(mu + c, sigma), M.upper_confidence_bound(mu, sigma) + c
    )


@covers("bayes_opt", "BayesOptResult")
@settings(FEW, max_examples=2)
@given(st.floats(-1e3, 1e3))
def test_bayes_opt_with_normalized_y_ignores_a_shift_of_the_objective(c):
    f = lambda x: -((x - 2) ** 2) * np.sin(3 * x)  # noqa: E731
    kw = dict(n_iter=3, x_init=[0.5, 2.0, 4.5], length_scale=0.5, normalize_y=True)
    res = M.bayes_opt(f, (0, 5), **kw)
    moved = M.bayes_opt(lambda x: f(x) + c, (0, 5), **kw)
    np.testing.assert_allclose(moved.x, res.x, atol=1e-6)
    assert res.best_y == res.y.max() and np.all((res.x >= 0) & (res.x <= 5))


@covers("ConvergenceWarning")
def test_convergence_warning_is_a_user_warning_raised_at_caps():
    assert issubclass(ConvergenceWarning, UserWarning)
    with pytest.warns(ConvergenceWarning):
        M.pagerank([[0, 1, 0], [0, 0, 1], [1, 1, 0]], max_iter=1)


@covers("matern52_kernel")
@FAST
@given(
    arrays(float, (4, 2), elements=st.floats(-5, 5)),
    arrays(float, 2, elements=st.floats(-1e3, 1e3)),
    st.floats(0.1, 10),
    st.floats(0.1, 10),
)
def test_matern52_matches_sklearn_and_is_translation_invariant(X, c, ls, var):
    from sklearn.gaussian_process.kernels import Matern

    K = M.matern52_kernel(X, X[:3], ls, var)
    ref = var * Matern(length_scale=ls, nu=2.5)(X, X[:3])
    np.testing.assert_allclose(K, ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        M.matern52_kernel(X + c, X[:3] + c, ls, var), K, atol=1e-9 * var
    )
    assert np.all((K > 0) & (K <= var * (1 + 1e-12)))


@covers("gp_predict")
@FAST
@given(
    arrays(float, (4, 2), elements=st.floats(-5, 5), unique=True),
    arrays(float, 2, elements=st.floats(-1e3, 1e3)),
    st.floats(0.3, 3),
)
def test_gp_predict_agrees_with_gp_posterior_and_ignores_translation(X, c, ls):
    y = np.sin(X).sum(axis=1)
    Xs = X[:2] + 0.25
    hp = M.GPHyperparameters(ls, 1.0, 0.1, float("nan"))
    mean, std = M.gp_predict(X, y, Xs, hp, kernel="rbf")
    ref_mean, ref_std = M.gp_posterior(X, y, Xs, ls, noise=0.1)
    np.testing.assert_allclose(mean, ref_mean, atol=1e-9)
    np.testing.assert_allclose(std, ref_std, atol=1e-9)
    m52, s52 = M.gp_predict(X, y, Xs, hp)
    moved = M.gp_predict(X + c, y, Xs + c, hp)
    np.testing.assert_allclose(moved[0], m52, atol=1e-6)
    np.testing.assert_allclose(moved[1], s52, atol=1e-6)
    assert np.all((s52 >= 0) & (s52 <= 1.0 + 1e-12))


@covers("fit_gp_multistart")
@settings(FEW, max_examples=2)
@given(st.floats(-1e3, 1e3), st.sampled_from(["rbf", "matern52"]))
def test_gp_multistart_is_invariant_to_translation_and_sign(c, kernel):
    X = np.linspace(0, 6, 8)
    y = np.sin(X)
    starts = [[1.0, 0.5, 0.05], [3.0, 0.5, 0.3]]
    hp = M.fit_gp_multistart(X, y, kernel, starts=starts)
    moved = M.fit_gp_multistart(X + c, -y, kernel, starts=starts)  # same distances
    assert np.isfinite(hp.log_marginal_likelihood)
    assert moved.log_marginal_likelihood == pytest.approx(
        hp.log_marginal_likelihood, rel=1e-6, abs=1e-6
    )
    lml = M.gp_log_marginal_likelihood(X, y, hp.length_scale, hp.variance, hp.noise)
    if kernel == "rbf":
        assert lml == pytest.approx(hp.log_marginal_likelihood, rel=1e-9)
    with pytest.warns(ConvergenceWarning):
        M.fit_gp_multistart(X, y, kernel, starts=starts, max_iter=1)


@covers("bayes_opt_refit")
@settings(FEW, max_examples=1)
@given(st.floats(-1e3, 1e3))
def test_bayes_opt_refit_ignores_a_shift_of_the_objective(c):
    f = lambda x: -((x - 2) ** 2) * np.sin(3 * x)  # noqa: E731
    kw = dict(n_iter=1, x_init=[0.5, 2.0, 4.5], n_candidates=200)
    res, fits = M.bayes_opt_refit(f, (0, 5), **kw)
    moved, _ = M.bayes_opt_refit(lambda x: f(x) + c, (0, 5), **kw)
    np.testing.assert_allclose(moved.x, res.x, atol=1e-6)
    assert len(fits) == 1 and res.best_y == res.y.max()
    assert np.all((res.x >= 0) & (res.x <= 5))
    for junk in ["a", np.nan, np.array([1.0, 2.0])]:
        with pytest.raises((TypeError, ValueError), match="`objective`"):
            M.bayes_opt_refit(lambda x, junk=junk: junk, (0, 5), 0, x_init=[1.0, 2.0])


# ====================================================================== coverage
def test_every_public_name_is_covered():
    """A new public name must get a bad-input entry and at least one property."""
    public = set(M.__all__)
    in_table = set(BAD_INPUT) | set(PRODUCED_BY)
    missing_table = sorted(public - in_table)
    missing_property = sorted(public - set(PROPERTIES))
    assert not missing_table, (
        f"no bad-input entry in test_robustness.py: {missing_table}"
    )
    assert not missing_property, (
        f"no property in test_robustness.py: {missing_property}"
    )
    assert set(PRODUCED_BY.values()) <= set(BAD_INPUT)
