"""Proximal operators of the first-layer penalties, as pure torch functions.

``W`` is a weight matrix of shape ``(n_hidden, n_features)``: column ``W[:, j]`` holds every
weight that reads input feature ``j``; leading dimensions ``(..., n_hidden, n_features)`` are
independent problems (stacked models). ``step`` is either a scalar or a tensor shaped like
``W`` (the per-coordinate step of an adaptive optimizer). Nothing here modifies its inputs.
"""

import torch

__all__ = ["soft_threshold", "group_soft_threshold", "sparse_group_soft_threshold"]

# Newton on the secular equation of the diagonal-step group prox, in the form 1 / ||v(r)|| = 1
# (see _diagonal_group_prox), converges quadratically and monotonically; 100 iterations is a
# safety bound (the user guide gives the usual count), convergence is detected per group.
_NEWTON_MAX_ITER = 100
# A group stops once its update is below eps ** 0.75 of r: quadratic convergence leaves a
# relative error of order (update / r) ** 2 = eps ** 1.5 after it, under eps by a margin of
# eps ** -0.5 for the constant; iterations after that only confirm the root (user guide)
_NEWTON_RTOL_EXPONENT = 0.75


def soft_threshold(W, threshold):
    """Element-wise soft-thresholding, the proximal operator of ``threshold * |w|``.

    Parameters
    ----------
    W : torch.Tensor
        Input tensor.
    threshold : float or torch.Tensor
        Non-negative threshold, a scalar or a tensor broadcastable to ``W``.

    Returns
    -------
    torch.Tensor
        ``sign(W) * max(|W| - threshold, 0)``; entries with ``|W| <= threshold`` are exactly 0.

    Examples
    --------
    >>> import torch
    >>> soft_threshold(torch.tensor([-2.0, 0.5, 3.0]), 1.0)
    tensor([-1.,  0.,  2.])
    """
    if not torch.is_tensor(threshold):
        threshold = torch.tensor(threshold, dtype=W.dtype, device=W.device)
    # W - clip(W) is exact and gives +0.0 (not -0.0) inside the threshold.
    return W - torch.clamp(W, -threshold, threshold)


def _group_ids(groups, n_features, device):
    if groups is None:
        return torch.arange(n_features, device=device), n_features
    group_ids = torch.as_tensor(groups, device=device, dtype=torch.long)
    return group_ids, int(group_ids.max()) + 1 if group_ids.numel() else 0


def _sum_per_group(values, group_ids, n_groups):
    """Sum ``values`` (..., n_hidden, n_features) over each group of columns -> (..., n_groups)."""
    per_column = values.sum(dim=-2)
    if group_ids is None:
        return per_column
    out = torch.zeros(*per_column.shape[:-1], n_groups, dtype=values.dtype,
                      device=values.device)
    return out.index_add_(-1, group_ids, per_column)


def _min_per_group(values, group_ids, n_groups):
    """Min of ``values`` (..., n_hidden, n_features) over each group of columns."""
    per_column = values.amin(dim=-2)
    if group_ids is None:
        return per_column
    out = torch.full((*per_column.shape[:-1], n_groups), torch.inf, dtype=values.dtype,
                     device=values.device)
    return out.scatter_reduce_(-1, group_ids.expand_as(per_column), per_column, reduce="amin")


