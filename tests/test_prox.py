import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_sparse_mlp._prox import (
    _diagonal_group_prox,
    group_soft_threshold,
    soft_threshold,
    sparse_group_soft_threshold,
)

finite = st.floats(-10, 10, allow_nan=False, width=64)


def _group_objective(X, Z, step, lam, groups=None):
    """1/2 sum (X - Z)^2 / step + lam * sum_g ||X_g||_2 (each column its own group if None)."""
    fit = 0.5 * ((X - Z) ** 2 / step).sum()
    cols = X.shape[1]
    groups = np.arange(cols) if groups is None else np.asarray(groups)
    pen = sum(np.linalg.norm(X[:, groups == g]) for g in np.unique(groups))
    return fit + lam * pen


def test_soft_threshold_closed_form():
    W = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    expected = torch.tensor([-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0])
    assert torch.equal(soft_threshold(W, 1.0), expected)


def test_soft_threshold_per_coordinate():
    W = torch.tensor([[2.0, -2.0], [0.3, 5.0]])
    t = torch.tensor([[1.0, 3.0], [0.1, float("inf")]])
    assert torch.allclose(soft_threshold(W, t), torch.tensor([[1.0, 0.0], [0.2, 0.0]]))


@given(arrays(np.float64, (4, 3), elements=finite), st.floats(0, 5))
def test_soft_threshold_zero_iff_below_threshold(W, thr):
    out = soft_threshold(torch.from_numpy(W), thr).numpy()
    assert np.all((out == 0) == (np.abs(W) <= thr))
    assert np.all(np.sign(out) * np.sign(W) >= 0)


def test_group_soft_threshold_scalar_closed_form():
    W = torch.tensor([[3.0, 0.1, 1.0], [4.0, 0.1, 0.0]], dtype=torch.float64)
    out = group_soft_threshold(W, 0.5, 2.0)  # threshold 1 on each column norm
    expected = torch.tensor([[2.4, 0.0, 0.0], [3.2, 0.0, 0.0]], dtype=torch.float64)
    assert torch.allclose(out, expected)
    assert (out[:, 1:] == 0).all()  # exact zeros, also at the threshold (norm 1 == 1)


def test_group_prox_with_uniform_tensor_step_equals_scalar_step():
    rng = np.random.RandomState(0)
    W = torch.from_numpy(rng.randn(8, 6))
    scalar = group_soft_threshold(W, 0.3, 1.5)
    tensor = group_soft_threshold(W, torch.full_like(W, 0.3), 1.5)
    assert torch.allclose(scalar, tensor, atol=1e-12)


def test_group_prox_per_coordinate_step_is_optimal():
    """The diagonal-step prox minimises its objective: no nearby point does better."""
    rng = np.random.RandomState(1)
    Z = rng.randn(5, 7)
    Z[:, :2] *= 0.05  # two columns below the threshold
    step = rng.uniform(0.05, 2.0, size=Z.shape)
    lam = 0.8
    X = group_soft_threshold(torch.from_numpy(Z), torch.from_numpy(step), lam).numpy()
    best = _group_objective(X, Z, step, lam)
    for _ in range(300):
        other = X + 1e-3 * rng.randn(*X.shape)
        assert _group_objective(other, Z, step, lam) >= best - 1e-12
    # the zero test of the closed form: zero iff ||Z_j / step_j|| <= lam
    zero_cols = np.linalg.norm(Z / step, axis=0) <= lam
    assert np.array_equal(np.all(X == 0, axis=0), zero_cols)
    assert zero_cols.any() and not zero_cols.all()


