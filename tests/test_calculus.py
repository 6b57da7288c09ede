"""Tests for mlmath.calculus: finite differences, softmax, attention and the MLP."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlmath import (
    MLP,
    causal_mask,
    numerical_gradient,
    numerical_jacobian,
    relu,
    scaled_dot_product_attention,
    softmax,
)

finite = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)


# -- finite differences --------------------------------------------------------
def test_gradient_worked_example():
    f = lambda v: v[0] ** 2 + v[0] * v[1] + v[1] ** 2  # noqa: E731
    g = numerical_gradient(f, [1.0, 2.0])
    np.testing.assert_allclose(g, [4.0, 5.0], atol=1e-8)
    assert np.linalg.norm(g) == pytest.approx(np.sqrt(41))


def test_backprop_toy_network_gradients():
    # h = w x, a = relu(h), yhat = v a, L = (yhat - y)^2 with x=2, w=3, v=0.5, y=4
    x, w, v, y = 2.0, 3.0, 0.5, 4.0
    h = w * x
    a = max(h, 0.0)
    yhat = v * a
    dL_dyhat = 2 * (yhat - y)
    dL_dv, dL_da = dL_dyhat * a, dL_dyhat * v
    dL_dh = dL_da * (h > 0)
    dL_dw, dL_dx = dL_dh * x, dL_dh * w
    assert (yhat, (yhat - y) ** 2) == (3.0, 1.0)
    assert (dL_dyhat, dL_dv, dL_da, dL_dh, dL_dw, dL_dx) == (-2, -12, -1, -1, -2, -3)
    loss = lambda p: (p[2] * max(p[1] * p[0], 0.0) - y) ** 2  # noqa: E731
    np.testing.assert_allclose(
        numerical_gradient(loss, [x, w, v]), [dL_dx, dL_dw, dL_dv], atol=1e-8
    )


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6))
def test_gradient_of_quadratic_matches_analytic(seed, n):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    c = rng.standard_normal(n)
    x = rng.standard_normal(n)
    f = lambda z: 0.5 * z @ M @ z + c @ z  # noqa: E731
    expected = 0.5 * (M + M.T) @ x + c
    np.testing.assert_allclose(numerical_gradient(f, x), expected, atol=1e-6)


def test_central_beats_forward_and_error_orders():
    f, x0, exact = np.sin, np.array([1.0]), np.cos(1.0)
    err = {
        m: [
            abs(numerical_gradient(lambda v: f(v[0]), x0, h, method=m)[0] - exact)
            for h in (1e-2, 1e-3)
        ]
        for m in ("forward", "central")
    }
    # forward error is O(h) (ratio ~10), central is O(h^2) (ratio ~100)
    assert 8 < err["forward"][0] / err["forward"][1] < 12
    assert 80 < err["central"][0] / err["central"][1] < 120
    assert err["central"][1] < err["forward"][1] / 100


def test_gradient_keeps_shape_of_matrix_input():
    W = np.arange(6.0).reshape(2, 3)
    g = numerical_gradient(lambda M: np.sum(M**2), W)
    assert g.shape == (2, 3)
    np.testing.assert_allclose(g, 2 * W, atol=1e-6)


def test_jacobian_of_linear_map_and_softmax():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((4, 3))
    x = rng.standard_normal(3)
    np.testing.assert_allclose(numerical_jacobian(lambda v: M @ v, x), M, atol=1e-8)
    p = softmax(x)
    np.testing.assert_allclose(
        numerical_jacobian(softmax, x), np.diag(p) - np.outer(p, p), atol=1e-9
    )
    assert numerical_jacobian(lambda v: v @ v, x).shape == (1, 3)


@pytest.mark.parametrize("h", [0.0, -1e-3])
def test_h_must_be_positive(h):
    with pytest.raises(ValueError, match="`h` must be in"):
        numerical_gradient(np.sum, [1.0], h)
    with pytest.raises(ValueError, match="`h` must be in"):
        numerical_jacobian(np.sin, [1.0], h)


def test_finite_difference_errors():
    with pytest.raises(ValueError, match="`method` must be 'central' or 'forward'"):
        numerical_gradient(np.sum, [1.0], method="backward")
    with pytest.raises(ValueError, match="`f` must return a scalar"):
        numerical_gradient(lambda v: v, [1.0, 2.0])
    with pytest.raises(ValueError, match="`x` must be a 1-D array"):
        numerical_jacobian(np.sin, [[1.0]])
    with pytest.raises(ValueError, match="one fixed size"):
        numerical_jacobian(lambda v: np.ones(1 + int(v[0] > 1.0)), [1.0])
    with pytest.raises(ValueError, match="`x` must not contain NaN"):
        numerical_gradient(np.sum, [np.nan])
    with pytest.raises(TypeError, match="`x` must be numeric"):
        numerical_gradient(np.sum, ["a"])


# -- activations ---------------------------------------------------------------
def test_relu():
    np.testing.assert_array_equal(relu([-1.0, 0.0, 2.5]), [0.0, 0.0, 2.5])
    with pytest.raises(TypeError, match="`x` must be numeric"):
        relu("abc")


def test_softmax_is_stable_at_extremes():
    np.testing.assert_array_equal(softmax([1e4, -1e4]), [1.0, 0.0])
    np.testing.assert_allclose(softmax([1e4, 1e4]), [0.5, 0.5])
    np.testing.assert_allclose(softmax([-1e4, -1e4 + np.log(3)]), [0.25, 0.75])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp([1e4, -1e4]) / np.exp([1e4, -1e4]).sum()
    assert np.isnan(naive[0])  # the reason for subtracting the maximum


@settings(max_examples=50, deadline=None)
@given(
    x=arrays(float, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=finite),
    c=finite,
)
def test_softmax_rows_sum_to_one_and_shift_invariance(x, c):
    p = softmax(x, axis=1)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(softmax(x + c, axis=1), p, atol=1e-12)
    np.testing.assert_allclose(p, scipy.special.softmax(x, axis=1), atol=1e-12)


def test_softmax_axis_and_errors():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(softmax(x, axis=0).sum(axis=0), 1.0)
    np.testing.assert_allclose(softmax(x, axis=0), scipy.special.softmax(x, axis=0))
    with pytest.raises(ValueError, match="`axis` must be in"):
        softmax(x, axis=2)
    with pytest.raises(ValueError, match="`x` must be at least 1-D"):
        softmax(3.0)


# -- attention -----------------------------------------------------------------
def _naive_attention(Q, K, V, mask=None):
    out, W = np.zeros((Q.shape[0], V.shape[1])), np.zeros((Q.shape[0], K.shape[0]))
    for i, q in enumerate(Q):
        s = np.array([q @ k for k in K]) / np.sqrt(Q.shape[1])
        if mask is not None:
            s = np.where(mask[i], s, -np.inf)
        W[i] = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
        out[i] = W[i] @ V
    return out, W


def test_attention_against_naive_loop_and_mask():
    rng = np.random.default_rng(1)
    Q, K, V = (rng.standard_normal((4, 3)) for _ in range(3))
    for mask in (None, causal_mask(4)):
        out, W = scaled_dot_product_attention(Q, K, V, mask)
        ref_out, ref_W = _naive_attention(Q, K, V, mask)
        np.testing.assert_allclose(out, ref_out, atol=1e-12)
        np.testing.assert_allclose(W, ref_W, atol=1e-12)
    assert np.all(W[np.triu_indices(4, 1)] == 0.0)
    np.testing.assert_allclose(out[0], V[0])  # first position sees only itself


def test_attention_worked_example_rows_sum_to_one():
    X = np.array([[0.1, 0.2, 0.1, 0.3], [0.5, 0.4, 0.6, 0.2], [0.3, 0.5, 0.2, 0.4]])
    rng = np.random.default_rng(42)
    W_Q, W_K, W_V = (rng.standard_normal((4, 3)) * 0.5 for _ in range(3))
    out, W = scaled_dot_product_attention(X @ W_Q, X @ W_K, X @ W_V)
    assert out.shape == (3, 3) and W.shape == (3, 3)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_q=st.integers(1, 5),
    n_k=st.integers(1, 5),
    d=st.integers(1, 4),
    scale=st.floats(0.1, 100),
)
def test_attention_output_is_convex_combination_of_values(seed, n_q, n_k, d, scale):
    rng = np.random.default_rng(seed)
    Q, K = scale * rng.standard_normal((n_q, d)), scale * rng.standard_normal((n_k, d))
    V = rng.standard_normal((n_k, 2))
    mask = rng.random((n_q, n_k)) < 0.6
    mask[np.arange(n_q), rng.integers(0, n_k, n_q)] = True
    out, W = scaled_dot_product_attention(Q, K, V, mask)
    assert np.all(W >= 0) and np.all(W[~mask] == 0)
    np.testing.assert_allclose(W.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(out >= V.min(axis=0) - 1e-12) and np.all(out <= V.max(axis=0) + 1e-12)


def test_attention_errors():
    Q, K, V = np.ones((2, 3)), np.ones((4, 3)), np.ones((4, 5))
    with pytest.raises(ValueError, match="`Q` and `K` must have the same number"):
        scaled_dot_product_attention(Q, np.ones((4, 2)), V)
    with pytest.raises(
        ValueError, match="`K` and `V` must have the same number of rows"
    ):
        scaled_dot_product_attention(Q, K, np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"`mask` must have shape \(n_q, n_k\)"):
        scaled_dot_product_attention(Q, K, V, mask=np.ones((4, 2), dtype=bool))
    with pytest.raises(TypeError, match="`mask` must be boolean"):
        scaled_dot_product_attention(Q, K, V, mask=np.ones((2, 4)))
    with pytest.raises(ValueError, match="every row of `mask`"):
        scaled_dot_product_attention(Q, K, V, mask=np.zeros((2, 4), dtype=bool))
    with pytest.raises(ValueError, match="`Q` must be a 2-D array"):
        scaled_dot_product_attention(np.ones(3), K, V)


def test_causal_mask():
    m = causal_mask(4)
    assert m.dtype == bool and m.shape == (4, 4)
    np.testing.assert_array_equal(m, np.tril(np.ones((4, 4))) > 0)
    with pytest.raises(ValueError, match="`n` must be in"):
        causal_mask(0)
    with pytest.raises(TypeError, match="`n` must be an integer"):
        causal_mask(2.5)


# -- MLP -----------------------------------------------------------------------
@pytest.mark.parametrize("hidden", [(5,), (4, 3)])
def test_mlp_backprop_matches_finite_differences(hidden):
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((7, 4)), np.array([0, 1, 2, 0, 1, 2, 2])
    net = MLP(hidden_sizes=hidden, weight_decay=0.1, rng=0)
    assert net.check_gradients(X, y) < 1e-7


def test_gradient_check_catches_a_wrong_backward_pass(monkeypatch):
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((7, 4)), np.array([0, 1, 2, 0, 1, 2, 2])
    net = MLP(hidden_sizes=(5,), rng=0)
    original = MLP._loss_and_grads

    def wrong(self, X, Y):  # e.g. forgetting the 1/m of the mean in one layer
        loss, gW, gb = original(self, X, Y)
        gW[0] = gW[0] * X.shape[0]
        return loss, gW, gb

    monkeypatch.setattr(MLP, "_loss_and_grads", wrong)
    assert net.check_gradients(X, y) > 1e-3


def test_mlp_learns_digits_above_95_percent():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
    net = MLP(hidden_sizes=(64,), rng=0).fit(Xtr, ytr)
    assert net.score(Xte, yte) >= 0.95
    assert net.loss_history_[-1] < net.loss_history_[0] / 5
    assert len(net.loss_history_) == net.n_epochs
    proba = net.predict_proba(Xte)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert net.loss(Xte, yte) > 0


def test_mlp_is_reproducible_and_keeps_label_values():
    X = np.array([[0.0, 0.1], [0.2, 1.0], [1.0, 0.1], [1.1, 1.0]])
    y = np.array(["no", "yes", "yes", "no"])
    a = MLP(hidden_sizes=(6,), n_epochs=5, rng=7).fit(X, y)
    b = MLP(hidden_sizes=(6,), n_epochs=5, rng=7).fit(X, y)
    np.testing.assert_array_equal(a.weights_[0], b.weights_[0])
    assert set(a.predict(X)) <= {"no", "yes"}


def test_mlp_errors():
    X, y = np.ones((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="`hidden_sizes` must be in"):
        MLP(hidden_sizes=(0,))
    with pytest.raises(ValueError, match="`learning_rate` must be in"):
        MLP(learning_rate=0.0)
    with pytest.raises(ValueError, match="`momentum` must be in"):
        MLP(momentum=1.0)
    with pytest.raises(ValueError, match="`n_epochs` must be in"):
        MLP(n_epochs=0)
    with pytest.raises(ValueError, match="`batch_size` must be in"):
        MLP(batch_size=0)
    with pytest.raises(ValueError, match="`weight_decay` must be in"):
        MLP(weight_decay=-1.0)
    with pytest.raises(TypeError, match="`rng` must be"):
        MLP(rng="seed")
    with pytest.raises(ValueError, match="one label per row"):
        MLP().fit(X, y[:3])
    with pytest.raises(ValueError, match="at least two classes"):
        MLP().fit(X, np.zeros(4))
    with pytest.raises(ValueError, match="not fitted yet"):
        MLP().predict(X)
    net = MLP(n_epochs=1, rng=0).fit(X, y)
    with pytest.raises(ValueError, match="`X` must have 2 columns"):
        net.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="not seen by `fit`"):
        net.loss(X, np.array([0, 1, 2, 1]))


@pytest.mark.parametrize("func", [numerical_gradient, numerical_jacobian])
def test_finite_differences_need_a_callable(func):
    with pytest.raises(TypeError, match="`f` must be callable, got list"):
        func([1.0, 2.0], [1.0, 2.0])


# -- Hessian, gradient descent, attention gradients (Chapter 2 additions) ---------
from mlmath import attention_gradients, gradient_descent, numerical_hessian  # noqa: E402


def test_hessian_matches_scipy_rosenbrock():
    from scipy.optimize import rosen, rosen_hess

    for x in ([1.0, 1.0, 1.0], [-1.2, 1.0, 0.5, 2.0], [0.3, -0.7]):
        H = numerical_hessian(rosen, x)
        np.testing.assert_allclose(H, rosen_hess(x), rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(H, H.T)


def test_hessian_worked_example_and_quadratic_form():
    g = lambda v: np.exp(v[0]) + v[0] * v[1] ** 2  # noqa: E731
    np.testing.assert_allclose(
        numerical_hessian(g, [0.0, 1.0]), [[1.0, 2.0], [2.0, 0.0]], atol=1e-6
    )
    A = np.random.default_rng(0).standard_normal((4, 4))
    H = numerical_hessian(lambda v: v @ A @ v, np.ones(4))
    np.testing.assert_allclose(H, A + A.T, atol=1e-6)


def test_matrix_calculus_identities_against_scipy_approx_fprime():
    from scipy.optimize import approx_fprime

    rng = np.random.default_rng(1)
    A, b, x = (
        rng.standard_normal((5, 3)),
        rng.standard_normal(5),
        rng.standard_normal(3),
    )
    lsq = lambda v: float(np.sum((A @ v - b) ** 2))  # noqa: E731
    np.testing.assert_allclose(
        approx_fprime(x, lsq, 1e-7), 2 * A.T @ (A @ x - b), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(
        numerical_gradient(lsq, x), 2 * A.T @ (A @ x - b), atol=1e-8
    )


@pytest.mark.parametrize("bad", [[[1.0, 2.0]], 3.0])
def test_hessian_errors(bad):
    with pytest.raises(ValueError, match="`x` must be a 1-D array"):
        numerical_hessian(lambda v: 0.0, bad)
    with pytest.raises(ValueError, match="`h` must be in"):
        numerical_hessian(lambda v: 0.0, [1.0], h=0.0)
    with pytest.raises(TypeError, match="`f` must be callable"):
        numerical_hessian(None, [1.0])


def test_gradient_descent_docstring_example_and_step_size_threshold():
    H = np.array([[2.0, 1.0], [1.0, 2.0]])  # eigenvalues 1 and 3
    grad = lambda v: H @ v  # noqa: E731
    for eta in (0.1, 0.5, 0.6):
        path = gradient_descent(grad, [1.0, 2.0], eta, n_iter=200)
        assert np.linalg.norm(path[-1]) < 1e-8
    path = gradient_descent(grad, [1.0, 2.0], 0.7, n_iter=50)
    assert np.linalg.norm(path[-1]) > 100 * np.linalg.norm(path[0])
    # exactly the predicted factor per step along each eigenvector
    lam, U = np.linalg.eigh(H)
    path = gradient_descent(grad, [1.0, 2.0], 0.6, n_iter=5)
    c = path @ U
    np.testing.assert_allclose(c[1:] / c[:-1], np.tile(1 - 0.6 * lam, (5, 1)))


def test_gradient_descent_does_not_mutate_and_errors():
    x0 = np.array([1.0, 2.0])
    path = gradient_descent(lambda v: 2 * v, x0, 0.1, n_iter=3)
    assert path.shape == (4, 2) and np.array_equal(x0, [1.0, 2.0])
    assert gradient_descent(lambda v: v, x0, 0.1, n_iter=0).shape == (1, 2)
    with pytest.raises(ValueError, match="`learning_rate` must be in"):
        gradient_descent(lambda v: v, x0, 0.0)
    with pytest.raises(ValueError, match="`n_iter` must be in"):
        gradient_descent(lambda v: v, x0, 0.1, n_iter=-1)
    with pytest.raises(ValueError, match="`grad` must return an array of shape"):
        gradient_descent(lambda v: v[:1], x0, 0.1)
    with pytest.raises(ValueError, match="diverged"):
        gradient_descent(lambda v: 10.0 * v, x0, 1.0, n_iter=1000)
    with pytest.raises(TypeError, match="`grad` must be callable"):
        gradient_descent("grad", x0, 0.1)


def _attention_loss_fd(Q, K, V, C, mask=None):
    from scipy.optimize import approx_fprime

    args = [np.asarray(a, dtype=float) for a in (Q, K, V)]
    grads = []
    for i in range(3):

        def loss(flat, i=i):
            trial = list(args)
            trial[i] = flat.reshape(args[i].shape)
            return float(np.sum(C * scaled_dot_product_attention(*trial, mask=mask)[0]))

        grads.append(approx_fprime(args[i].ravel(), loss, 1e-7).reshape(args[i].shape))
    return grads


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_attention_gradients_match_scipy_finite_differences(seed, masked):
    rng = np.random.default_rng(seed)
    n, d_k, d_v = 4, 3, 2
    Q, K = rng.standard_normal((n, d_k)), rng.standard_normal((n, d_k))
    V, C = rng.standard_normal((n, d_v)), rng.standard_normal((n, d_v))
    mask = causal_mask(n) if masked else None
    analytic = attention_gradients(Q, K, V, C, mask=mask)
    for a, fd in zip(analytic, _attention_loss_fd(Q, K, V, C, mask), strict=True):
        np.testing.assert_allclose(a, fd, atol=2e-6)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.1, 5.0))
def test_attention_gradients_invariances(seed, c):
    rng = np.random.default_rng(seed)
    Q, K, V = (rng.standard_normal((3, 2)) for _ in range(3))
    G = rng.standard_normal((3, 2))
    gQ, gK, gV = attention_gradients(Q, K, V, G)
    # adding a constant vector to every key shifts each row of scores by a constant,
    # so the loss cannot change along that direction: the rows of K-bar sum to zero
    np.testing.assert_allclose(gK.sum(axis=0), 0.0, atol=1e-10)
    # the gradient is linear in the adjoint arriving from above
    scaled = attention_gradients(Q, K, V, c * G)
    for a, b in zip(scaled, (gQ, gK, gV), strict=True):
        np.testing.assert_allclose(a, c * b, rtol=1e-10, atol=1e-12)
    # identical value rows: the output ignores the weights, so no gradient to Q and K
    gQ0, gK0, _ = attention_gradients(Q, K, np.tile(V[:1], (3, 1)), G)
    assert np.abs(gQ0).max() < 1e-12 and np.abs(gK0).max() < 1e-12


def test_attention_gradients_errors_and_no_mutation():
    Q = np.ones((2, 3))
    Q_copy = Q.copy()
    attention_gradients(Q, Q, np.ones((2, 4)), np.ones((2, 4)))
    assert np.array_equal(Q, Q_copy)
    with pytest.raises(ValueError, match="`grad_output` must have shape"):
        attention_gradients(Q, Q, np.ones((2, 4)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="`Q` and `K`"):
        attention_gradients(Q, np.ones((2, 2)), np.ones((2, 4)), np.ones((2, 4)))
    with pytest.raises(TypeError, match="`mask` must be boolean"):
        attention_gradients(
            Q, Q, np.ones((2, 4)), np.ones((2, 4)), mask=np.ones((2, 2))
        )


def test_hessian_and_gradient_descent_refuse_non_finite_values():
    # log is NaN left of 0: the stencil around 1e-5 reaches negative x
    with pytest.raises(ValueError, match="`f` returned NaN or infinity within `h`"):
        numerical_hessian(lambda v: float(np.log(v[0])), [1e-5])
    assert np.isfinite(numerical_hessian(lambda v: float(np.log(v[0])), [1.0])).all()
    # a NaN gradient is reported as such, not as a divergence of the iterates
    with pytest.raises(ValueError, match="`grad` returned NaN or infinity at step 0"):
        gradient_descent(lambda v: np.full_like(v, np.nan), [1.0], 0.1)