def group_soft_threshold(W, step, alpha, groups=None, group_weights=None):
    """Block soft-thresholding of groups of columns: the prox of a group lasso.

    Solves, for each group ``g`` of columns (by default each column is its own group),

    ``argmin_X 1/2 sum_i (X_i - W_i)^2 / step_i + alpha * w_g * ||X_g||_2``

    With a scalar step this is the closed form ``W_g * max(0, 1 - step * alpha * w_g /
    ||W_g||_2)``. With a per-coordinate step (Adam, Adagrad) there is no closed form: with
    ``d = 1 / step`` the group is zero iff ``||d * W_g||_2 <= alpha * w_g``, and otherwise
    ``X_i = d_i W_i r / (d_i r + alpha * w_g)`` where ``r = ||X_g||_2`` is the root of
    ``sum_i (d_i W_i / (d_i r + alpha * w_g))^2 = 1``, found by a vectorised Newton iteration
    (on the reciprocal of the norm, as for a trust region) to machine precision, in the
    precision of ``W`` (at least float32; float64 where float32 would overflow).

    Parameters
    ----------
    W : torch.Tensor of shape (..., n_hidden, n_features)
        Weights; columns are grouped. Leading dimensions are independent problems (e.g.
        stacked models), each with the same groups.
    step : float or torch.Tensor of the shape of W
        Non-negative step size, scalar or per coordinate. An infinite step zeroes its
        coordinate; a zero step on every coordinate of a group leaves the group unchanged.
    alpha : float
        Non-negative penalty strength.
    groups : array-like of int of shape (n_features,), default=None
        Group index in ``0..n_groups-1`` of each column; None puts each column in its own group.
    group_weights : torch.Tensor of shape (n_groups,), default=None
        Multiplier of ``alpha`` per group; None means 1 for every group.

    Returns
    -------
    torch.Tensor
        The proximal point, same shape and dtype as ``W``.

    Examples
    --------
    >>> import torch
    >>> W = torch.tensor([[3.0, 0.1], [4.0, 0.1]])
    >>> group_soft_threshold(W, 1.0, 1.0)
    tensor([[2.4000, 0.0000],
            [3.2000, 0.0000]])
    """
    if alpha == 0:
        return W.clone()
    n_features = W.shape[-1]
    group_ids, n_groups = _group_ids(groups, n_features, W.device)
    # groups of one column each, in order (as a working set numbers the columns it trains),
    # take the column-wise operations: fewer, with the very same floats
    index = None if groups is None or (n_groups == n_features and bool(
        torch.equal(group_ids, torch.arange(n_features, device=W.device)))) else group_ids
    lam = torch.full((n_groups,), float(alpha), dtype=torch.float64, device=W.device)
    if group_weights is not None:
        lam = lam * torch.as_tensor(group_weights, dtype=torch.float64, device=W.device)
    if not torch.is_tensor(step) or step.numel() == 1:
        W64 = W.to(torch.float64)
        step = float(step)
        norms = torch.sqrt(_sum_per_group(W64 * W64, index, n_groups))
        norms = torch.clamp(norms, min=torch.finfo(W64.dtype).tiny)
        shrink = torch.clamp(1.0 - step * lam / norms, min=0.0)
        return (W64 * shrink[..., group_ids].unsqueeze(-2)).to(W.dtype)

    # Newton runs in the weights' precision (float32 for a network, much cheaper than float64
    # on a wide first layer); where that overflows (steps spread over more decades than
    # float32 can square) the prox is taken again in float64.
    # (a float64 step, e.g. a numpy one, keeps float64: steps below float32's range would
    # round to 0, which means 'not stepped')
    work = torch.promote_types(torch.promote_types(W.dtype, step.dtype), torch.float32)
    try:
        X = _diagonal_prox(W.to(work), step.to(work), lam.to(work), groups, group_ids, index,
                           n_groups)
    except _Float32Overflow:
        X = _diagonal_prox(W.to(torch.float64), step.to(torch.float64), lam, groups,
                           group_ids, index, n_groups)
    return X.to(W.dtype)


class _Float32Overflow(ArithmeticError):
    """The diagonal-step prox overflowed in float32 (it is then taken in float64)."""