def test_group_prox_per_coordinate_optimality_condition():
    """KKT for a non-zero column: (Z - X) / step = lam * X / ||X||, to float64 precision."""
    rng = np.random.RandomState(2)
    Z = rng.randn(16, 4) * 3
    step = rng.uniform(0.01, 1.0, size=Z.shape)
    X = group_soft_threshold(torch.from_numpy(Z), torch.from_numpy(step), 0.5).numpy()
    for j in range(Z.shape[1]):
        if np.any(X[:, j]):
            grad = (Z[:, j] - X[:, j]) / step[:, j]
            np.testing.assert_allclose(grad, 0.5 * X[:, j] / np.linalg.norm(X[:, j]), atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(-6, 0), st.floats(1.0 + 1e-9, 3.0))
def test_group_prox_optimality_with_steps_over_many_decades(seed, log_min_step, excess):
    """KKT to float64 precision with Adam-like steps spread over up to 9 decades per column,
    grouped columns, and one group barely above its threshold (root near r = 0)."""
    rng = np.random.RandomState(seed)
    step = 10.0 ** rng.uniform(log_min_step * 1.5, 3.0, size=(12, 6))
    Z = rng.randn(12, 6)
    groups = np.array([0, 0, 1, 2, 2, 2])
    d_z = Z / step
    lam = np.linalg.norm(d_z[:, groups == 0]) / excess  # group 0 just above lam when excess ~ 1
    X = group_soft_threshold(torch.from_numpy(Z), torch.from_numpy(step), lam, groups=groups)
    X = X.numpy()
    for g in range(3):
        cols = groups == g
        if np.linalg.norm(d_z[:, cols]) <= lam:
            assert np.all(X[:, cols] == 0)
            continue
        norm = np.linalg.norm(X[:, cols])
        assert norm > 0
        np.testing.assert_allclose((Z[:, cols] - X[:, cols]) / step[:, cols],
                                   lam * X[:, cols] / norm, rtol=1e-7,
                                   atol=1e-9 * np.abs(d_z[:, cols]).max())


@pytest.mark.parametrize("excess", [1 + 1e-5, 1 + 1e-6, 1 + 1e-8, 1.5, 100.0])
def test_diagonal_newton_stops_in_a_few_iterations(excess):
    """Also for groups just above their threshold, where rounding at the root once kept a
    relative test on |update| from passing until the 100-iteration cap (for every group)."""
    rng = np.random.RandomState(0)
    n_rows, n_cols = 64, 200
    step = torch.from_numpy(10.0 ** rng.uniform(-4, 0, size=(n_rows, n_cols)))
    Z = torch.from_numpy(rng.randn(n_rows, n_cols))
    d = 1.0 / step
    dz = d * Z
    lam = dz.norm(dim=0) / excess  # every column just above (or well above) its threshold
    X, n_iter = _diagonal_group_prox(Z, step, lam, torch.arange(n_cols), None, n_cols)
    assert n_iter <= 8
    norms = X.norm(dim=0)
    grad = (Z - X) / step
    torch.testing.assert_close(grad, lam * X / norms, rtol=1e-6, atol=1e-8 * dz.abs().max())


def test_group_prox_infinite_step_zeroes_coordinate():
    Z = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    step = torch.tensor([[float("inf")], [1.0]], dtype=torch.float64)
    out = group_soft_threshold(Z, step, 0.5)
    assert out[0, 0] == 0
    assert torch.isfinite(out).all()
    assert out[1, 0] == pytest.approx(1.5)


def test_group_prox_groups_drop_together_and_are_weighted():
    # two columns in one group: norm over both, weight sqrt(2)
    W = torch.tensor([[1.0, 1.0, 5.0], [1.0, 1.0, 0.0]], dtype=torch.float64)
    out = group_soft_threshold(W, 1.0, 1.0, groups=[0, 0, 1],
                               group_weights=torch.tensor([np.sqrt(2), 1.0]))
    # group 0 norm 2, threshold sqrt(2): shrink 1 - sqrt(2)/2
    assert torch.allclose(out[:, :2], W[:, :2] * (1 - np.sqrt(2) / 2))
    out = group_soft_threshold(W, 1.0, 1.5, groups=[0, 0, 1],
                               group_weights=torch.tensor([np.sqrt(2), 1.0]))
    assert (out[:, :2] == 0).all() and (out[:, 2] != 0).any()


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, (3, 4), elements=finite), st.floats(0.01, 3), st.floats(0.1, 2))
def test_group_prox_not_worse_than_input_or_zero(Z, lam, step):
    X = group_soft_threshold(torch.from_numpy(Z), step, lam).numpy()
    obj = _group_objective(X, Z, step, lam)
    assert obj <= _group_objective(Z, Z, step, lam) + 1e-9
    assert obj <= _group_objective(np.zeros_like(Z), Z, step, lam) + 1e-9


