import numpy as np
import pytest
import torch
from _warning_filters import MAX_ITER_REACHED
from sklearn.linear_model import Lasso
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback, LRScheduler

from sklearn_sparse_mlp import ProximalL1
from sklearn_sparse_mlp._optim import effective_step
from sklearn_sparse_mlp.callbacks import NonFiniteLossError, StopOnNonFiniteLoss


class Network(torch.nn.Module):
    """The module of the classic question: two linear layers, lin1 is the one to sparsify."""

    def __init__(self, nf=10, nh=16, nc=2):
        super().__init__()
        self.lin1 = torch.nn.Linear(nf, nh)
        self.lin2 = torch.nn.Linear(nh, nc)

    def forward(self, X):
        return self.lin2(torch.relu(self.lin1(X)))


class Linear(torch.nn.Module):
    def __init__(self, nf):
        super().__init__()
        self.lin1 = torch.nn.Linear(nf, 1, bias=False)

    def forward(self, X):
        return self.lin1(X)


def _lasso_data():
    rng = np.random.RandomState(0)
    X = rng.randn(100, 20)
    w = np.zeros(20)
    w[:5] = [3, -2, 1.5, 1, -0.5]
    y = X @ w + 0.3 * rng.randn(100)
    return X.astype(np.float32), y.astype(np.float32)


@pytest.mark.parametrize(
    "optimizer, opt_kwargs, l1_ratio, epochs",
    [
        (torch.optim.SGD, dict(lr=0.05), 1.0, 1500),
        (torch.optim.SGD, dict(lr=0.005, optimizer__momentum=0.9), 1.0, 1500),
        (torch.optim.SGD, dict(lr=0.005, optimizer__momentum=0.9, optimizer__nesterov=True),
         0.0, 1500),
        (torch.optim.Adam, dict(lr=0.01), 1.0, 3000),
        (torch.optim.Adam, dict(lr=0.01), 0.0, 3000),
        (torch.optim.Adagrad, dict(lr=0.5), 0.0, 3000),
    ],
)
def test_full_batch_linear_model_converges_to_sklearn_lasso(optimizer, opt_kwargs, l1_ratio,
                                                            epochs):
    """With the optimizer's true step, proximal training solves the lasso exactly.

    MSELoss is mean((y - Xw)^2) = 2 * Lasso's data term, so alpha here is Lasso(alpha / 2).
    With one output the group lasso over columns is the lasso too (l1_ratio=0 tests the
    group prox, including its per-coordinate version for Adam and Adagrad).
    """
    X, y = _lasso_data()
    alpha = 0.4
    reference = Lasso(alpha=alpha / 2, fit_intercept=False, tol=1e-12, max_iter=100_000)
    reference.fit(X.astype(np.float64), y)
    net = NeuralNetRegressor(
        Linear, module__nf=20, optimizer=optimizer, max_epochs=epochs, batch_size=-1,
        train_split=None, verbose=0,
        callbacks=[ProximalL1(alpha=alpha, l1_ratio=l1_ratio)], **opt_kwargs,
    )
    net.fit(X, y[:, None])
    w = net.module_.lin1.weight.detach().numpy().ravel()
    assert np.array_equal(w == 0, reference.coef_ == 0)
    np.testing.assert_allclose(w, reference.coef_, atol=2e-3)


def test_heavy_ball_with_plain_lr_would_be_wrong():
    """The momentum correction matters: lr / (1 - beta), not lr."""
    sgd = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.01, momentum=0.9)
    param = sgd.param_groups[0]["params"][0]
    assert effective_step(sgd, param, 0.01) == pytest.approx(0.1)
    sgd = torch.optim.SGD([param], lr=0.01, momentum=0.9, dampening=0.9)
    assert effective_step(sgd, param, 0.01) == pytest.approx(0.01)


def test_effective_step_adam_and_adagrad_match_their_update():
    """The per-coordinate step times the gradient-like direction is the update applied."""
    torch.manual_seed(0)
    for cls, kwargs in [(torch.optim.Adam, dict(lr=0.1, betas=(0.0, 0.999))),
                        (torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.01))]:
        p = torch.nn.Parameter(torch.randn(3, 4))
        opt = cls([p], **kwargs)
        for _ in range(3):
            grad = torch.randn(3, 4)
            before = p.detach().clone()
            p.grad = grad
            opt.step()
            step = effective_step(opt, p, kwargs["lr"])
            # beta1 = 0: Adam's update is lr / bias_correction1 (= 1) * g / denom
            torch.testing.assert_close(before - p.detach(), step * grad)


