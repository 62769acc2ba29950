"""Working sets for the stacked paths: each model trains only the columns it may need.

Along a path most input columns are exactly zero in every model after the first alphas, yet
each step of each model multiplies all of them. As the lasso solvers do (glmnet's strong
rules, Tibshirani et al. 2012, JRSS-B, with their group-lasso form; the working sets of celer
and skglm), each model of a path's stack trains a working set of columns and checks the
others:

- before an alpha, a model's working set shrinks to its own non-zero groups and those that
  the sequential strong rule keeps as its candidates: group ``g`` is kept if the prox at
  ``c * (2 * alpha - alpha_previous)`` does not zero ``-grad_g``, the gradient of the model's
  training loss at the previous alpha (for the group lasso: ``||grad_g|| > c (2 alpha -
  alpha_prev) w_g``), with ``c = _CANDIDATE_FACTOR`` (0.25) below the rule's 1 because
  mini-batch steps lift groups below the exact rule's threshold. The stack trains the union
  of the models' working sets; each model holds the columns of the union outside its own
  at zero;
- after it, the KKT condition of every zero group outside a model's working set is checked
  with the gradient of that model's full training loss: zero is optimal for the group iff
  the prox at ``alpha`` zeroes ``-grad_g``. A group that violates it joins the model's
  working set (the stack's too, with the optimizer state it had when it left), and the
  models that violated it train again at that alpha.

The working sets are each model's own, not the union's: a fold's model may only take up a
column for its own training rows' sake. In a shared working set, the columns that the other
models (the full data's and the other folds', whose training rows include this fold's test
rows) fit their rows with could be taken up by this fold's mini-batch steps, and would then
score on its test rows what they had memorised there: at 20,000 noise columns and 500 rows,
the folds then preferred about 170 columns (mostly noise) to the 10 informative ones.

Mini-batch training does not end an alpha at the KKT point of the full loss: groups that it
trains and leaves at zero show full gradients past their threshold, most early in a path.
The check therefore measures a violation against the same fit's own: an outside
group violates where it moves at ``alpha`` times the smallest factor (of ``_TOLERANCES``) at
which no zero group inside any model's working set moves.

A model's weights outside its working set are zero and would stay so in a stack that trains
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
# a model's candidates pass the strong rule at this share of its threshold: mini-batch steps
# lift zero groups whose full gradient is well below it, which a path that trains every
# column would let in (at 1 or 0.5 the folds' paths of the seed problems left it; at 0.25
# they are the full path's: the user guide)
_CANDIDATE_FACTOR = 0.25
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
        # (alpha, models, zero-group positions, their gradient, which model each is zero in)
        # of the last check
        self.last = None
        # (n_models, n_positions) bool: each model's own working set; None: the stack's
        self.own = None

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
        own = None if self.own is None else self.own.copy()
        return self.stack, self.stack.snapshot(), self.last, own

    def restore(self, snapshot):
        self.stack, state, self.last, self.own = snapshot
        self.stack.restore(state)
        self._hold()

    @property
    def n_columns(self):
        """The number of columns the stack trains now."""
        return len(self.stack._trained_columns())

    def fit(self, alpha, max_epochs, start_epochs, weight_decay, active):
        """``StackedTrainer.fit`` at ``alpha`` on working sets, checked (see module doc)."""
        if not self.enabled:
            return self.stack.fit(alpha, max_epochs, start_epochs, weight_decay, active)
        self._screen(alpha)
        result = self.stack.fit(alpha, max_epochs, start_epochs, weight_decay, active)
        models = np.flatnonzero(active)
        for _ in range(_MAX_CHECKS):
            found = self._violations(alpha, models)
            if found is None:
                break
            zero, moved = found
            own = self._own()
            own[np.ix_(models, zero)] |= moved
            self._apply(own)
            again = np.zeros(len(active), dtype=bool)
            again[models[moved.any(axis=1)]] = True
            retrained = self.stack.fit(alpha, max_epochs, start_epochs, weight_decay, again)
            result.converged[again] = retrained.converged[again]
            result.train_loss[again] = retrained.train_loss[again]
        return result

    def _positions(self):
        """Positions in ``available`` of the columns the stack trains."""
        return np.flatnonzero(np.isin(self.available, self.stack._trained_columns()))

    def _own(self):
        """A copy of each model's own working set (by default: the stack's columns)."""
        if self.own is not None:
            return self.own.copy()
        own = np.zeros((len(self.stack.specs), len(self.available)), dtype=bool)
        own[:, self._positions()] = True
        return own

    def _nonzero(self):
        """(n_models, n_positions) bool: the groups non-zero in each model."""
        nonzero = np.zeros((len(self.stack.specs), len(self.available)), dtype=bool)
        for m in range(len(self.stack.specs)):
            columns = self.stack.support_of(m)[self.available]
            nonzero[m] = np.isin(self.groups, self.groups[columns])
        return nonzero

    def _hold(self):
        """Hold each model's columns outside its own working set at zero in the stack."""
        if self.own is not None:
            self.stack.hold_outside(self.own[:, self._positions()])

    def _screen(self, alpha):
        """Each model's working set for ``alpha``, and the stack on their union."""
        if self.last is None:
            return
        previous, models, zero, gradient, is_zero = self.last
        own = self._nonzero()  # no model may lose a weight
        strong = 2 * alpha - previous
        # a group that the strong rule keeps as a model's candidate
        candidates = (self._moved(strong * _CANDIDATE_FACTOR, zero, gradient) & is_zero
                      if strong > 0 else is_zero)
        own[np.ix_(models, zero)] |= candidates
        if not own.any():
            return  # every model is empty: the path ends here
        self._apply(own, shrink=True)

    def _apply(self, own, shrink=False):
        """Give each model its own working set ``own``: the stack grows to their union (and
        with ``shrink`` narrows to it, where that drops ``_SHRINK_SHARE`` of its columns),
        and each model holds the rest at zero."""
        self.own = own
        wanted, current = np.flatnonzero(own.any(axis=0)), self._positions()
        if not np.isin(wanted, current).all():
            self._use(np.union1d(wanted, current))
        elif shrink and len(wanted) <= (1 - _SHRINK_SHARE) * len(current):
            self._use(wanted)
        else:
            self._hold()

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

    def _violations(self, alpha, models):
        """The KKT check after a fit at ``alpha``: the zero groups of ``models`` outside
        their own working sets where zero is not optimal, as (positions, (len(models),
        len(positions)) bool), or None where there is none. Keeps the zero groups' gradient
        for the strong rule."""
        if not len(models):
            return None
        nonzero = self._nonzero()[models]
        zero = np.flatnonzero(~nonzero.all(axis=0))  # zero in some model
        if not len(zero):
            self.last = None  # every group is in use: nothing to screen at the next alpha
            return None
        gradient = self.stack.lin1_gradient(self.available[zero], models)
        # a column a model holds at zero (constant over its rows) never moves in it
        held = np.stack([self.stack.specs[m].held[self.available[zero]] for m in models])
        gradient[torch.as_tensor(held)[:, None, :].expand_as(gradient)] = 0.0
        is_zero = ~nonzero[:, zero]
        self.last = (alpha, models, zero, gradient, is_zero)
        mine = self._own()[np.ix_(models, zero)]
        outside = is_zero & ~mine
        if not outside.any():
            return None
        moved = self._moved(alpha * self._tolerance(alpha, zero, gradient, is_zero & mine),
                            zero, gradient) & outside
        return (zero, moved) if moved.any() else None

    def _check(self, alpha, models):
        """The models and the groups that violate the KKT check (see ``_violations``)."""
        found = self._violations(alpha, models)
        if found is None:
            return [], []
        zero, moved = found
        return models[moved.any(axis=1)], np.unique(self.groups[zero[moved.any(axis=0)]])

    def _tolerance(self, alpha, zero, gradient, inside):
        """The factor of ``alpha`` up to which the training itself leaves groups at zero:
        the smallest of ``_TOLERANCES`` at which no zero group that a model trains (``inside``,
        per model and position) moves.

        Mini-batch steps do not reach the KKT point of the full loss: the prox sees an
        average of a few batch gradients, and at the end of an alpha zero groups that the
        stack trains show full gradients past their threshold (the user guide has the
        figures). An outside group is a violation where it passes what they pass."""
        columns = inside.any(axis=0)
        if not columns.any():
            return 1.0
        for factor in _TOLERANCES:
            if not (self._moved(alpha * factor, zero[columns], gradient[:, :, columns])
                    & inside[:, columns]).any():
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
        self._hold()
