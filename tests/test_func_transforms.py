"""The transforms added for HIPS-autograd/JAX parity: ``grad_and_aux``, ``make_vjp``/``vjp``,
``jacobian`` and ``jvp`` of functions returning tuples, lists and dicts, ``value_and_grad`` over
several arguments, ``checkpoint``, and new differentiable functions (``primitive``/``defvjp``,
``Function`` subclasses).

Expected values come from the maths (autograd's semantics), then from ``torch.func`` where it
has the same transform.
"""

from __future__ import annotations

import tracemalloc

import numpy
import pytest

import tinygrad_edu as tg
import tinygrad_edu.numpy as np
from helpers import torch_or_skip
from tinygrad_edu import Tensor, backend, nn
from tinygrad_edu.autograd import Function
from tinygrad_edu.func import (
    checkpoint,
    defvjp,
    grad,
    grad_and_aux,
    hessian,
    jacobian,
    jvp,
    make_vjp,
    primitive,
    value_and_grad,
    vjp,
)

X = numpy.array([0.3, -1.1, 0.7])
Y = numpy.array([1.2, 0.4, -0.5])


def close(a, b, tol=1e-12):
    numpy.testing.assert_allclose(numpy.asarray(a, dtype=float), numpy.asarray(b, dtype=float), rtol=tol, atol=tol)


def to_np(t):
    return t.detach().numpy()


# --------------------------------------------------------------------------- grad_and_aux, value_and_grad


def test_grad_and_aux_closed_form_and_aux_comes_back_as_numpy():
    def loss(x):
        pred = np.sin(x)
        return np.sum(pred**2), {"pred": pred, "note": "kept as is"}

    g, aux = grad_and_aux(loss)(X)
    close(g, 2 * numpy.sin(X) * numpy.cos(X))
    assert isinstance(aux["pred"], numpy.ndarray) and aux["note"] == "kept as is"
    close(aux["pred"], numpy.sin(X))
    # nested: the second derivative of the value, through grad_and_aux
    d2 = grad(lambda x: np.sum(grad_and_aux(loss)(x)[0]))(X)
    close(d2, 2 * numpy.cos(2 * X))


def test_grad_and_aux_vs_torch_func():
    torch = torch_or_skip()
    from torch.func import grad as t_grad

    def ours(x, y):
        return np.sum(np.tanh(x * y)), x * y

    g, aux = grad_and_aux(ours, 1)(X, Y)
    tg_, taux = t_grad(lambda x, y: ((x * y).tanh().sum(), x * y), argnums=1, has_aux=True)(
        torch.tensor(X), torch.tensor(Y)
    )
    close(g, tg_.detach().numpy())
    close(aux, taux.detach().numpy())


def test_value_and_grad_with_a_tuple_of_argnums():
    def f(x, s, y):
        return np.sum(x * y**2) * s

    value, (gx, gy) = value_and_grad(f, (0, 2))(X, 1.5, Y)
    close(value, 1.5 * numpy.sum(X * Y**2))
    close(gx, 1.5 * Y**2)
    close(gy, 3.0 * X * Y)
    torch = torch_or_skip()
    from torch.func import grad_and_value

    (tgx, tgy), tv = grad_and_value(lambda x, y: (x * y**2).sum() * 1.5, argnums=(0, 1))(
        torch.tensor(X), torch.tensor(Y)
    )
    close(tv.item(), value)
    close(gx, tgx.detach().numpy())
    close(gy, tgy.detach().numpy())


def test_grad_and_aux_misuse_is_explained():
    with pytest.raises(TypeError, match=r"grad_and_aux: the function must return a pair \(value, aux\)"):
        grad_and_aux(lambda x: np.sum(x))(X)
    with pytest.raises(TypeError, match=r"grad_and_aux: the function must return a scalar.*shape \(3,\)"):
        grad_and_aux(lambda x: (x, 0))(X)


# --------------------------------------------------------------------------- make_vjp, vjp


def f_tree(x, y):
    return (np.sin(x) * y, {"s": np.sum(x * y), "sq": [x**2]})


def test_make_vjp_of_a_tuple_and_dict_output_closed_form():
    vjp_fn, ans = make_vjp(f_tree)(X, Y)
    close(ans[0], numpy.sin(X) * Y)
    close(ans[1]["s"], numpy.sum(X * Y))
    g0, gs, gsq = numpy.array([1.0, -2.0, 0.5]), 3.0, numpy.array([0.1, 0.2, 0.3])
    gx = vjp_fn((g0, {"s": gs, "sq": [gsq]}))
    close(gx, g0 * numpy.cos(X) * Y + gs * Y + gsq * 2 * X)
    # called again with another cotangent: the graph was kept
    close(vjp_fn((g0 * 0, {"s": 1.0, "sq": [gsq * 0]})), Y)


