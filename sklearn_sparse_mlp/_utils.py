"""Small shared tools: torch threads, the all-or-nothing fit, warnings that point at the
user's code, and the column checks every fit makes."""

import contextvars
import functools
import os
import sys
import warnings
from contextlib import contextmanager
from numbers import Integral

import joblib
import numpy as np
import scipy.sparse as sp
import sklearn
import skorch
import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.sparsefuncs import min_max_axis

from ._net import net_checkpoint


@contextmanager
def torch_threads(n_threads):
    """Run the block with ``n_threads`` torch intra-op threads, then restore the old count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def public_fit(method):
    """Decorate a public ``fit`` or ``partial_fit``: all or nothing, and autograd on.

    A fit that raises (bad input found late, a diverging loss, an interrupt) leaves the
    estimator as it was: every attribute is put back, and so is a network that the call
    would continue (``partial_fit``, ``warm_start=True``; ``net_checkpoint``), which
    training changes in place. The fit runs with autograd on, whatever the caller's
    ``torch.no_grad()``, ``set_grad_enabled(False)`` or ``inference_mode()`` (the calling
    thread's own modes, restored on return): training must not depend on them.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        before = dict(self.__dict__)
        continuing = method.__name__ == "partial_fit" or getattr(self, "warm_start", False)
        restore_net = net_checkpoint(self.net_) if continuing and "net_" in before else None
        try:
            with torch.inference_mode(False), torch.enable_grad():
                return method(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            if restore_net is not None:
                restore_net()
            raise

    return wrapper


# Where a warning should not point: the first frame outside these is the user's code.
_LIBRARY_DIRS = tuple(
    os.path.dirname(module.__file__) + os.sep for module in (sys.modules[__package__], sklearn,
                                                             skorch, joblib)
)


# The warning categories silenced in the current thread (or task): the fits inside a path or a
# CV run quietly. warnings.catch_warnings would change the process-wide filters, which fits in
# other threads share.
_SILENCED = contextvars.ContextVar("sklearn_sparse_mlp_silenced", default=())


@contextmanager
def silenced(*categories):
    """Drop the package's own warnings of these categories inside the block (this thread)."""
    token = _SILENCED.set(_SILENCED.get() + categories)
    try:
        yield
    finally:
        _SILENCED.reset(token)


def warn_user(message, category=UserWarning):
    """``warnings.warn`` pointing at the user's line, past this package, sklearn and skorch.

    ``stacklevel`` alone cannot: ``_fit_context``, ``Pipeline`` or ``cross_validate`` may
    stand between the user and the estimator (Python 3.12's ``skip_file_prefixes`` does the
    same walk). Categories silenced by :func:`silenced` are dropped.
    """
    if any(issubclass(category, quiet) for quiet in _SILENCED.get()):
        return
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_LIBRARY_DIRS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


class DataAdviceWarning(UserWarning):
    """Advice about the training data or the parameters (feature scales, no-op parameters).

    The CV estimators warn once for the whole data; their inner fits do not repeat it.
    """


# joblib's meaning of n_jobs (-1: every core, -2: all but one, ...), where 0 has none
N_JOBS_CONSTRAINT = [Interval(Integral, None, -1, closed="right"),
                     Interval(Integral, 1, None, closed="left"), None]


def draw_seed(rng):
    """The seed of one fit's private torch generator, drawn from its ``random_state``'s
    RandomState (the stacked CV draws its models' seeds the same way)."""
    return int(rng.randint(np.iinfo(np.int32).max))


def column_min_max(X):
    """Per-column minimum and maximum of a dense or sparse (implicit zeros included) X."""
    if sp.issparse(X):
        low, high = min_max_axis(X, axis=0)
        return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    return X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)


def feature_scale_problems(low, high):
    """What makes columns of these ranges unfit for one penalty; an empty list if nothing.

    Considered over the columns that vary: values beyond 1e3 in absolute value, ranges
    (max - min) that differ by more than a factor 100, or a centre further from 0 than 10
    times the column's range.
    """
    varying = high > low
    if not varying.any():
        return []
    low, high = low[varying], high[varying]
    ranges = high - low
    problems = []
    magnitude = float(np.maximum(np.abs(low), np.abs(high)).max())
    if magnitude > 1e3:
        problems.append(f"values up to {magnitude:.3g} in absolute value")
    spread = float(ranges.max() / ranges.min())
    if spread > 1e2:
        problems.append(f"column ranges that differ by a factor of {spread:.3g}")
    off_centre = float((np.abs(high + low) / 2 / ranges).max())
    if off_centre > 10:
        problems.append(f"a column centred {off_centre:.3g} times its range away from 0")
    return problems


def _check_float32_range(values, name, fix):
    """ValueError if casting finite data to float32 (as training does) overflowed to inf."""
    # max/min: no temporary the size of the data; the input was checked finite before
    if values.size and not (np.isfinite(values.max()) and np.isfinite(values.min())):
        raise ValueError(
            f"{name} has values beyond the float32 range (about 3.4e38) in which the network "
            f"trains; {fix}."
        )
