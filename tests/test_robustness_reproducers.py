"""Every reproducer of the robustness review, as a test.

Each test is named after the root cause (R1 ... R29) or failure report (F1 ... F6) of
``review/robustness.md`` it turns into a check. All of them failed on the code before
the robustness fixes; they pass now.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from math import isqrt

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import norm

import mlmath as M
from mlmath import ConvergenceWarning

SVM_X = np.array([[1.0, 2.0], [2.0, 3.0], [0.0, 0.0], [1.0, 0.0]])
SVM_Y = np.array([1, 1, -1, -1])
PATH3 = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
TRIANGLE = np.ones((3, 3)) - np.eye(3)


# --------------------------------------------------------------- R1: complex input
COMPLEX_CALLS = {
    "vector_angle": (lambda z: M.vector_angle(z, [1.0, 2.0]), "x"),
    "cosine_similarity": (lambda z: M.cosine_similarity(z, [1.0, 2.0]), "a"),
    "cosine_similarity_matrix": (lambda z: M.cosine_similarity_matrix([z, z]), "X"),
    "im2col1d": (lambda z: M.im2col1d(z, 1), "x"),
    "toeplitz_matrix": (lambda z: M.toeplitz_matrix(z, 3), "kernel"),
    "convolve1d": (lambda z: M.convolve1d([1.0, 2.0, 3.0], z), "kernel"),
    "cross_correlate1d": (lambda z: M.cross_correlate1d(z, [1.0]), "x"),
    "pagerank": (lambda z: M.pagerank(np.outer(z, z)), "adjacency"),
    "low_rank_approximation": (lambda z: M.low_rank_approximation([z, z], 1), "M"),
    "relu": (lambda z: M.relu(z), "x"),
    "softmax": (lambda z: M.softmax(z), "x"),
    "numerical_gradient": (lambda z: M.numerical_gradient(np.sum, z), "x"),
    "entropy": (lambda z: M.entropy(z / z.sum()), "p"),
    "gaussian_kl": (lambda z: M.gaussian_kl(z, [0.0, 0.0]), "mu"),
    "squared_distances": (lambda z: M.squared_distances([z, z]), "X"),
    "soft_threshold": (lambda z: M.soft_threshold(z, 1.0), "v"),
    "rbf_kernel": (lambda z: M.rbf_kernel(z, z), "X1"),
    "expected_improvement": (lambda z: M.expected_improvement(z, [1, 1], 0), "mu"),
    "roc_auc": (lambda z: M.roc_auc([0, 1], z), "scores"),
    "effective_sample_size": (lambda z: M.effective_sample_size(z), "log_w"),
    "AffineFlow": (lambda z: M.AffineFlow(2.0, 0.0).forward(z), "z"),
    "TanhFlow": (lambda z: M.TanhFlow().log_prob(z), "x"),
    "mc_integrate": (lambda z: M.mc_integrate(np.sin, z[0], 2.0), "a"),
}


@pytest.mark.parametrize("name", sorted(COMPLEX_CALLS))
def test_R1_complex_input_is_refused_by_name(name):
    call, arg = COMPLEX_CALLS[name]
    with pytest.raises(TypeError, match=rf"`{arg}`.*complex"):
        call(np.array([1.0 + 1.0j, 2.0 + 0.5j]))


def test_R1_complex_sparse_matrix_is_refused():
    A = sp.csr_array(np.array([[0, 1 + 1j], [1, 0]]))
    with pytest.raises(TypeError, match="`adjacency`"):
        M.pagerank(A)


# --------------------------------------------------- R2, F1, F2: cosine and angle
def test_F1_cosine_and_angle_of_huge_vectors():
    right = float(Fraction(3) / Fraction(isqrt(10 * 10**40), 10**20))
    assert M.cosine_similarity([1e200, 1e200], [1e200, 2e200]) == pytest.approx(right)
    assert M.vector_angle([1e200, 0], [0, 1e200]) == 90.0
    S = M.cosine_similarity_matrix([[1e200, 1e200], [1e200, 2e200]])
    np.testing.assert_allclose(S, [[1, right], [right, 1]], rtol=1e-15)


def test_F2_tiny_vectors_are_not_the_zero_vector():
    right = 3 / np.sqrt(10)
    assert M.cosine_similarity([1e-200, 1e-200], [1e-200, 2e-200]) == pytest.approx(
        right
    )
    assert M.vector_angle([1e-200, 0], [0, 1e-200]) == 90.0
    assert M.vector_angle([5e-324, 0], [0, 5e-324]) == 90.0
    np.testing.assert_allclose(
        M.cosine_similarity_matrix([[1e-200, 1e-200], [1e-200, 2e-200]])[0, 1], right
    )


# -------------------------------------------------- R3: row sums over/underflow
@pytest.mark.parametrize("weight", [1e308, 5e-324])
@pytest.mark.parametrize("sparse", [False, True])
def test_R3_pagerank_and_rwr_are_invariant_to_scaling_a_row(weight, sparse):
    A = TRIANGLE.copy()
    A[0] *= weight
    A = sp.csr_array(A) if sparse else A
    np.testing.assert_allclose(M.pagerank(A)[0], M.pagerank(TRIANGLE)[0])
    np.testing.assert_allclose(
        M.random_walk_with_restart(A, 1), M.random_walk_with_restart(TRIANGLE, 1)
    )


# -------------------------------------------------------- R4: divergence is an error
def test_R4_diverging_learners_raise_and_name_the_culprit():
    R = 20.0 * np.array([[5, 3, np.nan], [4, np.nan, 1], [1, 1, 5]])
    with pytest.raises(FloatingPointError, match="`lr`"):
        M.MatrixFactorization(lr=1.0).fit(R)
    X, y = np.eye(4), np.array([0, 1, 1, 0])
    with pytest.raises(FloatingPointError, match="`learning_rate`"):
        M.MLP(learning_rate=1e10, rng=0).fit(X, y)
    Xt = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(FloatingPointError, match="`learning_rate`"):
        M.tsne(Xt, perplexity=5, learning_rate=1e300, n_iter=30)
    with pytest.raises(ValueError, match="`A`"):
        M.admm_lasso(np.eye(3) * 1e308, [1e308, 1.0, 1.0], lam=1.0)
    with pytest.raises(ValueError, match="`A`"):
        M.lasso_path(np.eye(2) * 1e308, [1e308, 1e308])


# --------------------------------------------------------- R5, F4: relative steps
def test_F4_numerical_derivatives_at_large_x():
    sq = lambda v: v[0] ** 2  # noqa: E731
    assert M.numerical_gradient(sq, [1e10])[0] == pytest.approx(2e10, rel=1e-8)
    assert M.numerical_gradient(sq, [1e12])[0] == pytest.approx(2e12, rel=1e-8)
    J = M.numerical_jacobian(lambda v: v**2, np.array([1e12, 1.0]))
    np.testing.assert_allclose(J, np.diag([2e12, 2.0]), rtol=1e-7, atol=1e-6)


def test_R5_absurd_steps_are_refused_or_warned():
    with pytest.raises(ValueError, match="`h`"):
        M.numerical_gradient(np.sum, [1.0], h=1e308)
    with pytest.warns(RuntimeWarning, match="`h`"):
        M.numerical_gradient(np.sum, [1.0], h=1e-320)


# ------------------------------------------------- R6: callables' return values
@pytest.mark.parametrize("bad", [None, "a", 1j, [1.0, 2.0], np.nan])
def test_R6_what_f_returns_is_checked(bad):
    with pytest.raises((TypeError, ValueError), match="`f`"):
        M.numerical_gradient(lambda v: bad, [1.0, 2.0])
    with pytest.raises((TypeError, ValueError), match="`objective`"):
        M.bayes_opt(lambda x: bad, (0.0, 1.0), n_iter=0, seed=0)


def test_R6_importance_sampling_names_the_callable():
    sample = lambda n, rng: rng.normal(size=n)  # noqa: E731
    with pytest.raises(TypeError, match="`log_p`"):
        M.importance_sampling(np.abs, lambda x: "a", sample, norm.logpdf, n=10)
    with pytest.raises(TypeError, match="`sample_q`"):
        M.importance_sampling(np.abs, norm.logpdf, lambda n, r: None, norm.logpdf)
    with pytest.raises(ValueError, match="`log_q`"):
        M.importance_sampling(np.abs, norm.logpdf, sample, lambda x: x * np.nan)
    with pytest.raises(TypeError, match="`f`"):
        M.mc_integrate(lambda x: None, 0.0, 1.0)


# --------------------------------------------------------------- R7: softmax axis
@pytest.mark.parametrize("axis", [0.5, "0", None, (0, 1)])
def test_R7_softmax_axis_is_type_checked(axis):
    with pytest.raises(TypeError, match="`axis`"):
        M.softmax([1.0, 2.0], axis=axis)


# ------------------------------------------------------- R8: attention overflow
def test_R8_attention_scores_do_not_overflow():
    Q, K = np.array([[1e200, 0.0]]), np.array([[1e200, 0.0], [0.0, 1e200]])
    out, w = M.scaled_dot_product_attention(Q, K, np.array([[1.0], [2.0]]))
    np.testing.assert_array_equal(w, [[1.0, 0.0]])
    np.testing.assert_array_equal(out, [[1.0]])
    _, w = M.scaled_dot_product_attention(np.zeros((1, 2)), K, np.ones((2, 1)))
    np.testing.assert_array_equal(w, [[0.5, 0.5]])


# ------------------------------------------------------------------- R9: MLP
def test_R9_mlp_arguments_and_reproducible_refits():
    X, y = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), [0, 1, 1, 0]
    with pytest.raises(TypeError, match="`hidden_sizes`"):
        M.MLP(hidden_sizes=5)
    with pytest.raises(TypeError, match="`hidden_sizes`"):
        M.MLP(hidden_sizes=None)
    with pytest.raises(TypeError, match="`y`"):
        M.MLP(rng=0).fit(X, [None, 1, 0, 1])
    net = M.MLP(hidden_sizes=(4,), n_epochs=5, rng=0)
    first = [W.copy() for W in net.fit(X, y).weights_]
    net.check_gradients(X, y)
    for W0, W1 in zip(first, net.fit(X, y).weights_, strict=True):
        np.testing.assert_array_equal(W0, W1)


# ---------------------------------------------------------------- R10: the QP
def test_R10_qp_refuses_a_maximum_and_accepts_bad_scaling():
    A, b, q = [[1.0, 1.0]], [1.0], [0.0, 0.0]
    for P in (-np.eye(2), np.diag([1.0, -3.0])):
        with pytest.raises(ValueError, match="positive definite on the null space"):
            M.solve_equality_qp(P, q, A, b)
    for P in (1e-13 * np.eye(2), 1e200 * np.eye(2)):
        x, _ = M.solve_equality_qp(P, q, A, b)
        np.testing.assert_allclose(x, [0.5, 0.5])
    x, lam = M.solve_equality_qp(2 * np.eye(2), q, [[1e-7, 1e-7]], [1e-7])
    np.testing.assert_allclose(x, [0.5, 0.5])
    np.testing.assert_allclose(lam, [-1e7])


# ------------------------------------------------------------- R11, F5: the SVM
def test_F5_hard_margin_svm_keeps_its_support_vectors():
    s = M.SVM(C=1e8).fit(SVM_X, SVM_Y)
    np.testing.assert_array_equal(s.support_, [0, 3])
    np.testing.assert_allclose(s.w_, [0.0, 1.0], atol=1e-12)
    assert s.b_ == pytest.approx(-1.0)
    np.testing.assert_array_equal(s.predict(SVM_X), SVM_Y)


def test_R11_svm_huge_inputs_and_iteration_cap():
    with pytest.raises(ValueError, match="`X`"):
        M.SVM().fit(SVM_X * 1e200, SVM_Y)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        svm = M.SVM(max_iter=1).fit(SVM_X, SVM_Y)
    assert svm.converged_ is False and svm.n_iter_ == 1


# ------------------------------------------------------------- R12: RWR warns
def test_R12_random_walk_with_restart_warns_at_max_iter():
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        M.random_walk_with_restart(PATH3, 0, max_iter=2)


# ------------------------------------------------------------------- R13: ADMM
def test_R13_admm_does_not_preallocate_and_names_rho():
    res = M.admm_lasso(np.eye(3), [3.0, -0.5, 1.5], lam=1.0, max_iter=10**12)
    assert res.converged and res.n_iter < 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            res = M.admm_lasso(np.eye(3), [1.0, 2.0, 3.0], 1.0, rho=1e-300)
        except ValueError as err:
            assert "`rho`" in str(err)
        else:
            assert np.all(np.isfinite(res.x))
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        assert not M.admm_lasso(np.eye(3), [3.0, -0.5, 1.5], 1.0, max_iter=2).converged


# ------------------------------------------------- R14, F3: information measures
def test_F3_float32_probability_vectors():
    p = np.float32([0.1] * 10)
    assert M.entropy(p) == pytest.approx(np.log2(10))
    assert M.kl_divergence(p, np.full(10, 0.1)) == pytest.approx(0.0, abs=1e-12)
    softmax32 = np.float32([0.6590011, 0.24243297, 0.09856589])
    assert 0 < M.entropy(softmax32) < np.log2(3)


def test_F3_sum_message_shows_enough_digits():
    with pytest.raises(ValueError, match=r"got sum 1\.0000000999"):
        M.entropy([0.5, 0.5000001])


def test_R14_kl_is_finite_nonnegative_and_ordered():
    kl = M.kl_divergence([0.5, 0.5], [1 - 1e-320, 1e-320], base=np.e)
    assert kl == pytest.approx(
        0.5 * np.log(0.5 / (1 - 1e-320)) + 0.5 * (np.log(0.5) - np.log(1e-320))
    )
    p, q = np.array([0.3, 0.7 + 5e-9]), np.array([0.3, 0.7 + 5e-9])
    assert M.kl_divergence(p, q) >= 0.0
    assert M.entropy([1 / 3 + 3e-9] * 3) <= np.log2(3)
    assert M.cross_entropy(p, q) >= M.entropy(p) - 1e-15


# -------------------------------------------------------- R16: perplexity search
def test_R16_calibrate_perplexity_checks_and_warns():
    D = M.squared_distances(np.random.default_rng(0).normal(size=(20, 3)))
    with pytest.raises(ValueError, match="`tol`"):
        M.calibrate_perplexity(D, 5, tol=-1)
    with pytest.raises(ValueError, match="`max_iter`"):
        M.calibrate_perplexity(D, 5, max_iter=0)
    with pytest.raises(TypeError, match="`max_iter`"):
        M.calibrate_perplexity(D, 5, max_iter=2.5)
    for scale in (1e40, 1e-40):
        P, _ = M.calibrate_perplexity(D * scale, 5)
        H = -np.sum(P * np.log(np.where(P > 0, P, 1)), axis=1)
        np.testing.assert_allclose(np.exp(H), 5, rtol=1e-4)
    with pytest.warns(ConvergenceWarning, match="did not reach perplexity"):
        M.calibrate_perplexity(D, 5, max_iter=3)


# --------------------------------------------------------- R17, F6: t-SNE NaN
def test_F6_tsne_of_identical_rows_is_finite():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # perplexity unreachable
        Y = M.tsne(np.ones((12, 3)), perplexity=5, n_iter=100)
    assert np.all(np.isfinite(Y))


# ------------------------------------------------------------ R18: tsne_gradient
def test_R18_tsne_gradient_checks_exaggeration_and_P():
    P = M.joint_probabilities(np.random.default_rng(0).normal(size=(10, 3)), 3)
    Y = np.random.default_rng(1).normal(size=(10, 2))
    for bad in (-1.0, np.nan):
        with pytest.raises(ValueError, match="`exaggeration`"):
            M.tsne_gradient(Y, P, exaggeration=bad)
    with pytest.raises(TypeError, match="`exaggeration`"):
        M.tsne_gradient(Y, P, exaggeration="a")
    with pytest.raises(ValueError, match="`P`"):
        M.tsne_gradient(Y, -P)
    with pytest.raises(ValueError, match="`P`"):
        M.tsne_gradient(Y, 2 * P)


# ------------------------------------------------------------- R19: ragged input
def test_R19_gaussian_ragged_input_named():
    with pytest.raises(TypeError, match="`mu`"):
        M.gaussian_kl([[1.0], [1.0, 2.0]], 0.0)
    with pytest.raises(TypeError, match="`log_var`"):
        M.reparameterize(0.0, [[1.0], [1.0, 2.0]])


# ------------------------------------------------------------- R20: negative seeds
NEGATIVE_SEED_CALLS = [
    (lambda: M.MatrixFactorization(seed=-1).fit(np.eye(2)), "seed"),
    (lambda: M.MLP(rng=-1), "rng"),
    (lambda: M.reparameterize(0.0, 0.0, rng=-1), "rng"),
    (lambda: M.tsne(np.eye(5), perplexity=2, seed=-1), "seed"),
    (lambda: M.mc_integrate(np.sin, 0.0, 1.0, rng=-1), "rng"),
    (lambda: M.AffineFlow(1.0, 0.0).sample(2, rng=-1), "rng"),
    (lambda: M.TanhFlow().sample(2, rng=-1), "rng"),
    (lambda: M.holdout_split(TRIANGLE, rng=-1), "rng"),
    (lambda: M.fit_gp_hyperparameters([0.0, 1.0], [0.0, 1.0], rng=-1), "rng"),
    (lambda: M.bayes_opt(np.sin, (0, 1), seed=-1), "seed"),
]


@pytest.mark.parametrize("index", range(len(NEGATIVE_SEED_CALLS)))
def test_R20_negative_seeds_are_named(index):
    call, name = NEGATIVE_SEED_CALLS[index]
    with pytest.raises(ValueError, match=f"`{name}` must be a non-negative"):
        call()


# ----------------------------------------------- R21, R22: Monte Carlo conversions
@pytest.mark.parametrize("bad", ["a", {}, [[1.0], [1.0, 2.0]], sp.eye(2)])
def test_R21_montecarlo_arguments_named(bad):
    with pytest.raises(TypeError, match="`a`"):
        M.mc_integrate(np.sin, bad, 1.0)
    with pytest.raises(TypeError, match="`log_w`"):
        M.effective_sample_size(bad)
    with pytest.raises(TypeError, match="`a`"):
        M.AffineFlow(bad, 0.0)
    with pytest.raises(TypeError, match="`z`"):
        M.AffineFlow(2.0, 0.0).forward(bad)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, None])
def test_R22_affine_flow_refuses_bad_points(bad):
    flow = M.AffineFlow(2.0, 3.0)
    for method, name in [
        (flow.forward, "z"),
        (flow.inverse, "x"),
        (flow.log_prob, "x"),
        (flow.log_det_jacobian, "z"),
    ]:
        with pytest.raises((TypeError, ValueError), match=f"`{name}`"):
            method([1.0, bad])


# --------------------------------------------------------------- R24: networks
def test_R24_network_edge_cases():
    bad = sp.csr_array(np.array([[0, np.nan, 1], [np.nan, 0, 0], [1, 0, 0]]))
    with pytest.raises(ValueError, match="`scores`"):
        M.rank_pairs(bad, PATH3)
    ranked = M.rank_pairs(M.common_neighbors(PATH3), PATH3)
    with pytest.raises(TypeError, match="`k`"):
        ranked.top("a")
    with pytest.raises(ValueError, match="`A` has no edges"):
        M.holdout_split(np.zeros((4, 4)))
    srw = M.SupervisedRandomWalk()
    psi = np.zeros((3, 3, 1))
    with pytest.raises(ValueError, match="`A` has no edges"):
        srw.fit(np.zeros((3, 3)), psi, [(0, 2)])
    with pytest.raises(ValueError, match="`w0`"):
        srw.fit(PATH3, psi, [(0, 2)], w0=[0.0, 0.0])
    srw.fit(PATH3, psi, [(0, 2)])
    with pytest.raises(TypeError, match="`sources`"):
        srw.score(PATH3, psi, sources=["a"])


def test_R24_supervised_walk_shifts_logits_per_row():
    A = np.zeros((6, 6))
    for u in range(6):
        A[u, (u + 1) % 6] = A[(u + 1) % 6, u] = 1
    psi = np.zeros((6, 6, 1))
    psi[0, 1, 0] = psi[1, 0, 0] = 1.0
    loss, grad = M.SupervisedRandomWalk().loss([800.0], A, psi, [(0, 2)])
    assert np.isfinite(loss) and np.all(np.isfinite(grad))


# ----------------------------------------------------------------- R26: GP noise
def test_R26_gp_noise_none_and_huge():
    for call in (
        lambda noise: M.gp_posterior([0.0, 1.0], [0.0, 1.0], [0.5], noise=noise),
        lambda noise: M.gp_log_marginal_likelihood([0.0], [0.0], noise=noise),
        lambda noise: M.bayes_opt(np.sin, (0, 1), n_iter=0, noise=noise, seed=0),
    ):
        with pytest.raises(TypeError, match="`noise`"):
            call(None)
        with pytest.raises(ValueError, match="`noise`"):
            call(1e200)


# ------------------------------------------------------------- R27: the sentinel
def test_R27_gp_fit_does_not_return_its_sentinel():
    with pytest.raises(ValueError, match="`noise`"):
        M.fit_gp_hyperparameters(
            [1.0, 1.0, 2.0], [0.0, 1.0, 2.0], noise=0.0, fit_noise=False
        )


# --------------------------------------------------------- R28: argument parsing
def test_R28_bounds_and_x_init():
    with pytest.raises(TypeError, match="`bounds`"):
        M.bayes_opt(np.sin, ("a", "b"), n_iter=0)
    with pytest.raises(ValueError, match="`bounds`"):
        M.bayes_opt(np.sin, [(0, 1), (0, 1, 2)], n_iter=0)
    with pytest.raises(ValueError, match="`bounds`"):
        M.bayes_opt(np.sin, (-1e308, 1e308), n_iter=0)
    with pytest.raises(TypeError, match="`bounds`"):
        M.fit_gp_hyperparameters([0.0, 1.0], [0.0, 1.0], bounds=("a", "b"))
    f2 = lambda x: float(x.sum())  # noqa: E731
    for x_init in (np.zeros((2, 3)), [0.1, 0.2, 0.3]):
        with pytest.raises(ValueError, match=r"`x_init` must have shape \(n0, 2\)"):
            M.bayes_opt(f2, [(0, 1), (0, 1)], n_iter=0, x_init=x_init)


# ----------------------------------------------------------- R29: convolution
def test_R29_convolution_overflow_keeps_the_sign():
    np.testing.assert_array_equal(
        M.cross_correlate1d([1.0, -2.0, 3.0], [1e308, -1e308]), [np.inf, -np.inf]
    )
    np.testing.assert_array_equal(
        M.convolve1d([1.0, -2.0, 3.0], [1e308, 1e308]), [-1e308, 1e308]
    )


# ----------------------------------------- iterative routines report convergence
def test_every_iterative_routine_reports_hitting_its_cap():
    with pytest.warns(ConvergenceWarning):
        M.pagerank([[0, 1, 0], [0, 0, 1], [1, 1, 0]], max_iter=1)
    with pytest.warns(ConvergenceWarning):
        res = M.consensus_admm_lasso(np.eye(4), [1.0, 2.0, 3.0, 4.0], 0.5, max_iter=2)
    assert res.converged is False and res.n_iter == 2
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-2, 0.5, 200), rng.normal(1.5, 0.8, 100)])
    with pytest.warns(ConvergenceWarning, match="maxiter=2"):
        flow = M.TanhFlow().fit(x, maxiter=2)
    assert flow.converged_ is False and flow.n_iter_ == 2
    hp = M.fit_gp_hyperparameters(np.linspace(0, 5, 8), np.sin(np.linspace(0, 5, 8)))
    assert hp.converged and hp.n_iter > 0