def _diagonal_prox(W, step, lam, groups, group_ids, index, n_groups):
    """``group_soft_threshold`` with a per-coordinate step, in the dtype of its arguments."""
    # A zero step (a learning rate of 0: the optimizer did not move) leaves its group as it
    # is. Within a group it must be all or nothing: a coordinate held fixed would make the
    # rest a different problem (none of the optimizers steps part of a group by 0).
    zero_step = step == 0
    frozen = None
    if zero_step.any():
        n_zero = _sum_per_group(zero_step.to(step.dtype), index, n_groups)
        size = _sum_per_group(torch.ones_like(step), index, n_groups)
        if torch.any((n_zero > 0) & (n_zero < size)):
            raise ValueError(
                "The step is 0 on part of a group of columns: a group is either stepped or "
                "left as it is (step 0 on all of its coordinates)."
            )
        frozen = (n_zero > 0) if index is None else (n_zero > 0)[..., group_ids]
        frozen = frozen.unsqueeze(-2)
        step = torch.where(zero_step, torch.ones_like(step), step)
    # the masked gathers and the scatter back cost about what half (single columns) or a
    # third (groups) of the root find saves; groups given one column each keep the groups'
    # share, so that they give the very same floats as other groups
    X = _prox_of_survivors(W, step, lam, index, n_groups, 2 if groups is None else 3)
    if frozen is not None:
        X = torch.where(frozen, W, X)
    return X