def test_sparse_group_is_composition_and_limits():
    rng = np.random.RandomState(3)
    W = torch.from_numpy(rng.randn(6, 5))
    step = torch.from_numpy(rng.uniform(0.1, 1, size=(6, 5)))
    out = sparse_group_soft_threshold(W, step, 1.0, 0.3)
    expected = group_soft_threshold(soft_threshold(W, step * 0.3), step, 0.7)
    assert torch.allclose(out, expected)
    assert torch.equal(sparse_group_soft_threshold(W, step, 1.0, 1.0), soft_threshold(W, step))
    assert torch.allclose(sparse_group_soft_threshold(W, step, 1.0, 0.0),
                          group_soft_threshold(W, step, 1.0))


def test_sparse_group_prox_is_optimal():
    rng = np.random.RandomState(4)
    Z = rng.randn(4, 6)
    step = rng.uniform(0.1, 1.0, size=Z.shape)
    lam1, lam2 = 0.4, 0.6

    def objective(X):
        return _group_objective(X, Z, step, lam2) + lam1 * np.abs(X).sum()

    X = sparse_group_soft_threshold(torch.from_numpy(Z), torch.from_numpy(step), 1.0, 0.4).numpy()
    best = objective(X)
    for _ in range(300):
        assert objective(X + 1e-3 * rng.randn(*X.shape)) >= best - 1e-12


def test_prox_does_not_modify_input_and_keeps_dtype():
    W = torch.randn(3, 4)
    before = W.clone()
    out = sparse_group_soft_threshold(W, torch.full_like(W, 0.1), 1.0, 0.5)
    assert torch.equal(W, before)
    assert out.dtype == torch.float32


def test_group_prox_zero_step_leaves_the_group_unchanged():
    Z = torch.tensor([[1.0, -2.0, 0.1], [0.5, 1.0, 0.2]], dtype=torch.float64)
    step = torch.tensor([[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]], dtype=torch.float64)
    out = group_soft_threshold(Z, step, 0.5)
    assert torch.equal(out[:, 0], Z[:, 0])
    torch.testing.assert_close(out[:, 1:], group_soft_threshold(Z[:, 1:], 1.0, 0.5))
    assert torch.equal(group_soft_threshold(Z, torch.zeros_like(Z), 0.5), Z)
    assert torch.equal(sparse_group_soft_threshold(Z, torch.zeros_like(Z), 0.5, 0.5), Z)
    # a group stepped on part of its coordinates only is another problem: refused
    with pytest.raises(ValueError, match="step is 0 on part of a group"):
        group_soft_threshold(Z, step, 0.5, groups=[0, 0, 1])


