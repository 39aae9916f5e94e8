"""Sizes of the data and loops a generated Python test builds, and how to cap them.

The budget: a test stays small so that it finishes well inside the CLI's timeout and memory
(on numerical code especially, where ``np.random.rand(10**5, 10**4)`` runs out of memory and the
function is skipped):

- :data:`MAX_RANGE`: the most iterations of one ``range``;
- :data:`MAX_LOOP_ITERATIONS`: the most iterations of nested loops (``for`` statements and
  comprehensions) taken together;
- :data:`MAX_ELEMENTS`: the most elements of one array, tensor or frame built by a constructor
  (numpy, torch, jax, pandas: ``zeros``, ``ones``, ``empty``, ``full``, ``rand``, ``randn``,
  ``randint``, ``arange``, ``linspace``, ``eye``, ``random.*(size=...)``, ``date_range(periods=)``
  and the like);
- :data:`MAX_REPEAT`: the longest list built by repetition (``[0] * n``), counting the
  comprehension loops that build it (``[[0] * m for _ in range(n)]`` holds ``n * m``);
- :data:`MAX_TEXT_REPEAT`: the longest string or bytes built by repetition (``"a" * n``) or by
  ``bytes(n)`` / ``bytearray(n)``.

Only sizes written as integer literal expressions (``10**6``, ``2 * 500``) or names assigned one
once are capped. A shape over budget keeps its number of dimensions (and the constructor its
dtype and every other argument): its large dimensions are shrunk to an equal share of the
budget, small ones are kept (``(3, 10**6)`` becomes ``(3, 33333)``, ``(5*10**4, 5*10**4)``
becomes ``(316, 316)``). Nested loops are shrunk the same way, their bounds taken as the
dimensions. Sizes within the budget are never touched.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

import attrs

from codeflash_engine.text.sizes import MAX_ELEMENTS, MAX_LOOP_ITERATIONS, shrink

__all__ = [
    "MAX_ELEMENTS",
    "MAX_LOOP_ITERATIONS",
    "MAX_RANGE",
    "MAX_REPEAT",
    "MAX_TEXT_REPEAT",
    "Dim",
    "Size",
    "capped_values",
    "fold_int",
    "shrink",
    "size_sites",
]

#: the most iterations a single ``range`` of a test may have
MAX_RANGE = 1_000
#: the longest list or tuple a test may build by repetition (``[0] * n``), comprehensions included
MAX_REPEAT = 10_000
#: the longest string or bytes a test may build by repetition (``"a" * n``) or ``bytes(n)``
MAX_TEXT_REPEAT = 100_000


def fold_int(node: ast.expr) -> int | None:
    """The value of an integer literal expression (``10**6``, ``2 * 500``, ``int(1e6)``), else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = fold_int(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.BinOp):
        left, right = fold_int(node.left), fold_int(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Pow):
            return left**right if 0 <= right <= 64 and abs(left) < 1 << 16 else None
        operations = {ast.Add: int.__add__, ast.Sub: int.__sub__, ast.Mult: int.__mul__}
        if type(node.op) in operations:
            return operations[type(node.op)](left, right)
        if isinstance(node.op, ast.FloorDiv) and right:
            return left // right
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "int"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, float)
        and node.args[0].value.is_integer()
        and abs(node.args[0].value) < 1e18
    ):
        return int(node.args[0].value)
    return None


@attrs.frozen
class Dim:
    """One dimension: the literal expression to edit (a name's is its assignment's value), the
    dimension's length, and the expression's value for a given length (a ``range`` bound is not
    its length)."""

    expr: ast.expr
    length: int
    start: int = 0
    step: int = 1

    def value_for(self, length: int) -> int:
        return self.start + length * self.step


@attrs.frozen
class Size:
    """A size-bearing expression of the test: its dimensions, the budget of their product, and
    whether it is a loop (``range``) or a comprehension's loop (whose iterations build elements)."""

    node: ast.AST
    dims: tuple[Dim, ...]
    budget: int
    loop: bool = False
    builds: bool = False


# ------------------------------------------------------------------------------------------
# Constructors
# ------------------------------------------------------------------------------------------

_ARRAY_MODULES = frozenset({"np", "numpy", "torch", "jnp", "jax", "pd", "pandas", "cp", "cupy", "tf", "onp"})
# shape (int or tuple) as the first argument, or as every positional argument (torch, np.random.rand)
_SHAPE_FIRST = frozenset({"zeros", "ones", "empty", "full", "ndarray", "standard_normal", "random_sample", "sample"})
_VARARGS_SHAPE = frozenset({"rand", "randn"})
_TORCH_VARARGS = frozenset({"zeros", "ones", "empty", "rand", "randn"})
_SQUARE = frozenset({"eye", "identity"})
# names a numpy Generator is usually bound to (``rng = np.random.default_rng(0)``)
_GENERATORS = frozenset({"rng", "generator", "gen", "random_state", "rs"})
_SIZE_KEYWORDS = ("size", "shape", "num", "steps", "periods", "sample_shape")
# numpy.random / Generator functions taking ``size`` at a given position
_SIZE_AT = {
    "random": 0,
    "standard_normal": 0,
    "integers": 2,
    "randint": 2,
    "uniform": 2,
    "normal": 2,
    "choice": 1,
    "binomial": 2,
    "poisson": 1,
    "exponential": 1,
    "permutation": 0,
}
# jax.random: the shape after the key
_JAX_SHAPE_AT = {"normal": 1, "uniform": 1, "randint": 1, "bernoulli": 2, "choice": 2, "permutation": 1}


