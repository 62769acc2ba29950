"""Working sets for the stacked paths: train only the columns some model may need.

Along a path most input columns are exactly zero in every model after the first alphas, yet
each step of each model multiplies all of them. As the lasso solvers do (glmnet's strong
rules, Tibshirani et al. 2012, JRSS-B, with their group-lasso form; the working sets of celer
and skglm), a path here trains a stack on a working set of columns and checks the others:

- before an alpha, the working set shrinks to the groups that are non-zero in some model, or
  that the sequential strong rule keeps as candidates: group ``g`` is kept if the prox at
  ``2 * alpha - alpha_previous`` does not zero ``-grad_g``, the gradient of the training loss
  at the previous alpha (for the group lasso: ``||grad_g|| > (2 alpha - alpha_prev) w_g``);
- after it, the KKT condition of every group outside the working set is checked with the
  gradient of each model's full training loss: zero is optimal for the group iff the prox at
  ``alpha`` zeroes ``-grad_g``. A group that violates it rejoins, with the optimizer state it
  had when it left, and the models that violated it train again at that alpha.

Mini-batch training does not end an alpha at the KKT point of the full loss: groups that it
trains and leaves at zero show full gradients past their threshold, most early in a path.
The check therefore measures a violation against the same fit's own: an outside
group violates where it moves at ``alpha`` times the smallest factor (of ``_TOLERANCES``) at
which no zero group inside the working set moves.

A model's weights outside the working set are zero and would stay so in a stack that trains
every column while the check holds: such columns add nothing to the forward pass or to the
other weights' gradients. The screened path differs from the full one where the full one's
stochastic steps would have lifted a group whose full gradient passes the check, and in the
rounding of the products.
"""

import numpy as np
import torch

from .penalties import make_penalty

# shrink the stack only when it drops at least this share of its columns: a new stack copies
# every model's state
_SHRINK_SHARE = 0.25
# rounds of check-and-retrain at one alpha; the working set grows by a group at least each
# round, and violations are rare, so this is a safeguard
_MAX_CHECKS = 10
# factors of alpha tried by _tolerance
_TOLERANCES = (1.0, 1.1, 1.25, 1.5, 2.0)
# False: every path trains every column at every alpha (the reference the tests compare with)
_ENABLED = True


