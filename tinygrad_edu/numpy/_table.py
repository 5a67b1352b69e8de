"""The declared table behind ``tinygrad_edu.numpy``: what every NumPy name does with a Tensor.

Each public name of the namespace and of its submodules is of one kind:

- **differentiable**: written in ``tinygrad_edu.numpy`` (or its submodule) with Tensor ops, so
  the derivative is recorded. Listed in that module's ``DIFFERENTIABLE``; each has a derivative
  test (``tests/test_numpy_namespace.py`` checks the registry).
- **value**: NumPy's own function applied to the values; the result is a plain NumPy result
  (indices, booleans, shapes, rounded values: nothing to differentiate), as HIPS autograd's
  ``nograd_functions``. Listed in the module's ``VALUE_ONLY``.
- **refused**: every other function. Given a Tensor that requires grad while grad mode is on, it
  raises a ``TypeError`` that names it and says why (its ``REFUSED`` entry, or "no derivative
  rule"), instead of silently dropping the derivative. Otherwise it is NumPy's own function on
  the values.

Constants, dtypes and other classes are NumPy's own objects: a class that would read a Tensor's
values (``np.float64(t)``, ``np.matrix(t)``) meets the Tensor's own refusal to convert.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_edu import autograd, backend
from tinygrad_edu.tensor import Tensor

NO_RULE = "it has no derivative rule in tinygrad_edu"


def _walk(obj: Any) -> Iterable[Any]:
    """The objects inside nested lists, tuples and dicts (no recursion)."""
    todo = [obj]
    while todo:
        o = todo.pop()
        yield o
        if isinstance(o, (list, tuple)):
            todo.extend(o)
        elif isinstance(o, dict):
            todo.extend(o.values())


def has_tensor(*objs: Any) -> bool:
    """True when any argument is a Tensor, or a list/tuple holding one (at any depth).

    The one test, used by the NumPy and SciPy namespaces, of whether a call has a Tensor to take
    the engine's path (dicts are not looked into: NumPy's functions take none of arrays).
    """
    todo = list(objs)
    while todo:
        o = todo.pop()
        if isinstance(o, Tensor):
            return True
        if isinstance(o, (list, tuple)):
            todo.extend(o)
    return False


def tracked(*objs: Any) -> bool:
    """True when an argument holds a Tensor that requires grad while grad mode is on."""
    if not autograd.is_grad_enabled():
        return False
    return any(isinstance(o, Tensor) and o.requires_grad for o in _walk(objs))


def values(obj: Any) -> Any:
    """``obj`` with every Tensor (also inside lists, tuples and dicts) replaced by its host array."""
    if isinstance(obj, Tensor):
        return backend.to_numpy(obj.data)
    if isinstance(obj, (list, tuple)) and any(isinstance(o, Tensor) for o in _walk(obj)):
        return type(obj)([values(o) for o in obj])
    if isinstance(obj, dict):
        return {k: values(v) for k, v in obj.items()}
    return obj


def refusal(qualname: str, reason: str = NO_RULE) -> TypeError:
    """The error of a refused function given a Tensor that requires grad."""
    return TypeError(
        f"{qualname} refuses a Tensor that requires grad: {reason}, so NumPy would silently drop "
        "the derivative. Write it with the differentiable functions of tinygrad_edu.numpy or Tensor "
        "methods; pass t.detach() if no derivative is wanted, or use t.item() to read a number."
    )


def value_only(qualname: str, np_fn: Callable) -> Callable:
    """NumPy's ``np_fn`` on the values of Tensor arguments, returning a plain result."""

    @functools.wraps(np_fn)
    def fn(*args: Any, **kw: Any) -> Any:
        return np_fn(*values(args), **values(kw))

    fn.__doc__ = f"``{qualname}`` on the values (no derivative: the result is a plain NumPy result)."
    fn._kind = "value"  # type: ignore[attr-defined]
    return fn


def refused(qualname: str, np_fn: Callable, reason: str = NO_RULE) -> Callable:
    """NumPy's ``np_fn``, raising when an argument is a Tensor that requires grad (see module doc)."""

    @functools.wraps(np_fn)
    def fn(*args: Any, **kw: Any) -> Any:
        if tracked(args, kw):
            raise refusal(qualname, reason)
        return np_fn(*values(args), **values(kw))

    fn._kind = "refused"  # type: ignore[attr-defined]
    return fn