def test_vjp_jax_form_against_torch_func():
    torch = torch_or_skip()
    from torch.func import vjp as t_vjp

    def ours(x, y):
        return np.tanh(x) * y, np.sum(x**3)

    def theirs(x, y):
        return x.tanh() * y, (x**3).sum()

    ans, vjp_fn = vjp(ours, X, Y)
    g = (numpy.array([0.5, 1.0, -1.5]), 2.0)
    gx, gy = vjp_fn(g)
    tans, t_fn = t_vjp(theirs, torch.tensor(X), torch.tensor(Y))
    tgx, tgy = t_fn((torch.tensor(g[0]), torch.tensor(g[1])))
    close(ans[0], tans[0].detach().numpy())
    close(gx, tgx.detach().numpy())
    close(gy, tgy.detach().numpy())


def test_make_vjp_nests_hessian_vector_product():
    def f(x):
        return np.sum(np.sin(x) * x**2)

    v = numpy.array([1.0, 0.5, -2.0])
    vjp_fn, _ = make_vjp(grad(f))(X)
    close(vjp_fn(v), hessian(f)(X) @ v)
    # and the derivative of a vjp with respect to the point: d/dx (v . f'(x)) for elementwise f
    d = grad(lambda x: np.sum(make_vjp(lambda z: np.sin(z) * z**2)(x)[0](v)))(X)
    close(d, v * (2 * numpy.sin(X) + 4 * X * numpy.cos(X) - X**2 * numpy.sin(X)))


def test_make_vjp_misuse_is_explained():
    vjp_fn, _ = make_vjp(f_tree)(X, Y)
    with pytest.raises(ValueError, match=r"make_vjp: the cotangent g holds 1 array\(s\) but the output holds 3"):
        vjp_fn(numpy.ones(3))
    with pytest.raises(ValueError, match=r"the cotangent g has shape \(2,\) but the output has shape \(3,\)"):
        vjp_fn((numpy.ones(2), {"s": 1.0, "sq": [numpy.ones(3)]}))
    with pytest.raises(TypeError, match="vjp: call it as vjp"):
        vjp(f_tree)


# --------------------------------------------------------------------------- jacobian, jvp on trees


def test_jacobian_of_tuple_list_and_dict_outputs_closed_forms():
    J = jacobian(lambda x: (x**2, [np.sum(x)], {"p": x[0] * x[1]}))(X)
    close(J[0], numpy.diag(2 * X))
    close(J[1][0], numpy.ones(3))
    close(J[2]["p"], [X[1], X[0], 0.0])
    # several arguments: each output's Jacobian holds one per argument
    Jxy = jacobian(lambda x, y: {"a": x * y, "b": np.sum(y)}, (0, 1))(X, Y)
    close(Jxy["a"][0], numpy.diag(Y))
    close(Jxy["a"][1], numpy.diag(X))
    close(Jxy["b"][0], numpy.zeros(3))
    close(Jxy["b"][1], numpy.ones(3))


def test_jacobian_and_jvp_of_trees_against_torch_func():
    torch = torch_or_skip()
    from torch.func import jacrev
    from torch.func import jvp as t_jvp

    A = numpy.random.default_rng(0).normal(size=(2, 3))

    def ours(x):
        return {"lin": np.dot(A, x), "nl": (np.tanh(x), np.sum(x**2))}

    def theirs(x):
        return {"lin": torch.tensor(A) @ x, "nl": (x.tanh(), (x**2).sum())}

    J, TJ = jacobian(ours)(X), jacrev(theirs)(torch.tensor(X))
    close(J["lin"], TJ["lin"].detach().numpy())
    close(J["nl"][0], TJ["nl"][0].detach().numpy())
    close(J["nl"][1], TJ["nl"][1].detach().numpy())
    v = numpy.array([0.3, 1.0, -0.7])
    val, jv = jvp(ours)(X, v)
    tval, tjv = t_jvp(theirs, (torch.tensor(X),), (torch.tensor(v),))
    close(val["nl"][1], tval["nl"][1].item())
    close(jv["lin"], tjv["lin"].detach().numpy())
    close(jv["nl"][0], tjv["nl"][0].detach().numpy())
    close(jv["nl"][1], tjv["nl"][1].item())
    close(jv["nl"][0], J["nl"][0] @ v)