class WorkingSetPath:
    """A :class:`~sklearn_sparse_mlp._stacked.StackedTrainer` walking a path on working sets.

    Use it in place of the stack: ``fit`` at each alpha of the path in increasing order,
    ``snapshot``/``restore`` around a step the grid may undo, ``support_of``, ``lin1_of``,
    ``state_of`` and ``histories`` as the stack's (at full width).

    Parameters
    ----------
    stack : StackedTrainer
        The dense fits' stack; its columns are the ones a model may ever use.
    l1_ratio : float
        The penalty's (see :func:`~sklearn_sparse_mlp.penalties.make_penalty`).
    """

    def __init__(self, stack, l1_ratio):
        self.stack, self.l1_ratio, self.enabled = stack, l1_ratio, _ENABLED
        self.available = stack._trained_columns()
        self.groups = (np.arange(len(self.available)) if stack.groups is None
                       else np.asarray(stack.groups))
        self.lin1_state = None  # optimizer state of lin1 at full width, for rejoining columns
        self.last = None  # (alpha, models, zero-group positions, their gradient) of a check

    # the stack's own interface, at full width
    @property
    def histories(self):
        return self.stack.histories

    def support_of(self, m):
        return self.stack.support_of(m)

    def lin1_of(self, m):
        return self.stack.lin1_of(m)

    def state_of(self, m):
        return self.stack.state_of(m)

    def narrow_state_of(self, m):
        return self.stack.narrow_state_of(m)

    def snapshot(self):
        # the optimizer state kept for columns outside (lin1_state) is not part of it: a
        # column rejoining after an undone step starts from the state it left with there
        return self.stack, self.stack.snapshot(), self.last

    def restore(self, snapshot):
        self.stack, state, self.last = snapshot
        self.stack.restore(state)

    @property
    def n_columns(self):
        """The number of columns the stack trains now."""
        return len(self.stack._trained_columns())

    def fit(self, alpha, max_epochs, start_epochs, weight_decay, active):
        """``StackedTrainer.fit`` at ``alpha`` on a working set, checked (see module doc)."""
        if not self.enabled:
            return self.stack.fit(alpha, max_epochs, start_epochs, weight_decay, active)
        self._screen(alpha)
        result = self.stack.fit(alpha, max_epochs, start_epochs, weight_decay, active)
        for _ in range(_MAX_CHECKS):
            violators, groups = self._check(alpha, np.flatnonzero(active))
            if not len(groups):
                break
            self._use(np.union1d(self._positions(), np.flatnonzero(np.isin(self.groups,
                                                                              groups))))
            again = np.zeros(len(active), dtype=bool)
            again[violators] = True
            retrained = self.stack.fit(alpha, max_epochs, start_epochs, weight_decay, again)
            result.converged[again] = retrained.converged[again]
            result.train_loss[again] = retrained.train_loss[again]
        return result

    def _positions(self):
        """Positions in ``available`` of the columns the stack trains."""
        return np.flatnonzero(np.isin(self.available, self.stack._trained_columns()))

    def _nonzero_groups(self):
        """The groups non-zero in some model (any model: none may lose a weight)."""
        columns = np.zeros(len(self.available), dtype=bool)
        for m in range(len(self.stack.specs)):
            columns |= self.stack.support_of(m)[self.available]
        return np.unique(self.groups[columns])

    def _screen(self, alpha):
        """Shrink (or grow) the stack to the working set for ``alpha``."""
        if self.last is None:
            return
        previous, models, zero, gradient = self.last
        keep = np.isin(self.groups, self._nonzero_groups())
        strong = 2 * alpha - previous
        if strong > 0:  # a group that the strong rule keeps as a candidate
            moved = self._moved(strong, zero, gradient)
            keep[zero[moved.any(axis=0)]] = True
        else:
            keep[zero] = True
        wanted, current = np.flatnonzero(keep), self._positions()
        if not len(wanted):
            return  # every model is empty: the path ends here
        if not np.isin(wanted, current).all():
            self._use(np.union1d(wanted, current))
        elif len(wanted) <= (1 - _SHRINK_SHARE) * len(current):
            self._use(wanted)

    def _moved(self, alpha, positions, gradient):
        """(n_models, n_positions) bool: the columns that the prox at ``alpha`` does not
        zero at ``-gradient``, whole groups, i.e. the groups where zero is not optimal."""
        codes = np.unique(self.groups[positions], return_inverse=True)[1]
        penalty = make_penalty(alpha, self.l1_ratio, codes)
        moved = (penalty.prox(-gradient, 1.0) != 0).any(dim=1).cpu().numpy()
        by_group = np.zeros((len(moved), codes.max() + 1), dtype=bool)
        for m in range(len(moved)):
            np.logical_or.at(by_group[m], codes, moved[m])
        return by_group[:, codes]

    def _check(self, alpha, models):
        """The KKT check after a fit at ``alpha``: the models and the groups that violate
        it outside the working set. Keeps the zero groups' gradient for the strong rule."""
        nonzero = self._nonzero_groups()
        zero = np.flatnonzero(~np.isin(self.groups, nonzero))
        if not len(zero):
            self.last = None  # every group is in use: nothing to screen at the next alpha
            return [], []
        if not len(models):
            return [], []
        gradient = self.stack.lin1_gradient(self.available[zero], models)
        # a column a model holds at zero (constant over its rows) never moves in it
        held = np.stack([self.stack.specs[m].held[self.available[zero]] for m in models])
        gradient[torch.as_tensor(held)[:, None, :].expand_as(gradient)] = 0.0
        self.last = (alpha, models, zero, gradient)
        outside = ~np.isin(zero, self._positions())
        if not outside.any():
            return [], []
        moved = self._moved(alpha * self._tolerance(alpha, zero, gradient, ~outside), zero,
                            gradient) & outside[None, :]
        violators = models[moved.any(axis=1)]
        return violators, np.unique(self.groups[zero[moved.any(axis=0)]])

    def _tolerance(self, alpha, zero, gradient, inside):
        """The factor of ``alpha`` up to which the training itself leaves groups at zero:
        the smallest of ``_TOLERANCES`` at which no zero group that the stack trains moves.

        Mini-batch steps do not reach the KKT point of the full loss: the prox sees an
        average of a few batch gradients, and at the end of an alpha zero groups that the
        stack trains show full gradients past their threshold (the user guide has the
        figures). An outside group is a violation where it passes what they pass."""
        if not inside.any():
            return 1.0
        for factor in _TOLERANCES:
            if not self._moved(alpha * factor, zero[inside], gradient[:, :, inside]).any():
                return factor
        return _TOLERANCES[-1]

    def _use(self, positions):
        """Train the columns at ``positions`` of ``available`` from now on."""
        stack = self.stack
        if self.lin1_state is None:
            self.lin1_state = stack.lin1_state()
        else:  # the columns leaving keep their optimizer state here
            state, trained = stack.lin1_state(), stack._trained_columns()
            for name, value in state.items():
                self.lin1_state[name][:, :, trained] = value[:, :, trained]
        groups = np.unique(self.groups[positions], return_inverse=True)[1]
        self.stack = stack.with_columns(self.available[positions], groups, self.lin1_state)