def test_effective_step_before_first_step_is_none():
    p = torch.nn.Parameter(torch.zeros(2))
    assert effective_step(torch.optim.Adam([p]), p, 0.1) is None


def _classic_question_data(n=800):
    rng = np.random.RandomState(0)
    X = rng.randn(n, 10).astype(np.float32)
    y = (X[:, 0] ** 2 + X[:, 1] ** 2 > 1.386).astype(np.int64)
    return X, y


def _plain_net(optimizer, lr, callback, weight_decay=0.0, max_epochs=100):
    return NeuralNetClassifier(
        Network, criterion=torch.nn.CrossEntropyLoss, optimizer=optimizer, lr=lr,
        max_epochs=max_epochs, batch_size=100, train_split=None, verbose=0,
        optimizer__weight_decay=weight_decay,
        optimizer__param_groups=[("lin1.weight", {"weight_decay": 0.0})],
        callbacks=[callback],
    )


def test_callback_in_plain_skorch_net_recovers_the_support():
    """The classic question's Network in a plain NeuralNetClassifier with Adam."""
    X, y = _classic_question_data()
    callback = ProximalL1(alpha=0.1, warmup_epochs=20, ramp_epochs=20)
    net = _plain_net(torch.optim.Adam, 0.01, callback, weight_decay=1e-2).fit(X, y)
    W = net.module_.lin1.weight.detach()
    assert (W[:, 2:] == 0).all()
    assert (W[:, :2] != 0).any(dim=0).all()
    assert net.history[-1, "n_features_selected"] == 2
    assert (net.predict(X) == y).mean() > 0.93


def test_callback_with_adagrad_gives_exact_zeros():
    """Adagrad, as in the question: whole noise features get exact zeros (the penalty in the
    loss gives none, see below); its decaying steps prune more slowly than Adam's."""
    X, y = _classic_question_data()
    callback = ProximalL1(alpha=0.2, warmup_epochs=20, ramp_epochs=20)
    net = _plain_net(torch.optim.Adagrad, 0.1, callback).fit(X, y)
    dropped = (net.module_.lin1.weight == 0).all(dim=0).numpy()
    assert not dropped[:2].any()
    assert dropped[2:].sum() >= 3
    assert (net.predict(X) == y).mean() > 0.93


def test_penalty_in_loss_gives_no_exact_zeros():
    """The classic question's attempt: subgradient steps, however large lambda, no zeros."""
    X, y = _classic_question_data()
    torch.manual_seed(0)
    model = Network()
    opt = torch.optim.Adagrad(model.parameters(), lr=0.1)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(50):
        for i in range(0, len(X), 100):
            loss = torch.nn.functional.cross_entropy(model(Xt[i:i + 100]), yt[i:i + 100])
            loss = loss + 0.05 * model.lin1.weight.abs().sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    # zeros only where a ReLU unit died or not at all, never a whole noise feature
    assert not (model.lin1.weight[:, 2:] == 0).all(dim=0).any()


def test_prox_follows_the_optimizer_step_and_touches_only_the_named_layer():
    X, y = _classic_question_data(200)

    def one_step(callbacks):
        torch.manual_seed(0)
        return NeuralNetClassifier(
            Network, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD, lr=0.1,
            max_epochs=1, batch_size=200, train_split=None, verbose=0, callbacks=callbacks,
        ).fit(X, y)

    plain, proximal = one_step([]), one_step([ProximalL1(alpha=1e6)])
    assert (plain.module_.lin1.weight != 0).any()
    assert (proximal.module_.lin1.weight == 0).all()
    assert torch.equal(proximal.module_.lin2.weight, plain.module_.lin2.weight)
    # no hook is left on the optimizer once training ends
    assert not proximal.optimizer_._optimizer_step_post_hooks


class AccumulatingNet(NeuralNetClassifier):
    """Gradient accumulation as in skorch's FAQ: a custom train_step, one optimizer step
    every ``acc_steps`` batches (skorch's on_grad_computed never fires)."""

    def __init__(self, *args, acc_steps=2, **kwargs):
        super().__init__(*args, **kwargs)
        self.acc_steps = acc_steps

    def get_loss(self, *args, **kwargs):
        return super().get_loss(*args, **kwargs) / self.acc_steps

    def train_step(self, batch, **fit_params):
        step = self.train_step_single(batch, **fit_params)
        self.n_batches_ = getattr(self, "n_batches_", 0) + 1
        if self.n_batches_ % self.acc_steps == 0:
            self.optimizer_.step()
            self.optimizer_.zero_grad()
        return step