def test_scalar_transforms_still_need_one_output():
    with pytest.raises(TypeError, match="grad: the function returned a tuple; it must return one array"):
        grad(lambda x: (np.sum(x), np.sum(x)))(X)


# --------------------------------------------------------------------------- checkpoint


def saved_arrays(root: Tensor) -> tuple[int, int]:
    """How many arrays the graph behind ``root`` keeps for the backward pass, and their bytes."""
    arrays, seen, todo = {}, set(), [root]
    while todo:
        t = todo.pop()
        fn = t._ctx
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        for p in fn.inputs:
            arrays[id(p.data)] = p.data.nbytes
            todo.append(p)
        for v in vars(fn).values():
            if backend.is_array(v):
                arrays[id(v)] = v.nbytes
    return len(arrays), sum(arrays.values())


def _block(x, W1, W2):
    return ((x @ W1).tanh() @ W2).tanh().sin() * x


def _weights(seed=0, n=32):
    rng = numpy.random.default_rng(seed)
    return [Tensor(rng.normal(0, 0.3, (n, n)), requires_grad=True) for _ in range(4)]


def _deep(x, Ws, ckpt):
    block = checkpoint(_block) if ckpt else _block
    h = block(x, Ws[0], Ws[1])
    return (block(h, Ws[2], Ws[3]) ** 2).sum()


def test_checkpoint_keeps_fewer_arrays_and_gives_the_same_gradients():
    x = Tensor(numpy.random.default_rng(1).normal(size=(256, 32)))
    Ws = _weights()
    plain, ckpt = _deep(x, Ws, False), _deep(x, Ws, True)
    n_plain, bytes_plain = saved_arrays(plain)
    n_ckpt, bytes_ckpt = saved_arrays(ckpt)
    assert n_ckpt < n_plain / 2 and bytes_ckpt < bytes_plain / 2, (n_plain, bytes_plain, n_ckpt, bytes_ckpt)
    close(ckpt.item(), plain.item())
    g_plain = tg.autograd.grad(plain, Ws)
    g_ckpt = tg.autograd.grad(ckpt, Ws)
    for a, b in zip(g_ckpt, g_plain):
        close(to_np(a), to_np(b), 1e-12)


def test_checkpoint_holds_less_memory_after_the_forward_pass():
    x = Tensor(numpy.random.default_rng(1).normal(size=(512, 32)))
    Ws = _weights()

    def held(ckpt):
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        loss = _deep(x, Ws, ckpt)
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return after - before, loss

    m_plain, _ = held(False)
    m_ckpt, _ = held(True)
    assert m_ckpt < m_plain / 2, (m_plain, m_ckpt)


def test_checkpoint_second_derivatives_match():
    x = Tensor(numpy.random.default_rng(2).normal(size=(4, 5)), requires_grad=True)
    Ws = _weights(3, n=5)
    out = []
    for ckpt in (False, True):
        loss = _deep(x, Ws, ckpt)
        gx, gw = tg.autograd.grad(loss, [x, Ws[0]], create_graph=True)
        hx = tg.autograd.grad((gx**2).sum() + gw.sum(), [x, Ws[0], Ws[3]])
        out.append([to_np(h) for h in hx])
    for a, b in zip(*out):
        close(a, b, 1e-11)
    xs = [Tensor(numpy.random.default_rng(4).normal(size=(3, 5)), requires_grad=True)] + _weights(5, n=5)[:2]
    assert tg.gradcheck(checkpoint(_block), xs)
    assert tg.gradgradcheck(checkpoint(_block), xs)


def test_checkpoint_of_a_module_passes_its_parameters():
    tg.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    x = Tensor(numpy.random.default_rng(5).normal(size=(6, 4)), requires_grad=True)
    (checkpoint(net)(x) ** 2).sum().backward()
    got = [to_np(p.grad) for p in net.parameters()] + [to_np(x.grad)]
    for p in net.parameters():
        p.grad = None
    x.grad = None
    (net(x) ** 2).sum().backward()
    for a, b in zip(got, [to_np(p.grad) for p in net.parameters()] + [to_np(x.grad)]):
        close(a, b, 1e-13)


def test_checkpoint_refuses_a_hidden_tensor_that_requires_grad():
    W = Tensor(numpy.ones((3, 3)), requires_grad=True)
    x = Tensor(numpy.ones((2, 3)), requires_grad=True)
    y = checkpoint(lambda t: (t @ W).tanh())(x).sum()
    with pytest.raises(RuntimeError, match=r"checkpoint: the function uses a tensor of shape \(3, 3\).*argument"):
        y.backward()
    with pytest.raises(TypeError, match="checkpoint: call it with Tensors only"):
        checkpoint(lambda t: t)(numpy.ones(3))
    with pytest.raises(TypeError, match="checkpoint: the function must return one Tensor"):
        checkpoint(lambda t: (t, t))(x)


