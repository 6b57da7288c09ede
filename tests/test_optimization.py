"""Tests for mlmath.optimization: equality QP, SVM dual, soft-thresholding, ADMM."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_moons
from sklearn.linear_model import Lasso
from sklearn.svm import SVC

from mlmath import (
    SVM,
    admm_lasso,
    consensus_admm_lasso,
    lasso_path,
    soft_threshold,
    solve_equality_qp,
)


def lasso_problem(n=50, d=20, seed=42):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d))
    x_true = np.zeros(d)
    x_true[: min(d, 5)] = [3, -2, 1.5, -1, 0.5][: min(d, 5)]
    return A, A @ x_true + 0.1 * rng.standard_normal(n)


def sklearn_lasso(A, b, lam):
    model = Lasso(
        alpha=lam / A.shape[0], fit_intercept=False, tol=1e-12, max_iter=100_000
    )
    return model.fit(A, b).coef_


# -- equality-constrained QP ------------------------------------------------------
def test_qp_worked_example():
    x, lam = solve_equality_qp(2 * np.eye(2), [0, 0], [[1, 1]], [1])
    np.testing.assert_allclose(x, [0.5, 0.5])
    np.testing.assert_allclose(lam, [-1.0])
    assert x @ x == pytest.approx(0.5)


@pytest.mark.parametrize("seed", range(5))
def test_qp_matches_slsqp_and_satisfies_kkt(seed):
    rng = np.random.default_rng(seed)
    n, m = 5, 2
    M = rng.standard_normal((n, n))
    P, q = M @ M.T + np.eye(n), rng.standard_normal(n)
    A, b = rng.standard_normal((m, n)), rng.standard_normal(m)
    x, lam = solve_equality_qp(P, q, A, b)
    np.testing.assert_allclose(P @ x + q + A.T @ lam, 0, atol=1e-10)
    np.testing.assert_allclose(A @ x, b, atol=1e-10)
    ref = scipy.optimize.minimize(
        lambda z: 0.5 * z @ P @ z + q @ z,
        np.zeros(n),
        jac=lambda z: P @ z + q,
        constraints=[{"type": "eq", "fun": lambda z: A @ z - b, "jac": lambda z: A}],
        method="SLSQP",
        options={"ftol": 1e-12},
    )
    np.testing.assert_allclose(x, ref.x, atol=1e-6)


def test_qp_errors():
    P, q, A, b = np.eye(2), np.zeros(2), np.ones((1, 2)), np.ones(1)
    with pytest.raises(ValueError, match=r"`P` must have shape \(2, 2\)"):
        solve_equality_qp(np.eye(3), q, A, b)
    with pytest.raises(ValueError, match="`P` must be symmetric"):
        solve_equality_qp([[1.0, 2.0], [0.0, 1.0]], q, A, b)
    with pytest.raises(ValueError, match=r"`A` must have shape \(m, 2\)"):
        solve_equality_qp(P, q, np.ones((1, 3)), b)
    with pytest.raises(ValueError, match=r"`A` must have shape \(m, 2\)"):
        solve_equality_qp(P, q, A, np.ones(2))
    with pytest.raises(ValueError, match="KKT matrix is singular"):
        solve_equality_qp(P, q, [[1.0, 1.0], [2.0, 2.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="`q` must be a 1-D array"):
        solve_equality_qp(P, np.zeros((2, 1)), A, b)


# -- SVM --------------------------------------------------------------------------
TOY_X = np.array([[1.0, 2.0], [2.0, 3.0], [0.0, 0.0], [1.0, 0.0]])
TOY_Y = np.array([1, 1, -1, -1])


def test_svm_toy_exact_solution():
    svm = SVM(C=1.0).fit(TOY_X, TOY_Y)
    np.testing.assert_allclose(svm.alpha_, [0.5, 0, 0, 0.5], atol=1e-12)
    np.testing.assert_allclose(svm.w_, [0.0, 1.0], atol=1e-12)
    assert svm.b_ == pytest.approx(-1.0, abs=1e-12)
    assert 2 / np.linalg.norm(svm.w_) == pytest.approx(2.0)
    np.testing.assert_array_equal(svm.support_, [0, 3])
    assert svm.decision_function(TOY_X)[2] == pytest.approx(-1.0)  # on the margin
    np.testing.assert_array_equal(svm.predict(TOY_X), TOY_Y)


def _dual_objective(alpha, y, K):
    return alpha.sum() - 0.5 * (alpha * y) @ K @ (alpha * y)


@pytest.mark.parametrize(
    ("kernel", "C", "gamma"),
    [("linear", 1.0, 1.0), ("rbf", 1.0, 1.0), ("rbf", 5.0, 2.0)],
)
def test_svm_matches_sklearn_svc(kernel, C, gamma):
    X, y = make_moons(120, noise=0.2, random_state=0)
    y = 2 * y - 1
    ours = SVM(C=C, kernel=kernel, gamma=gamma).fit(X, y)
    ref = SVC(C=C, kernel=kernel, gamma=gamma, tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(ours.support_, np.sort(ref.support_))
    alpha_ref = np.zeros(len(y))
    alpha_ref[ref.support_] = np.abs(ref.dual_coef_[0])
    np.testing.assert_allclose(ours.alpha_, alpha_ref, atol=1e-5)
    np.testing.assert_allclose(
        ours.decision_function(X), ref.decision_function(X), atol=1e-5
    )
    assert ours.b_ == pytest.approx(ref.intercept_[0], abs=1e-5)
    K = ours._kernel(X, X)
    # ours is at least as good a dual solution as LIBSVM's
    assert _dual_objective(ours.alpha_, y, K) >= _dual_objective(alpha_ref, y, K) - 1e-9


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), C=st.floats(0.05, 20.0))
def test_svm_kkt_conditions_and_strong_duality(seed, C):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((20, 2))
    y = np.where(X[:, 0] + 0.5 * rng.standard_normal(20) > 0, 1, -1)
    y[:2] = [1, -1]
    svm = SVM(C=C).fit(X, y)
    a = svm.alpha_
    assert np.all(a >= 0) and np.all(a <= C)
    assert abs(a @ y) < 1e-10
    margin = y * svm.decision_function(X)
    free = (a > 1e-6 * C) & (a < C * (1 - 1e-6))
    assert np.all(margin[a < 1e-9] >= 1 - 1e-6)
    assert np.all(margin[a > C * (1 - 1e-9)] <= 1 + 1e-6)
    np.testing.assert_allclose(margin[free], 1.0, atol=1e-6)
    primal = 0.5 * svm.w_ @ svm.w_ + C * np.maximum(0, 1 - margin).sum()
    assert primal == pytest.approx(_dual_objective(a, y, X @ X.T), abs=1e-6)


def test_svm_bias_uses_margin_vectors_only():
    # overlapping classes: some alpha at C; b still puts free SVs exactly on the margin
    X, y = make_moons(80, noise=0.4, random_state=1)
    y = 2 * y - 1
    svm = SVM(C=0.5, kernel="rbf").fit(X, y)
    at_c = svm.alpha_ >= 0.5 * (1 - 1e-9)
    free = (svm.alpha_ > 1e-8) & ~at_c
    assert at_c.any() and free.any()
    np.testing.assert_allclose(y[free] * svm.decision_function(X[free]), 1.0, atol=1e-6)


def test_svm_errors():
    with pytest.raises(ValueError, match="`y` must hold labels -1 and \\+1 only"):
        SVM().fit(TOY_X, [1, 1, 0, 0])
    with pytest.raises(ValueError, match="must contain both classes"):
        SVM().fit(TOY_X, [1, 1, 1, 1])
    with pytest.raises(ValueError, match="one label per row"):
        SVM().fit(TOY_X, [1, -1])
    with pytest.raises(ValueError, match="`C` must be in"):
        SVM(C=0.0)
    with pytest.raises(ValueError, match="`gamma` must be in"):
        SVM(kernel="rbf", gamma=-1.0)
    with pytest.raises(ValueError, match="`kernel` must be 'linear' or 'rbf'"):
        SVM(kernel="poly")
    with pytest.raises(ValueError, match="`tol` must be in"):
        SVM(tol=0.0)
    with pytest.raises(ValueError, match="`max_iter` must be in"):
        SVM(max_iter=0)
    with pytest.raises(ValueError, match="not fitted yet"):
        SVM().predict(TOY_X)
    with pytest.raises(ValueError, match="`X` must have 2 columns"):
        SVM().fit(TOY_X, TOY_Y).decision_function(np.ones((1, 3)))


# -- soft-thresholding ------------------------------------------------------------
@settings(max_examples=50, deadline=None)
@given(v=st.floats(-100, 100), kappa=st.floats(0, 50))
def test_soft_threshold_is_the_prox_of_abs(v, kappa):
    x = soft_threshold(np.array([v]), kappa)[0]
    obj = lambda t: kappa * abs(t) + 0.5 * (t - v) ** 2  # noqa: E731
    ref = scipy.optimize.minimize_scalar(
        obj, bounds=(-101, 101), method="bounded", options={"xatol": 1e-10}
    )
    assert obj(x) <= ref.fun + 1e-9
    for t in (x - 1e-3, x + 1e-3, 0.0, v):
        assert obj(x) <= obj(t) + 1e-12
    assert x == 0.0 or np.sign(x) == np.sign(v)


def test_soft_threshold_values_and_errors():
    np.testing.assert_array_equal(
        soft_threshold([-3.0, -0.5, 0.5, 3.0], 1.0), [-2.0, 0.0, 0.0, 2.0]
    )
    assert not np.signbit(soft_threshold([-0.5], 1.0)[0])  # no -0.0
    with pytest.raises(ValueError, match="`kappa` must be in"):
        soft_threshold([1.0], -0.1)


# -- ADMM -------------------------------------------------------------------------
def test_admm_matches_sklearn_lasso_on_chapter_problem():
    A, b = lasso_problem()
    ref = sklearn_lasso(A, b, 0.5)
    for kwargs in ({}, {"adaptive_rho": False}, {"over_relaxation": 1.6}):
        res = admm_lasso(A, b, 0.5, rho=1.0, **kwargs)
        assert res.converged
        np.testing.assert_allclose(res.x, ref, atol=1e-4)
        assert res.nnz == np.count_nonzero(ref)
    fixed = admm_lasso(A, b, 0.5, rho=1.0, adaptive_rho=False)
    assert fixed.rho == 1.0 and fixed.n_iter > res.n_iter


def test_admm_solution_satisfies_lasso_optimality():
    A, b = lasso_problem(seed=3)
    lam = 2.0
    res = admm_lasso(A, b, lam, abstol=1e-10, reltol=1e-10)
    g = A.T @ (b - A @ res.x)  # lam * subgradient of |x|
    on = res.x != 0
    np.testing.assert_allclose(g[on], lam * np.sign(res.x[on]), atol=1e-6)
    assert np.all(np.abs(g[~on]) <= lam + 1e-6)


def test_admm_reports_iteration_cap_and_histories():
    A, b = lasso_problem()
    res = admm_lasso(A, b, 0.5, adaptive_rho=False, max_iter=5)
    assert not res.converged and res.n_iter == 5
    for h in (res.r_norm, res.s_norm, res.eps_pri, res.eps_dual):
        assert h.shape == (5,)
    done = admm_lasso(A, b, 0.5)
    assert done.r_norm[-1] < done.eps_pri[-1] and done.s_norm[-1] < done.eps_dual[-1]
    assert not (
        done.r_norm[-2] < done.eps_pri[-2] and done.s_norm[-2] < done.eps_dual[-2]
    )


def test_admm_wide_matrix_uses_inversion_lemma_correctly():
    A, b = lasso_problem(n=15, d=40, seed=5)
    ref = sklearn_lasso(A, b, 0.3)
    for adaptive in (True, False):
        res = admm_lasso(A, b, 0.3, rho=2.0, adaptive_rho=adaptive, max_iter=20000)
        np.testing.assert_allclose(res.x, ref, atol=1e-4)


@settings(max_examples=25, deadline=None)
# strictly above lambda_max (at lambda_max itself the zero solution sits on the
# boundary, and a run stopped at tolerance may keep a 1e-5 coefficient)
@given(seed=st.integers(0, 2**32 - 1), factor=st.floats(1.01, 10.0))
def test_admm_zero_solution_above_lambda_max(seed, factor):
    A, b = lasso_problem(n=12, d=4, seed=seed)
    lam = factor * np.max(np.abs(A.T @ b))
    res = admm_lasso(A, b, lam)
    assert res.converged and res.nnz == 0


def test_admm_warm_start_and_errors():
    A, b = lasso_problem()
    cold = admm_lasso(A, b, 0.5)
    warm = admm_lasso(A, b, 0.5, z0=cold.x)
    assert warm.n_iter < cold.n_iter
    with pytest.raises(ValueError, match="`lam` must be in"):
        admm_lasso(A, b, -1.0)
    with pytest.raises(ValueError, match="`rho` must be in"):
        admm_lasso(A, b, 1.0, rho=0.0)
    with pytest.raises(ValueError, match="`b` must have one entry per row"):
        admm_lasso(A, b[:-1], 1.0)
    with pytest.raises(ValueError, match="`abstol` must be in"):
        admm_lasso(A, b, 1.0, abstol=0.0)
    with pytest.raises(ValueError, match="`reltol` must be in"):
        admm_lasso(A, b, 1.0, reltol=-1.0)
    with pytest.raises(ValueError, match="`max_iter` must be in"):
        admm_lasso(A, b, 1.0, max_iter=0)
    with pytest.raises(ValueError, match="`over_relaxation` must be in"):
        admm_lasso(A, b, 1.0, over_relaxation=2.0)
    with pytest.raises(ValueError, match=r"`z0` must have shape \(20,\)"):
        admm_lasso(A, b, 1.0, z0=np.zeros(3))


@pytest.mark.parametrize("K", [1, 3, 5, 25])
def test_consensus_matches_centralised(K):
    A, b = lasso_problem()
    central = sklearn_lasso(A, b, 0.5)
    res = consensus_admm_lasso(A, b, 0.5, n_workers=K, rho=10.0)
    assert res.converged
    np.testing.assert_allclose(res.x, central, atol=1e-4)
    assert res.nnz == np.count_nonzero(central)


def test_consensus_errors():
    A, b = lasso_problem()
    with pytest.raises(ValueError, match="`n_workers` must be in"):
        consensus_admm_lasso(A, b, 0.5, n_workers=51)
    with pytest.raises(ValueError, match="`rho` must be in"):
        consensus_admm_lasso(A, b, 0.5, rho=-1.0)
    with pytest.raises(ValueError, match="`lam` must be in"):
        consensus_admm_lasso(A, b, -0.5)
    res = consensus_admm_lasso(A, b, 0.5, max_iter=3)
    assert not res.converged and res.n_iter == 3


def test_lasso_path_matches_sklearn():
    A, b = lasso_problem()
    lams, coefs = lasso_path(A, b, n_lams=8, eps=1e-2)
    assert np.all(np.diff(lams) < 0)
    assert lams[0] == pytest.approx(np.max(np.abs(A.T @ b)))
    assert np.count_nonzero(coefs[0]) == 0
    for lam, coef in zip(lams[1:], coefs[1:], strict=True):
        np.testing.assert_allclose(coef, sklearn_lasso(A, b, lam), atol=1e-4)
    lams2, _ = lasso_path(A, b, [0.1, 1.0])
    np.testing.assert_array_equal(lams2, [1.0, 0.1])
    with pytest.raises(ValueError, match="`lams` must be non-negative"):
        lasso_path(A, b, [1.0, -1.0])
    with pytest.raises(ValueError, match="`eps` must be in"):
        lasso_path(A, b, eps=1.0)


def test_lasso_path_n_lams_error():
    A, b = lasso_problem()
    with pytest.raises(ValueError, match="`n_lams` must be in"):
        lasso_path(A, b, n_lams=0)


# --- svm_duality_gap ---


def soft_margin_data(seed=1, n=20):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(1.0, 0.9, (n, 2)), rng.normal(-1.0, 0.9, (n, 2))])
    return X, np.repeat([1, -1], n)


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_svm_duality_gap_closes_and_matches_libsvm(kernel):
    from mlmath import svm_duality_gap

    X, y = soft_margin_data()
    model = SVM(C=1.0, kernel=kernel, gamma=0.5).fit(X, y)
    primal, dual, gap = svm_duality_gap(model, X, y)
    assert abs(gap) < 1e-6 * primal and gap == pytest.approx(primal - dual)
    # the dual objective from LIBSVM's multipliers (reference, independent code)
    ref = SVC(C=1.0, kernel=kernel, gamma=0.5, tol=1e-10).fit(X, y)
    a = np.zeros(len(y))
    a[ref.support_] = np.abs(ref.dual_coef_[0])
    K = (
        X @ X.T
        if kernel == "linear"
        else np.exp(-0.5 * ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    )
    Q = np.outer(y, y) * K
    assert dual == pytest.approx(a.sum() - 0.5 * a @ Q @ a, rel=1e-7)
    # bound support vectors exist here and sit inside the margin
    margin = y * model.decision_function(X)
    bound = model.alpha_ >= model.C * (1 - 1e-8)
    assert bound.any() and np.all(margin[bound] <= 1 + 1e-8)


def test_svm_duality_gap_is_nonnegative_before_convergence():
    """Weak duality: every SMO iterate is dual feasible, so its gap is >= 0."""
    import warnings

    from mlmath import svm_duality_gap

    X, y = soft_margin_data()
    n_final = SVM(C=1.0).fit(X, y).n_iter_
    gaps = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(1, n_final + 1):
            gaps.append(svm_duality_gap(SVM(C=1.0, max_iter=k).fit(X, y), X, y)[2])
    assert min(gaps) >= -1e-9 and gaps[0] > 1 and abs(gaps[-1]) < 1e-9


def test_svm_duality_gap_validates_and_does_not_mutate():
    from mlmath import svm_duality_gap

    X, y = soft_margin_data()
    with pytest.raises(TypeError, match="`model`"):
        svm_duality_gap(SVC(), X, y)
    with pytest.raises(ValueError, match="`model` is not fitted"):
        svm_duality_gap(SVM(), X, y)
    model = SVM().fit(X, y)
    with pytest.raises(ValueError, match="`X`"):
        svm_duality_gap(model, X[:-1], y[:-1])
    with pytest.raises(ValueError, match="`y`"):
        svm_duality_gap(model, X, np.zeros(len(y)))
    X0, alpha0 = X.copy(), model.alpha_.copy()
    svm_duality_gap(model, X, y)
    assert np.array_equal(X, X0) and np.array_equal(model.alpha_, alpha0)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_svm_duality_gap_is_invariant_under_reordering_the_points(seed):
    """The optimal value of a convex programme does not depend on the order of the
    training points: refitting on permuted data gives the same primal and dual values
    (the multipliers follow the points), with a closed gap."""
    from mlmath import svm_duality_gap

    X, y = soft_margin_data()
    model = SVM(C=1.0).fit(X, y)
    perm = np.random.default_rng(seed).permutation(len(y))
    permuted = SVM(C=1.0).fit(X[perm], y[perm])
    before = svm_duality_gap(model, X, y)
    after = svm_duality_gap(permuted, X[perm], y[perm])
    assert after[0] == pytest.approx(before[0], rel=1e-8)
    assert after[1] == pytest.approx(before[1], rel=1e-8)
    assert abs(after[2]) < 1e-9 * after[0]
    assert np.allclose(permuted.alpha_, model.alpha_[perm], atol=1e-6)