def test_prox_runs_once_per_optimizer_step_in_a_custom_train_step():
    X, y = _classic_question_data(200)
    proxes = []

    class Spy(ProximalL1):
        def _after_step(self, optimizer, args, kwargs):
            proxes.append(self.current_alpha_)
            super()._after_step(optimizer, args, kwargs)

    net = AccumulatingNet(
        Network, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=0.01,
        max_epochs=3, batch_size=50, train_split=None, verbose=0, callbacks=[Spy(alpha=10.0)],
    ).fit(X, y)
    assert len(proxes) == 3 * 4 // 2  # 4 batches an epoch, a step every 2
    assert (net.module_.lin1.weight == 0).all()


def test_a_learning_rate_of_zero_leaves_the_layer_as_it_is():
    X, y = _classic_question_data(200)
    for optimizer in (torch.optim.Adam, torch.optim.Adagrad, torch.optim.SGD):
        torch.manual_seed(0)
        net = NeuralNetClassifier(
            Network, criterion=torch.nn.CrossEntropyLoss, optimizer=optimizer, lr=0.1,
            optimizer__param_groups=[("lin1.*", {"lr": 0.0})], max_epochs=2, batch_size=50,
            train_split=None, verbose=0, callbacks=[ProximalL1(alpha=0.5)],
        ).initialize()
        before = net.module_.lin1.weight.detach().clone()
        net.partial_fit(X, y)
        assert torch.equal(net.module_.lin1.weight, before), optimizer.__name__


def test_fitted_callback_clones_and_takes_new_parameters_on_a_warm_start():
    from sklearn.base import clone

    X, y = _classic_question_data(200)
    net = NeuralNetClassifier(
        Network, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD, lr=0.05,
        max_epochs=3, train_split=None, verbose=0, warm_start=True,
        callbacks=[ProximalL1(alpha=0.0)],
    ).fit(X, y)
    assert not [name for name in net.get_params() if "___" in name]  # no private attributes
    assert clone(net).callbacks[0].alpha == 0.0
    assert (net.module_.lin1.weight != 0).all()
    net.set_params(callbacks__ProximalL1__alpha=100.0).fit(X, y)
    assert net.history[-1, "alpha"] == 100.0
    assert (net.module_.lin1.weight == 0).all()


def test_lr_scheduler_step_uses_lr_of_step_just_taken():
    """A scheduler that changes lr at batch end must not change the prox of that step."""
    X, y = _classic_question_data(100)
    recorded = []

    class Spy(ProximalL1):
        def _after_step(self, optimizer, args, kwargs):
            recorded.append(self._param_group["lr"])
            super()._after_step(optimizer, args, kwargs)

        def on_batch_end(self, net, training=False, **kwargs):
            recorded.append(net.optimizer_.param_groups[0]["lr"])

    net = NeuralNetClassifier(
        Network, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD, lr=0.1,
        max_epochs=1, batch_size=50, train_split=None, verbose=0,
        callbacks=[
            LRScheduler(policy="StepLR", step_size=1, gamma=0.5, step_every="batch"),
            Spy(alpha=0.01),
        ],
    )
    net.fit(X, y)
    # (prox, after the batch): the scheduler halves lr after the step the prox follows
    assert recorded == pytest.approx([0.1, 0.05, 0.05, 0.025])


def test_unsupported_optimizer_and_weight_decay_raise_clear_errors():
    X, y = _classic_question_data(100)
    kwargs = dict(criterion=torch.nn.CrossEntropyLoss, max_epochs=1, train_split=None, verbose=0)
    net = NeuralNetClassifier(Network, optimizer=torch.optim.RMSprop,
                              callbacks=[ProximalL1()], **kwargs)
    with pytest.raises(ValueError, match="RMSprop.*Use one of torch.optim.SGD"):
        net.fit(X, y)
    net = NeuralNetClassifier(Network, optimizer=torch.optim.Adam, optimizer__weight_decay=0.1,
                              callbacks=[ProximalL1()], **kwargs)
    with pytest.raises(ValueError, match="weight_decay"):
        net.fit(X, y)
    # decoupled decay does not go through the preconditioner: Adam then is AdamW
    NeuralNetClassifier(Network, optimizer=torch.optim.Adam, optimizer__weight_decay=0.1,
                        optimizer__decoupled_weight_decay=True, callbacks=[ProximalL1()],
                        **kwargs).fit(X, y)
    net = NeuralNetClassifier(Network, optimizer=torch.optim.Adam,
                              callbacks=[ProximalL1(layer="encoder")], **kwargs)
    with pytest.raises(ValueError, match="no such submodule"):
        net.fit(X, y)
    net = NeuralNetClassifier(Network, optimizer=torch.optim.Adam,
                              callbacks=[ProximalL1(alpha=-1.0)], **kwargs)
    with pytest.raises(ValueError, match="alpha must be a float >= 0"):
        net.fit(X, y)
    net = NeuralNetClassifier(Network, optimizer=torch.optim.Adam,
                              callbacks=[ProximalL1(groups=[0, 1])], **kwargs)
    with pytest.raises(ValueError, match="groups has 2 labels"):
        net.fit(X, y)