def _prox_of_survivors(W, step, lam, index, n_groups, gather_below):
    """The diagonal-step prox, where only the groups that survive need the root find.

    ``lam``: one penalty per group; ``index``: the group of each column, None where each
    column is its own group. Where fewer than ``1 / gather_below`` of the (leading index,
    group) pairs survive (as once most features are dropped from a wide first layer of every
    stacked model), their columns are gathered side by side, each pair a group of its own.
    """
    dz_sq = _sum_per_group((W / step).square(), index, n_groups)  # ||d W_g||^2, (..., n_groups)
    survives = dz_sq > lam * lam
    n_survivors = int(survives.sum())
    if n_survivors == 0:
        return torch.zeros_like(W)
    if gather_below * n_survivors > survives.numel():
        return _diagonal_group_prox(W, step, lam, index, index, n_groups, dz_sq)[0]
    if index is None:
        kept, ids, lam_kept = survives, None, lam.expand_as(survives)[survives]
    else:
        kept = survives[..., index]  # (..., n_columns): the columns of surviving groups
        # (leading index, group) of each column, numbered as dz_sq's entries are laid out
        leading = torch.arange(survives.numel() // n_groups, device=W.device)
        pairs = (leading.reshape(survives.shape[:-1] + (1,)) * n_groups + index)[kept]
        survivors, ids = torch.unique(pairs, return_inverse=True)
        lam_kept = lam[survivors % n_groups]
    X = torch.zeros_like(W)
    columns = W.transpose(-1, -2)[kept].t()  # (n_hidden, n_kept_columns)
    steps = step.transpose(-1, -2)[kept].t()
    solved = _diagonal_group_prox(columns, steps, lam_kept, ids, ids, n_survivors,
                                  dz_sq[survives])[0]
    X.transpose(-1, -2)[kept] = solved.t()
    return X


def _diagonal_group_prox(W, step, lam, group_ids, index, n_groups, dz_sq=None):
    """Prox of every group under the diagonal metric ``d = 1 / step`` (see
    group_soft_threshold), in the dtype of ``W``, ``step`` and ``lam``.

    ``index`` None: each column is its own group (``group_ids`` is not used, ``lam`` is one
    value or one per column). ``dz_sq``: ``||d W_g||^2`` of each group, if known.
    Returns the proximal point and the number of Newton iterations.
    """
    # d * W; an infinite step (zero curvature estimate) gives d = 0: that coordinate is
    # unconstrained by the data and goes to 0, as the prox demands.
    if dz_sq is None:
        dz_sq = _sum_per_group((W / step).square(), index, n_groups)
    dz_norm = torch.sqrt(dz_sq)

    def per_column(values):  # (..., n_groups) -> (..., 1, n_columns)
        return (values if index is None else values[..., group_ids]).unsqueeze(-2)

    # Root r > 0 of ||v(r)|| = 1 with v_i = d_i W_i / (d_i r + lam) = W_i / (r + q_i),
    # q_i = lam * step_i: the secular equation of a trust region (More and Sorensen, 1983),
    # where Newton on phi(r) = 1 / ||v(r)|| - 1 beats Newton on ||v||^2 - 1: phi is concave
    # and increasing, so from below the root it increases monotonically to it, and it is
    # linear, hence solved in one step, when d is constant over the group. Start: the root of
    # the lower bound ||d W|| / (max(d) r + lam) = 1, i.e. (||d W|| - lam) * min(step).
    # Zero groups (||d W|| <= lam) stay at r = 0 and give X = 0.
    q = (lam if index is None else lam[group_ids]) * step
    active = dz_norm > lam
    r = torch.where(active, (dz_norm - lam) * _min_per_group(step, index, n_groups), 0.0)
    narrow = W.dtype != torch.float64
    rtol = torch.finfo(W.dtype).eps ** _NEWTON_RTOL_EXPONENT
    for n_iter in range(1, _NEWTON_MAX_ITER + 1):  # noqa: B007 (returned after the loop)
        inverse = (per_column(r) + q).reciprocal_()  # one division, not two
        ratio_sq = (W * inverse).square_()
        v_sq = _sum_per_group(ratio_sq, index, n_groups)  # ||v||^2
        # -d(||v||^2)/dr / 2 = sum_i v_i^2 / (r + q_i)
        slope = _sum_per_group(ratio_sq.mul_(inverse), index, n_groups)
        # r only grows, so both are largest at the first iteration: an overflow there (or a
        # non-finite start, from (W / step)^2) is the only one possible
        if narrow and n_iter == 1 and not bool(torch.isfinite(v_sq + slope + r).all()):
            raise _Float32Overflow
        # -phi / phi' = (1 - ||v||^-1) ||v||^3 / slope, written so that ||v||^3 never forms
        # (it overflows float64 for ||v|| > 1e102)
        update = torch.where(active, (torch.sqrt(v_sq) - 1.0) * (v_sq / slope), 0.0)
        r = r + update
        # Each group stops for good at its first step that does not move it up by more than
        # rtol * r (a one-sided test): at the root rounding makes r flicker by about
        # eps * (r + q_i), more than any two-sided relative test on |update| allows for a
        # group just above its threshold (r << q_i), and groups flickering out of phase kept
        # a test over all groups from ever passing.
        active = active & (update > rtol * r)
        if not bool(active.any()):
            break
    r_col = per_column(r)
    return W * r_col / (r_col + q), n_iter


def sparse_group_soft_threshold(W, step, alpha, l1_ratio, groups=None, group_weights=None):
    """Prox of the sparse-group lasso ``alpha * (l1_ratio * ||W||_1 + (1 - l1_ratio) * GL(W))``.

    ``GL`` is the (weighted) sum of the l2 norms of the groups of columns. The prox is the
    element-wise soft-thresholding with ``step * alpha * l1_ratio`` followed by the group prox
    with ``alpha * (1 - l1_ratio)``; the composition is exact, also with a per-coordinate step.

    Parameters
    ----------
    W : torch.Tensor of shape (n_hidden, n_features)
        Weights.
    step : float or torch.Tensor of shape (n_hidden, n_features)
        Positive step size, scalar or per coordinate.
    alpha : float
        Non-negative penalty strength.
    l1_ratio : float
        Share of the element-wise L1 term, in [0, 1].
    groups : array-like of int of shape (n_features,), default=None
        Group index of each column; None puts each column in its own group.
    group_weights : torch.Tensor of shape (n_groups,), default=None
        Multiplier of the group term per group.

    Returns
    -------
    torch.Tensor
        The proximal point, same shape and dtype as ``W``.

    Examples
    --------
    >>> import torch
    >>> W = torch.tensor([[3.0, 0.5], [4.0, -0.2]])
    >>> sparse_group_soft_threshold(W, 1.0, 1.0, l1_ratio=0.5)
    tensor([[2.2094, 0.0000],
            [3.0931, 0.0000]])
    """
    X = W
    if l1_ratio > 0:
        X = soft_threshold(X, step * (alpha * l1_ratio))
    if l1_ratio < 1:
        X = group_soft_threshold(X, step, alpha * (1.0 - l1_ratio), groups, group_weights)
    return X