class Namespace:
    """Resolves the names a module of ``tinygrad_edu.numpy`` does not define itself.

    ``qualname`` is the module's name (``"tinygrad_edu.numpy.linalg"``), ``np_module`` the NumPy
    module it stands for; ``value_only`` and ``refused`` are the module's declared tables, and
    ``submodules`` maps a name to a module of the namespace that stands for a NumPy submodule.
    """

    def __init__(
        self,
        qualname: str,
        np_module: types.ModuleType,
        value_only: Iterable[str] = (),
        refused: dict[str, str] | None = None,
        submodules: dict[str, Callable[[], types.ModuleType]] | None = None,
    ) -> None:
        self.qualname, self.np_module = qualname, np_module
        self.value_only = frozenset(value_only)
        self.refused = dict(refused or {})
        self.submodules = dict(submodules or {})
        self._cache: dict[str, Any] = {}

    def getattr(self, name: str) -> Any:
        """The module-level ``__getattr__``: NumPy's name, as its declared kind."""
        if name in self._cache:
            return self._cache[name]
        if name in self.submodules:
            return self.submodules[name]()
        try:
            obj = getattr(self.np_module, name)
        except AttributeError:
            raise AttributeError(f"module {self.qualname!r} has no attribute {name!r} (nor has NumPy)") from None
        out = self.wrap(name, obj)
        self._cache[name] = out
        return out

    def wrap(self, name: str, obj: Any) -> Any:
        """NumPy's object ``obj`` as this namespace hands it out."""
        qual = f"{self.qualname}.{name}"
        if isinstance(obj, types.ModuleType):
            if not obj.__name__.startswith("numpy"):
                return obj
            return Proxy(qual, obj)
        if isinstance(obj, type) or not callable(obj):
            return obj
        if name in self.value_only:
            return value_only(qual, obj)
        return refused(qual, obj, self.refused.get(name, NO_RULE))

    def dir(self, module_globals: dict[str, Any]) -> list[str]:
        """The public names: NumPy's, and the module's own (its ``__all__`` and its functions)."""
        public = {n for n in dir(self.np_module) if not n.startswith("_")}
        own = set(module_globals.get("__all__", ())) | {
            n
            for n, v in module_globals.items()
            if not n.startswith("_") and callable(v) and getattr(v, "__module__", None) == self.qualname
        }
        return sorted(public | own | set(self.submodules))


class Proxy(types.ModuleType):
    """A NumPy submodule with no module of its own here (``np.ma``, ``np.emath``, ...): every
    function in it is refused for Tensors that require grad (``numpy.testing``: value-only)."""

    def __init__(self, qualname: str, np_module: types.ModuleType) -> None:
        super().__init__(qualname, f"NumPy's {np_module.__name__}, guarded: see tinygrad_edu.numpy._table.")
        every = [n for n in dir(np_module) if not n.startswith("_")]
        value = every if np_module.__name__.startswith("numpy.testing") else ()
        self._namespace = Namespace(qualname, np_module, value_only=value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._namespace.getattr(name)

    def __dir__(self) -> list[str]:
        return self._namespace.dir({})


def stands_for(module: types.ModuleType) -> types.ModuleType:
    """The NumPy module that a module of the namespace stands for."""
    namespace = getattr(module, "_namespace", None) or getattr(module, "_NAMESPACE", None)
    return namespace.np_module if namespace is not None else module


def kind(module: Any, name: str) -> str:
    """The declared kind of ``module.name``: differentiable, value, refused, module, class or constant."""
    obj = getattr(module, name)
    if name in getattr(module, "DIFFERENTIABLE", ()):
        return "differentiable"
    if isinstance(obj, types.ModuleType):
        return "module"
    if isinstance(obj, type):
        return "class"
    if not callable(obj):
        return "constant"
    if name in getattr(module, "VALUE_ONLY", ()) or getattr(obj, "_kind", None) == "value":
        return "value"
    return getattr(obj, "_kind", "undeclared")


# --------------------------------------------------------------------------- NumPy's protocols


def _namespace_of(np_module_name: str) -> Any:
    """The module of ``tinygrad_edu.numpy`` that stands for NumPy's module of this name, or None."""
    import tinygrad_edu.numpy as tnp  # late: the namespace imports this module

    ns: Any = tnp
    for part in np_module_name.split(".")[1:]:
        ns = getattr(ns, part, None)
        if not isinstance(ns, types.ModuleType):
            return None
    return ns


def array_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_ufunc__``: a differentiable ufunc runs the namespace's Tensor version (so
    ``ndarray * t`` is a Tensor, as ``t * ndarray``), a value-only one gives a plain result, and
    any other refuses a Tensor that requires grad while recording."""
    name = ufunc.__name__
    ns = _namespace_of("numpy")
    k = kind(ns, name) if method == "__call__" and hasattr(ns, name) else "refused"
    if k == "differentiable" and not kwargs:
        return getattr(ns, name)(*inputs)
    if k == "value":
        return getattr(ns, name)(*inputs, **kwargs)
    if tracked(inputs, kwargs):
        what = f"numpy.{name}" if hasattr(ns.__dict__.get("_np"), name) else f"the ufunc {name!r}"  # scipy's too
        what += "" if method == "__call__" else f".{method}"
        reason = NO_RULE
        if k == "differentiable":
            reason = f"the options {sorted(kwargs)} (an out= array cannot hold a derivative) are not supported"
        raise refusal(what, getattr(ns, "REFUSED", {}).get(name, reason))
    return getattr(ufunc, method)(*values(inputs), **values(kwargs))


def array_function(func: Any, args: tuple, kwargs: dict) -> Any:
    """``Tensor.__array_function__``: with a Tensor that requires grad while recording, a
    differentiable function runs the namespace's Tensor version and any other refuses; value-only
    functions give plain results; otherwise NumPy's function runs on the values, as for arrays."""
    name = func.__name__
    ns = _namespace_of(getattr(func, "__module__", None) or "")
    k = kind(ns, name) if ns is not None and hasattr(ns, name) else "refused"
    if k == "value":
        return getattr(ns, name)(*args, **kwargs)
    if tracked(args, kwargs):
        if k == "differentiable":
            return getattr(ns, name)(*args, **kwargs)
        raise refusal(f"{func.__module__}.{name}", getattr(ns, "REFUSED", {}).get(name, NO_RULE))
    return func(*values(args), **values(kwargs))