def test_groups_drop_together():
    X, y = _classic_question_data()
    groups = [0, 1, 2, 2, 2, 3, 3, 4, 4, 4]
    callback = ProximalL1(alpha=0.1, groups=groups, warmup_epochs=20, ramp_epochs=20)
    net = _plain_net(torch.optim.Adam, 0.01, callback, weight_decay=1e-2).fit(X, y)
    zero = (net.module_.lin1.weight == 0).all(dim=0).numpy()
    groups = np.array(groups)
    for g in np.unique(groups):
        assert len(set(zero[groups == g])) == 1  # all in or all out
    assert not zero[:2].any() and zero[2:].all()


def test_nonfinite_loss_stops_with_advice():
    X, y = _classic_question_data(100)
    X[0, 0] = np.inf
    net = NeuralNetClassifier(
        Network, criterion=torch.nn.CrossEntropyLoss, max_epochs=2, train_split=None,
        verbose=0, callbacks=[StopOnNonFiniteLoss(advice="scale X")],
    )
    with pytest.raises(NonFiniteLossError, match="became (nan|inf).*scale X"):
        net.fit(X, y)


def test_a_fit_that_raised_leaves_no_second_prox_behind():
    X, y = _classic_question_data(200)
    calls = []

    class Spy(ProximalL1):
        def _after_step(self, optimizer, args, kwargs):
            calls.append(id(self))
            super()._after_step(optimizer, args, kwargs)

    class FailAtBatch3(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            self.n = getattr(self, "n", 0) + 1
            if self.n == 3:
                raise RuntimeError("stop")

    net = NeuralNetClassifier(
        Network, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD, lr=0.05,
        max_epochs=1, batch_size=20, train_split=None, verbose=0,
        callbacks=[("prox", Spy(alpha=0.01)), ("fail", FailAtBatch3())],
    )
    with pytest.raises(RuntimeError, match="stop"):
        net.fit(X, y)  # on_train_end never ran: the hook is still on the optimizer
    replacement = Spy(alpha=0.1)
    net.set_params(callbacks__prox=replacement, callbacks__fail=Callback())
    calls.clear()
    net.partial_fit(X, y)
    assert calls == [id(replacement)] * 10  # 10 batches, each proxed once, by the live one


def test_a_fit_that_raised_does_not_keep_its_optimizer_alive():
    import gc
    import weakref

    X, y = _classic_question_data(100)

    class Fail(Callback):
        def on_batch_end(self, net, **kwargs):
            raise RuntimeError("stop")

    optimizers = []
    for _ in range(2):
        net = NeuralNetClassifier(
            Network, criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.SGD,
            max_epochs=1, train_split=None, verbose=0, callbacks=[ProximalL1(), Fail()],
        )
        with pytest.raises(RuntimeError, match="stop"):
            net.fit(X, y)
        optimizers.append(weakref.ref(net.optimizer_))
        del net
    gc.collect()
    assert all(ref() is None for ref in optimizers)


def _stub_net(weight, losses):
    """A net-like object for SupportConvergence: a history and a module with lin1."""
    from types import SimpleNamespace

    from skorch.history import History

    history = History()
    module = torch.nn.Module()
    module.lin1 = torch.nn.Linear(weight.shape[1], weight.shape[0])
    module.lin1.weight.data.copy_(weight)
    return SimpleNamespace(history=history, module_=module), losses


def _run_convergence(losses, weights, n_iter_no_change=3):
    """Feed SupportConvergence one epoch per (loss, lin1 weight); the epochs it took to
    converge, or None."""
    from sklearn_sparse_mlp.callbacks import SupportConvergence

    net, _ = _stub_net(weights[0], None)
    callback = SupportConvergence(start_epoch=0, tol=1e-4, n_iter_no_change=n_iter_no_change,
                                  early_stopping=False).initialize()
    callback.on_train_begin(net)
    for epoch, (loss, weight) in enumerate(zip(losses, weights, strict=True), start=1):
        net.history.new_epoch()
        net.history.record("train_loss", loss)
        net.history.record("penalty", 0.0)
        net.module_.lin1.weight.data.copy_(weight)
        try:
            callback.on_epoch_end(net)
        except KeyboardInterrupt:
            assert callback.converged_
            return epoch
    assert not callback.converged_
    return None


def _support_weight(features, n_features=6):
    weight = torch.zeros(1, n_features)
    weight[0, list(features)] = 1.0
    return weight


def test_support_convergence_needs_a_stable_set_not_a_stable_count():
    # a constant objective; every n_iter_no_change epochs a new feature replaces the last
    # one for good: the count stays 2, the set never settles
    sets = [{0, 1 + (epoch // 3) % 5} for epoch in range(15)]
    assert _run_convergence([1.0] * 15, [_support_weight(s) for s in sets]) is None
    # the same set from epoch 13 on: converged after n_iter_no_change epochs of it
    sets += [{0, 5}] * 3
    assert _run_convergence([1.0] * 18, [_support_weight(s) for s in sets]) == 16


def test_support_convergence_under_mini_batch_noise():
    # the loss keeps beating its best by more than tol by chance and a feature at the edge
    # of the support flickers in and out: converged once two windows of n_iter_no_change
    # epochs have the same mean loss and the same features
    rng = np.random.RandomState(0)
    noise = list(1.0 + 1e-3 * rng.randn(12))
    flicker = [_support_weight({0, 1} if epoch % 2 else {0, 1, 2}) for epoch in range(12)]
    assert _run_convergence(noise, flicker) == 6
    # a downward drift of the mean loss by more than tol per window: never converged
    drift = [loss - 1e-3 * epoch for epoch, loss in enumerate(noise)]
    assert _run_convergence(drift, flicker) is None
    # with a constant loss, the support alone decides: a feature selected in most epochs of
    # one window and in none of the other is leaving (or entering): no convergence until
    # both windows see it, or neither has it in most of its epochs
    flat = [1.0] * 12
    assert _run_convergence(flat, flicker) == 6
    leaving = [_support_weight({0, 1, 3} | ({2} if epoch % 2 else set()))
               for epoch in range(3)] + flicker[3:]
    assert _run_convergence(flat, leaving) == 8
    entering = flicker[:4] + [_support_weight({0, 1, 4})] * 2 + flicker[6:]
    assert _run_convergence(flat, entering) == 8
    # a feature seen in a single epoch of the last window only is flicker, not entering
    glimpse = flicker[:5] + [_support_weight({0, 1, 4})] + flicker[6:]
    assert _run_convergence(flat, glimpse) == 6


@MAX_ITER_REACHED
def test_the_estimators_skorch_net_clones_and_continues_with_a_valid_split():
    from sklearn.base import clone
    from skorch.dataset import ValidSplit

    from sklearn_sparse_mlp import SparseMLPClassifier

    rng = np.random.RandomState(0)
    X = rng.randn(300, 6).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    clf = SparseMLPClassifier(alpha=0.05, random_state=0, max_iter=70).fit(X, y)
    copy = clone(clf.net_)  # a callback's private state was taken for parameters
    assert not hasattr(copy, "module_")
    copy.set_params(max_epochs=3).fit(X, y)
    assert len(copy.history) == 3
    clf.net_.set_params(train_split=ValidSplit(5), max_epochs=2)
    clf.net_.partial_fit(X, y)  # the batch iterator got skorch's Subset views
    assert "valid_loss" in clf.net_.history[-1]
    assert np.isfinite(clf.net_.history[-1, "valid_loss"])


def test_fixed_support_moves_a_dropped_constant_into_the_bias():
    from types import SimpleNamespace

    from sklearn_sparse_mlp.callbacks import FixedSupport

    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 4)
    module = torch.nn.Module()
    module.lin1 = layer
    X = torch.randn(5, 3)
    X[:, 1] = 2.5
    before = layer(X).detach()
    callback = FixedSupport([True, False, True], fill_values=[0.0, 2.5, 0.0])
    callback.on_train_begin(SimpleNamespace(module_=module))
    assert torch.all(layer.weight[:, 1] == 0)
    torch.testing.assert_close(layer(X), before)
    layer(X).sum().backward()
    callback.on_grad_computed(None, training=True)
    assert torch.all(layer.weight.grad[:, 1] == 0) and torch.all(layer.weight.grad[:, 0] != 0)


class _WeightedGroupLasso:
    """The user guide's weighted group lasso, built on the package's public prox."""

    @staticmethod
    def make(alpha, weights):
        from sklearn_sparse_mlp.penalties import BasePenalty, group_soft_threshold

        class WeightedGroupLasso(BasePenalty):
            def __init__(self, alpha, weights):
                super().__init__(alpha)
                self.weights = torch.as_tensor(weights, dtype=torch.float64)

            def value(self, W):
                return float(self.alpha * (self.weights * W.detach().double().norm(dim=0)).sum())

            def prox(self, W, step):
                groups = torch.arange(W.shape[1])
                return group_soft_threshold(W, step, self.alpha, groups, self.weights)

        return WeightedGroupLasso(alpha, weights)


def _tiny_net(callback, X, y, max_epochs=80):
    torch.manual_seed(0)
    return NeuralNetClassifier(
        TwoLayer, module__n_features=X.shape[1], criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam, lr=0.01, max_epochs=max_epochs, train_split=None,
        verbose=0, optimizer__weight_decay=1e-2,
        optimizer__param_groups=[("lin1.weight", {"weight_decay": 0.0})], callbacks=[callback],
    ).fit(X, y)


class TwoLayer(torch.nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.lin1 = torch.nn.Linear(n_features, 16)
        self.lin2 = torch.nn.Linear(16, 2)

    def forward(self, X):
        return self.lin2(torch.relu(self.lin1(X)))


def test_a_users_own_penalty_trains_to_exact_zeros():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 5).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    # no penalty on feature 0, a heavy one on feature 1: only 0 stays, though 1 matters
    penalty = _WeightedGroupLasso.make(0.1, weights=[0.0, 20.0, 1.0, 1.0, 1.0])
    net = _tiny_net(ProximalL1(penalty=penalty, warmup_epochs=10, ramp_epochs=10), X, y)
    W = net.module_.lin1.weight
    kept = (W != 0).any(dim=0).numpy()
    np.testing.assert_array_equal(kept, [True, False, False, False, False])
    assert torch.all(W[:, 1:] == 0)
    proximal = next(cb for _, cb in net.callbacks_ if isinstance(cb, ProximalL1))
    assert penalty.alpha == 0.1 and proximal.penalty is penalty  # the object is not modified
    assert net.history[-1, "penalty"] == pytest.approx(penalty.value(W))


def test_a_penalty_that_is_not_homogeneous_is_rebuilt_at_each_strength():
    from sklearn_sparse_mlp import L1

    class NotDeclaredHomogeneous(L1):
        homogeneous = False

    rng = np.random.RandomState(0)
    X = rng.randn(200, 6).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    schedule = dict(warmup_epochs=5, ramp_epochs=10)
    scaled = _tiny_net(ProximalL1(penalty=L1(0.05), **schedule), X, y, max_epochs=25)
    rebuilt = _tiny_net(ProximalL1(penalty=NotDeclaredHomogeneous(0.05), **schedule), X, y,
                        max_epochs=25)
    torch.testing.assert_close(rebuilt.module_.lin1.weight, scaled.module_.lin1.weight,
                               rtol=1e-4, atol=1e-6)
    ramp = [row["penalty"] for row in rebuilt.history[5:16]]
    np.testing.assert_allclose(ramp, [row["penalty"] for row in scaled.history[5:16]],
                               rtol=1e-4)
    assert rebuilt.history[7, "alpha"] == pytest.approx(0.05 * 3 / 10)


def test_a_penalty_object_with_alpha_or_without_prox_is_refused():
    from sklearn_sparse_mlp import L1

    with pytest.raises(ValueError, match="both a penalty object and alpha"):
        ProximalL1(alpha=0.1, penalty=L1(0.1)).initialize()
    with pytest.raises(ValueError, match="both a penalty object and alpha, l1_ratio or groups"):
        ProximalL1(groups=np.array([0, 0, 1]), penalty=L1(0.1)).initialize()
    with pytest.raises(ValueError, match="lacks value, prox, support, with_alpha"):
        ProximalL1(penalty=object()).initialize()