# --------------------------------------------------------------------------- primitive / defvjp


@primitive
def logsumexp(x):
    """Plain NumPy inside."""
    m = numpy.max(x)
    return m + numpy.log(numpy.sum(numpy.exp(x - m)))


defvjp(logsumexp, lambda ans, x: lambda g: g * np.exp(x - ans))


@primitive
def scaled_cube(x, c, power=3):
    return c * x**power


defvjp(
    scaled_cube,
    lambda ans, x, c, power=3: lambda g: g * c * power * x ** (power - 1),
    lambda ans, x, c, power=3: lambda g: g * x**power,  # c broadcasts: summed back for us
)


def test_primitive_on_arrays_is_the_plain_function():
    assert logsumexp(X) == pytest.approx(numpy.log(numpy.sum(numpy.exp(X))))
    assert logsumexp.__name__ == "logsumexp" and logsumexp.__doc__ == "Plain NumPy inside."


def test_primitive_gradient_hessian_and_checks():
    soft = numpy.exp(X) / numpy.sum(numpy.exp(X))
    close(grad(logsumexp)(X), soft)
    close(hessian(logsumexp)(X), numpy.diag(soft) - numpy.outer(soft, soft))  # the rule differentiates again
    x = Tensor(X, requires_grad=True)
    assert tg.gradcheck(logsumexp, [x]) and tg.gradgradcheck(logsumexp, [x])
    c = Tensor(numpy.array(1.7), requires_grad=True)
    assert tg.gradcheck(lambda x, c: scaled_cube(x, c, power=2), [x, c])
    assert tg.gradgradcheck(lambda x, c: scaled_cube(x, c), [x, c])
    y = scaled_cube(x, c)
    assert y.grad_fn.name == "scaled_cube"


def test_primitive_vs_torch():
    torch = torch_or_skip()
    t = torch.tensor(X, requires_grad=True)
    torch.logsumexp(t, 0).backward()
    close(grad(logsumexp)(X), t.grad.numpy())


def test_primitive_rule_in_plain_numpy_gives_first_derivatives():
    @primitive
    def square(x):
        return x * x

    defvjp(square, lambda ans, x: lambda g: numpy.asarray(g) * 2 * numpy.asarray(x))
    close(grad(lambda x: np.sum(square(x)))(X), 2 * X)


def test_primitive_misuse_is_explained():
    @primitive
    def two(x, y):
        return x * y

    defvjp(two, lambda ans, x, y: lambda g: g * y)
    x, y = Tensor(X, requires_grad=True), Tensor(Y, requires_grad=True)
    with pytest.raises(NotImplementedError, match=r"two: no derivative rule for positional argument 1"):
        tg.autograd.grad(two(x, y).sum(), [x, y])
    close(to_np(tg.autograd.grad(two(x, Y).sum(), x)[0]), Y)  # a constant y needs no rule

    @primitive
    def bad(x):
        return x.sum()

    defvjp(bad, lambda ans, x: lambda g: numpy.ones(5))
    with pytest.raises(ValueError, match=r"bad: the derivative rule for argument 0 returned shape \(5,\).*\(3,\)"):
        bad(x).backward()
    with pytest.raises(TypeError, match="defvjp: 'sum' is not a primitive"):
        defvjp(sum, None)
    with pytest.raises(TypeError, match="inside a list"):
        two([x], 1.0)


# ---------------------------------------------------------------- Function subclasses (torch.autograd.Function)


class Cube(Function):
    """y = x^3.    dL/dx = 3 x^2 dL/dy."""

    def forward(self, x):
        return x**3

    def backward(self, g):
        x = self.inputs[0]
        return g * x * x * 3.0


def test_function_subclass_is_checked_by_gradcheck_and_differentiates_again():
    x = Tensor(X, requires_grad=True)
    assert tg.gradcheck(Cube.apply, [x]) and tg.gradgradcheck(Cube.apply, [x])
    close(grad(lambda z: np.sum(Cube.apply(z)))(X), 3 * X**2)


def test_docs_examples_run():
    """The code blocks of docs/transforms.md run as written (they assert what they claim)."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).resolve().parents[1] / "docs" / "transforms.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    for block in blocks:
        exec(compile(block, "docs/transforms.md", "exec"), {})