def test_penalties_check_their_arguments():
    from sklearn_sparse_mlp import L1, GroupLasso, SparseGroupLasso, make_penalty

    W = torch.tensor([[1.0, -2.0, 0.1]])
    for make in (L1, GroupLasso):
        with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
            make(-1.0)
        with pytest.raises(ValueError, match="step must be a number >= 0"):
            make(0.5).prox(W, -1.0)
        with pytest.raises(ValueError, match=r"step must be a scalar or shaped like W \(1, 3\)"):
            make(0.5).prox(W, torch.ones(3, 1))
        # a numpy step works as a tensor one, and the dtype stays W's
        out = make(0.5).prox(W, np.full((1, 3), 0.5))
        assert out.dtype == W.dtype
        torch.testing.assert_close(out, make(0.5).prox(W, 0.5))
    with pytest.raises(ValueError, match="l1_ratio must be a number in"):
        make_penalty(0.1, l1_ratio=2.0)
    with pytest.raises(ValueError, match="l1_ratio must be a number in"):
        SparseGroupLasso(0.1, l1_ratio=-0.5)
    with pytest.raises(ValueError, match="groups has 2 labels but W has 3 columns"):
        GroupLasso(0.1, groups=[0, 1]).prox(W, 1.0)
    with pytest.raises(ValueError, match="groups has 2 labels but W has 3 columns"):
        GroupLasso(0.1, groups=[0, 1]).value(W)


def test_float32_group_prox_matches_float64_and_falls_back_where_float32_overflows():
    from sklearn_sparse_mlp._prox import _diagonal_group_prox, _Float32Overflow

    rng = np.random.RandomState(0)
    Z = rng.randn(2, 16, 30)
    step = 10.0 ** rng.uniform(-4, 1, size=Z.shape)  # Adam-like steps
    lam = 0.5 * np.median(np.linalg.norm(Z / step, axis=-2))  # about half the columns zero
    expected = group_soft_threshold(torch.from_numpy(Z), torch.from_numpy(step), lam)
    got = group_soft_threshold(torch.from_numpy(Z).float(), torch.from_numpy(step).float(),
                               lam)
    assert got.dtype == torch.float32
    assert torch.equal(got != 0, expected != 0)
    assert 0 < int((expected != 0).any(dim=-2).sum()) < 60
    torch.testing.assert_close(got, expected.float(), rtol=1e-5, atol=1e-7)
    # steps over 25 decades in one column: (W / (r + lam * step))^2 overflows float32 at the
    # first Newton iteration, and the prox is taken in float64 instead
    Z, step = Z[0, :, :4], step[0, :, :4].copy()
    step[0, 0], step[1, 0] = 1e-25, 1.0
    lam = 1.0001 * np.linalg.norm(Z[:, 1] / step[:, 1])
    W32, step32 = torch.from_numpy(Z).float(), torch.from_numpy(step).float()
    with pytest.raises(_Float32Overflow):
        _diagonal_group_prox(W32, step32, torch.full((4,), lam), torch.arange(4), None, 4)
    expected = group_soft_threshold(torch.from_numpy(Z), torch.from_numpy(step), lam)
    got = group_soft_threshold(W32, step32, lam)
    assert bool(torch.isfinite(got).all())
    torch.testing.assert_close(got, expected.float(), rtol=1e-6, atol=0.0)


def test_group_weights_weigh_each_column_without_groups():
    """groups=None with group_weights: each column its own group, with its own weight, as
    with the explicit groups 0..n-1 (the column-wise path once used the first weight for
    every column)."""
    rng = np.random.RandomState(0)
    W = torch.from_numpy(rng.randn(2, 8, 6))
    step = torch.from_numpy(10.0 ** rng.uniform(-2, 0, size=W.shape))
    weights = torch.tensor([0.1, 0.5, 1.0, 2.0, 4.0, 8.0], dtype=torch.float64)
    alpha = 0.3 * float(np.median(np.linalg.norm((W / step).numpy(), axis=-2)))
    expected = group_soft_threshold(W, step, alpha, groups=np.arange(6), group_weights=weights)
    got = group_soft_threshold(W, step, alpha, group_weights=weights)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    zero = (expected == 0).all(dim=-2)
    assert zero.any() and not zero.all()  # the weights decide which columns go
    # a single model with most columns dropped takes the gathered path: the same
    torch.testing.assert_close(group_soft_threshold(W[0], step[0], 3 * alpha,
                                                    group_weights=weights),
                               group_soft_threshold(W[0], step[0], 3 * alpha,
                                                    groups=np.arange(6), group_weights=weights))