def _root_and_name(func: ast.expr) -> tuple[str | None, str | None, list[str]]:
    """(root module name, function name, attribute path) of a called expression."""
    parts: list[str] = []
    node = func
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        parts.reverse()
        return parts[0], parts[-1], parts
    if isinstance(node, ast.Call):  # np.random.default_rng(0).random(...)
        parts.reverse()
        inner_root, _, inner = _root_and_name(node.func)
        return inner_root, parts[-1] if parts else None, [*inner, "()", *parts]
    return None, None, []


class _Resolver:
    """Integer values of size expressions: literals, and names assigned a literal exactly once."""

    def __init__(self, tree: ast.Module) -> None:
        counts: dict[str, int] = {}
        values: dict[str, tuple[ast.expr, int]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                counts[node.id] = counts.get(node.id, 0) + 1
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = fold_int(node.value)
                if value is not None:
                    values[node.targets[0].id] = (node.value, value)
        self.constants: dict[str, tuple[ast.expr, int]] = {
            name: v for name, v in values.items() if counts.get(name) == 1
        }

    def value(self, node: ast.expr) -> tuple[ast.expr, int] | None:
        """(the literal expression to edit, its value) for a size written as ``node``."""
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        value = fold_int(node)
        return None if value is None else (node, value)

    def shape(self, node: ast.expr) -> list[Dim] | None:
        """The dimensions of a shape written as an int or a tuple/list of ints (all resolved)."""
        if isinstance(node, ast.Tuple | ast.List):
            dims = [self.value(e) for e in node.elts]
            if not dims or any(d is None for d in dims):
                return None
            return [Dim(*d) for d in dims if d is not None]
        one = self.value(node)
        return None if one is None else [Dim(*one)]


def _keyword(call: ast.Call, names: Sequence[str]) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


def _constructor_shape(call: ast.Call, r: _Resolver) -> list[Dim] | None:
    """The shape an array/tensor/frame constructor call builds, when it is one and is resolved."""
    root, name, path = _root_and_name(call.func)
    if name is None:
        return None
    args = call.args
    if isinstance(call.func, ast.Name):
        if name in ("bytes", "bytearray") and len(args) == 1 and r.value(args[0]) is not None:
            return r.shape(args[0])
        return None
    generator = "()" in path or root in _GENERATORS
    if root not in _ARRAY_MODULES and not generator:
        return None
    keyword = _keyword(call, _SIZE_KEYWORDS)
    if keyword is not None:
        return r.shape(keyword)
    if "random" in path and root in ("jax",) and name in _JAX_SHAPE_AT:
        at = _JAX_SHAPE_AT[name]
        return r.shape(args[at]) if -len(args) <= at < len(args) else None
    if name in _SQUARE and args:
        n = r.value(args[0])
        if n is None:
            return None
        m = r.value(args[1]) if len(args) > 1 else None
        return [Dim(*n), Dim(*(m or n))]
    if name in ("arange", "RangeIndex") and args:
        return _range_dims(args, r)
    if name == "linspace" and len(args) >= 3:
        return r.shape(args[2])
    if name == "randint" and root == "torch":
        shaped = [a for a in args if isinstance(a, ast.Tuple | ast.List)]
        return r.shape(shaped[-1]) if shaped else None
    if name in _SIZE_AT and root != "torch" and ("random" in path or generator):
        at = _SIZE_AT[name]
        return r.shape(args[at]) if at < len(args) else None
    if name == "randperm" and args:
        return r.shape(args[0])
    if name in _VARARGS_SHAPE or (root == "torch" and name in _TORCH_VARARGS):
        if len(args) == 1 and isinstance(args[0], ast.Tuple | ast.List):
            return r.shape(args[0])
        dims = [r.value(a) for a in args]
        if dims and all(d is not None for d in dims):
            return [Dim(*d) for d in dims if d is not None]
        return None
    if name in _SHAPE_FIRST and args:
        return r.shape(args[0])
    return None


def _repetition(node: ast.BinOp, r: _Resolver) -> Size | None:
    for seq, count in ((node.left, node.right), (node.right, node.left)):
        value = r.value(count)
        if value is None:
            continue
        if isinstance(seq, ast.Constant) and isinstance(seq.value, str | bytes):
            return Size(node, (Dim(*value),), MAX_TEXT_REPEAT)
        if isinstance(seq, ast.List | ast.Tuple):
            return Size(node, (Dim(*value),), MAX_REPEAT)
    return None


def size_sites(tree: ast.Module) -> Iterator[tuple[Size, tuple[Size, ...]]]:
    """Every size-bearing expression with the loops enclosing it (outermost first): ``range``
    calls (as loops), array/tensor/frame constructors, repetitions, ``bytes(n)``."""
    r = _Resolver(tree)

    def visit(node: ast.AST, loops: tuple[Size, ...]) -> Iterator[tuple[Size, tuple[Size, ...]]]:
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "range":
                site = _range_site(node, r)
                if site is not None:
                    yield site, loops
            else:
                shape = _constructor_shape(node, r)
                if shape is not None:
                    text = isinstance(node.func, ast.Name) and node.func.id in ("bytes", "bytearray")
                    yield Size(node, tuple(shape), MAX_TEXT_REPEAT if text else MAX_ELEMENTS), loops
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            site = _repetition(node, r)
            if site is not None:
                yield site, loops
        if isinstance(node, ast.For | ast.AsyncFor):
            yield from visit(node.target, loops)
            yield from visit(node.iter, loops)
            inner = _loop_of(node.iter, r)
            for stmt in [*node.body, *node.orelse]:
                yield from visit(stmt, loops if inner is None else (*loops, inner))
            return
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            nested = loops
            for gen in node.generators:
                yield from visit(gen.iter, nested)
                inner = _loop_of(gen.iter, r, builds=True)
                if inner is not None:
                    nested = (*nested, inner)
                for cond in gen.ifs:
                    yield from visit(cond, nested)
            elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for element in elements:
                yield from visit(element, nested)
            return
        for child in ast.iter_child_nodes(node):
            yield from visit(child, loops)

    yield from visit(tree, ())


def _range_dims(args: Sequence[ast.expr], r: _Resolver) -> list[Dim] | None:
    """The one dimension of ``range(...)`` / ``arange(...)``: the bound that makes it long (the
    stop, or the start of a descending range such as ``range(10**6, 0, -1)``)."""
    values = [r.value(a) for a in args]
    if not values or len(values) > 3 or any(v is None for v in values):
        return None
    resolved = [v for v in values if v is not None]
    bounds = [v[1] for v in resolved]
    start, stop, step = (0, bounds[0], 1) if len(bounds) == 1 else [*bounds, 1][:3]
    if step == 0:
        return None
    length = max(0, -((start - stop) // step))  # len(range(...)), which overflows past sys.maxsize
    if len(resolved) == 1 or abs(stop) >= abs(start):
        stop_expr = resolved[0][0] if len(resolved) == 1 else resolved[1][0]
        return [Dim(stop_expr, length, start, step)]
    return [Dim(resolved[0][0], length, stop, -step)]


def _range_site(call: ast.Call, r: _Resolver, builds: bool = False) -> Size | None:
    dims = _range_dims(call.args, r)
    return None if dims is None else Size(call, tuple(dims), MAX_RANGE, loop=True, builds=builds)


def _loop_of(iterable: ast.expr, r: _Resolver, builds: bool = False) -> Size | None:
    """The range a loop iterates over, directly or through ``enumerate``/``list``/``reversed``."""
    node = iterable
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("enumerate", "list", "reversed", "tuple")
        and node.args
    ):
        node = node.args[0]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        return _range_site(node, r, builds)
    return None


def capped_values(tree: ast.Module) -> dict[int, tuple[int, int]]:
    """For each size expression over budget (by ``id`` of its node): (its new length, its new value).

    A ``range`` over :data:`MAX_RANGE` is cut to it; nested loops whose iterations multiply past
    :data:`MAX_LOOP_ITERATIONS` are shrunk together; a constructor or repetition over its budget has its
    shape shrunk, counting the comprehension loops that build it (``[[0] * m for _ in range(n)]``
    holds ``n * m`` elements). Each expression gets the smallest value any of its uses needs.
    """
    new: dict[int, tuple[int, int]] = {}

    def cut(dims: Sequence[Dim], lengths: Sequence[int]) -> None:
        for dim, length in zip(dims, lengths, strict=True):
            if length < dim.length:
                old, value = new.get(id(dim.expr)), dim.value_for(length)
                if old is None or value < old[1]:  # the smallest value: a range's start adds to it
                    new[id(dim.expr)] = (length, value)

    for site, loops in size_sites(tree):
        if site.loop:
            own = shrink([site.dims[0].length], MAX_RANGE)
            cut(site.dims, own)
            chain = [*(loop.dims[0] for loop in loops), site.dims[0]]
            lengths = [new.get(id(d.expr), (d.length, 0))[0] for d in chain]
            cut(chain, shrink(lengths, MAX_LOOP_ITERATIONS))
        else:
            outer = [loop.dims[0] for loop in loops if loop.builds]
            chain = [*outer, *site.dims]
            lengths = [new.get(id(d.expr), (d.length, 0))[0] for d in outer] + [d.length for d in site.dims]
            cut(chain, shrink(lengths, site.budget))
    return new