def test_float64_step_keeps_float32_weights_out_of_float32_underflow():
    # a step of 1e-50 is 0 in float32, which would mean "part of the group not stepped"
    W = torch.tensor([[1.0, -2.0], [0.5, 1.0]])
    step = torch.tensor([[1e-50, 1.0], [1.0, 1.0]], dtype=torch.float64)
    got = group_soft_threshold(W, step, 0.5, groups=[0, 0])
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, group_soft_threshold(W.double(), step, 0.5,
                                                         groups=[0, 0]).float())


@pytest.mark.parametrize("seed", [0, 1])
def test_gathered_group_prox_is_the_prox_of_every_group(seed):
    """Where few groups survive, their columns of every stacked model are gathered for the
    root find: the result is the one of the whole (each model its own groups, columns of a
    group not adjacent, weighted groups)."""
    rng = np.random.RandomState(seed)
    W = torch.from_numpy(rng.randn(3, 5, 12))
    W[..., rng.rand(12) < 0.5] *= 0.05  # small columns: most groups go
    step = torch.from_numpy(10.0 ** rng.uniform(-2, 0, size=W.shape))
    groups = rng.permutation(np.repeat(np.arange(4), 3))
    weights = torch.from_numpy(rng.uniform(0.5, 2.0, 4))
    group_ids = torch.as_tensor(groups)
    lam = torch.full((4,), 1.0, dtype=torch.float64) * weights
    column_sq = ((W / step).numpy() ** 2).sum(axis=-2)  # (3, 12)
    group_norms = np.sqrt([column_sq[:, groups == g].sum(axis=-1) for g in range(4)])
    for alpha in np.quantile(group_norms / weights.numpy()[:, None], [0.75, 0.85]):
        got = group_soft_threshold(W, step, alpha, groups=groups, group_weights=weights)
        expected = _diagonal_group_prox(W, step, lam * alpha, group_ids, group_ids, 4)[0]
        kept = (got != 0).any(dim=-2)
        assert 0 < int(kept.sum()) < kept.numel() / 3  # the gathered path, non-trivial
        torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_groups_of_one_column_give_the_floats_of_the_group_prox():
    """A working set numbers its columns 0..n-1, one group each: the prox takes the
    column-wise operations then, yet must give bit for bit what the group prox gives (the
    path's results must not depend on which of the two ran), also where a third to a half of
    the columns survive: the group prox finds every root there, where the column-wise prox
    alone would gather the survivors (which rounds differently)."""
    rng = np.random.RandomState(0)
    n_checked = 0
    while n_checked < 40:
        n_models, n_hidden, n_columns = rng.randint(1, 6), rng.randint(2, 60), rng.randint(4, 30)
        W = torch.from_numpy(rng.randn(n_models, n_hidden, n_columns).astype(np.float32) * 0.1)
        step = torch.from_numpy(
            (1e-3 / (rng.rand(n_models, n_hidden, n_columns) * 0.01 + 1e-4)).astype(np.float32))
        column_norms = ((W / step) ** 2).sum(dim=-2).sqrt()
        alpha = float(np.quantile(column_norms.numpy(), rng.uniform(0.5, 0.67)))
        got = group_soft_threshold(W, step, alpha, groups=np.arange(n_columns),
                                   group_weights=torch.ones(n_columns, dtype=torch.float64))
        kept = (got != 0).any(dim=-2)
        if not kept.numel() < 3 * int(kept.sum()) < 1.5 * kept.numel():  # a third to a half
            continue
        ids = torch.arange(n_columns)
        expected = _diagonal_group_prox(W, step, torch.full((n_columns,), alpha), ids, ids,
                                        n_columns)[0]
        assert torch.equal(got, expected)
        n_checked += 1
