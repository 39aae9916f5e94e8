"""The imports a merged candidate and a generated test are given, and the names analysis behind
them (written against the survivors of ``scripts/mutation.py python.names``)."""

from __future__ import annotations

import ast

from codeflash_engine.plugins.types import CodeFile
from codeflash_engine_python.names import (
    all_nodes,
    bound_names,
    could_import,
    free_names,
    group_from_imports,
    import_statements,
    importable_words,
    missing_imports,
    module_names,
    standard_import,
    used_names,
)
from codeflash_engine_python.testgen.pipeline import postprocess_tests

from . import test_base_carry_over
from .test_candidates import run
from .testgen_samples import request

HEAP_SORT = '''Use a heap.

```python:pkg/sorter.py
def sort_list(xs: List[int]) -> List[int]:
    """Sort a copy of xs."""
    h = list(xs)
    heapify(h)
    return [heappop(h) for _ in range(len(h))]
```
'''


def _merged(answer: str, original: tuple[CodeFile, ...] | None = None, target: str = "sort_list") -> str:
    candidates = run([answer], target=target) if original is None else run([answer], original, target=target)
    assert len(candidates) == 1
    return candidates[0].files[0].code


def test_standard_names_a_candidate_uses_without_importing_them_are_imported_in_one_line() -> None:
    """``heapify`` and ``heappop`` used but not imported: the merged file imports both from heapq,
    grouped in one line (without it the candidate fails with a NameError on the user's machine)."""
    code = _merged(HEAP_SORT)
    assert "from typing import List\nfrom heapq import heapify, heappop\n\n\ndef sort_list" in code
    assert code.count("heapq") == 1


def test_a_module_alias_another_file_imports_is_imported_as_that_file_does() -> None:
    """``np`` bound by ``import jax.numpy as np`` in another file of the request: a candidate using
    ``np`` unimported gets that import, not the conventional ``import numpy as np``."""
    geo = "def total(xs):\n    out = 0\n    for x in xs:\n        out += x\n    return out\n"
    util = "import jax.numpy as np\n\n\ndef ones(n):\n    return np.ones(n)\n"
    original = (CodeFile("pkg/geo.py", geo), CodeFile("pkg/util.py", util))
    answer = "Vectorised.\n\n```python:pkg/geo.py\ndef total(xs):\n    return float(np.sum(np.asarray(xs)))\n```\n"
    code = _merged(answer, original, target="total")
    assert code.startswith("import jax.numpy as np\n\n\ndef total(xs):\n")
    assert "import numpy" not in code


def test_a_conventional_alias_nobody_imports_is_imported_as_its_module() -> None:
    """``np`` used, imported by no file: ``import numpy as np`` is added once."""
    answer = (
        "Numpy.\n\n```python:pkg/sorter.py\ndef sort_list(xs: List[int]) -> List[int]:\n"
        '    """Sort a copy of xs."""\n    return np.sort(np.asarray(xs)).tolist()\n```\n'
    )
    code = _merged(answer)
    assert "from typing import List\nimport numpy as np\n\n\ndef sort_list" in code
    assert code.count("import numpy") == 1


def test_a_refinement_that_imports_and_defines_what_it_uses_gets_no_copy_of_the_bases() -> None:
    """A refinement importing ``insort`` and defining ``_CUTOFF`` itself: the base's import and
    constant are not carried over as well (a second import line, or ``_CUTOFF = 16`` above the
    answer's own value)."""
    answer = (
        "Smaller cutoff.\n\n```python:pkg/sorter.py\nfrom bisect import insort\n\n_CUTOFF = 8\n\n\n"
        "def sort_list(xs: List[int]) -> List[int]:\n"
        '    """Sort a copy of xs."""\n    if len(xs) <= _CUTOFF:\n        out = []\n        for x in xs:\n'
        "            insort(out, x)\n        return out\n    return sorted(xs)\n```\n"
    )
    (candidate,) = test_base_carry_over.run([answer])
    code = candidate.files[0].code
    assert code.count("from bisect import insort\n") == 1
    assert "_CUTOFF = 8\n" in code and "_CUTOFF = 16" not in code


def _generated(body: str) -> str:
    answer = f"```python\n{body}```"
    return postprocess_tests(
        request(answer, function="area", qualified="area", module="pkg.area", test_module="tests.test_area", files=())
    ).generated


def test_a_generated_test_importing_a_submodule_gets_no_second_import_of_its_package() -> None:
    """``import os.path`` binds ``os``: the cleaned test does not also get ``import os``."""
    generated = _generated(
        "import os.path\nfrom pkg.area import area\n\n\ndef test_area():\n"
        "    assert os.path.join('a', 'b') == 'a/b'\n    assert area(2) == 4\n"
    )
    assert "import os\n" not in generated
    assert generated.startswith("import os.path\nfrom pkg.area import area\n")


def test_a_name_nobody_supplies_gets_no_import_and_the_others_still_do() -> None:
    """A generated test reading ``mystery_value`` (defined nowhere) and ``math`` and ``pytest``
    unimported: the known ones are imported, the unknown one left for the test run to report."""
    generated = _generated(
        "def test_area():\n    assert area(2) == mystery_value\n    with pytest.raises(TypeError):\n"
        "        area(math.pi, 1)\n"
    )
    header = generated.split("def test_area", 1)[0]
    assert header == "from pkg.area import area\nimport math\nimport pytest\n\n\n"  # mystery_value not imported


def test_all_nodes_lists_every_node_roots_first() -> None:
    """Breadth first from the roots: the same nodes as ``ast.walk``."""
    tree = ast.parse("def f(a, *b, **c):\n    return [x + 1 for x in a if x]\n\nclass C(B):\n    y: int = 2\n")
    nodes = all_nodes([tree])
    assert nodes[0] is tree
    assert sorted(map(id, nodes)) == sorted(map(id, ast.walk(tree)))
    second = ast.parse("z = 1")
    both = all_nodes([tree, second])
    assert both[:2] == [tree, second] and len(both) == len(nodes) + len(list(ast.walk(second)))


BINDINGS = """\
import os.path
import collections.abc as cabc
from m import a, b as bee
from . import rel


def f(p, *args, k=1, **kw):
    global g
    x = 1
    del old
    for i, (j, *rest) in enumerate(p):
        pass
    with open(p) as fh:
        pass
    try:
        pass
    except ValueError as err:
        pass
    match p:
        case {"k": v, **others}:
            pass
        case [first, *tail]:
            pass
        case Point(x=px) as pt:
            pass
    lam = lambda q: q + outer
    return helper(x)


async def g2():
    nonlocal_not = [n for n in range(3)]


class K(Base):
    attr = 1
"""


def test_bound_names_covers_every_kind_of_binding() -> None:
    """Definitions, imports (the package of a dotted import, the alias), parameters, targets,
    deletions, handlers, globals and match captures are bound; names only read are not."""
    bound = bound_names(ast.parse(BINDINGS))
    expected = {"os", "cabc", "a", "bee", "rel", "f", "p", "args", "k", "kw", "g", "x", "old", "i", "j", "rest"}
    expected |= {"fh", "err", "v", "others", "first", "tail", "px", "pt", "lam", "q", "g2", "nonlocal_not", "n"}
    expected |= {"K", "attr"}
    assert bound == expected
    assert {"path", "collections", "m", "b", "helper", "outer", "Base", "enumerate", "open"}.isdisjoint(bound)


def test_used_and_free_names() -> None:
    """Read names only; a function's free names leave out what it binds itself."""
    tree = ast.parse(BINDINGS)
    used = used_names([tree])
    assert {"helper", "outer", "Base", "enumerate", "open", "p", "x", "q", "ValueError", "range"} <= used
    assert {"old", "fh", "err", "f", "K"}.isdisjoint(used)
    function = tree.body[4]
    assert isinstance(function, ast.FunctionDef) and function.name == "f"
    assert free_names(function) == {"helper", "outer", "enumerate", "open", "ValueError", "Point"}


def test_module_names_are_the_top_level_bindings_only() -> None:
    """A module binds its imports, definitions and top-level targets, not its functions' locals."""
    tree = ast.parse(BINDINGS + "for top in []:\n    pass\n")
    assert module_names(tree) == {"os", "cabc", "a", "bee", "rel", "f", "g2", "K", "top"}


def test_only_names_an_import_is_known_for_are_importable_words() -> None:
    """The cheap filter of the merge: stdlib modules, well-known stdlib names, conventional
    aliases and the request's own imports; never builtins or other words."""
    assert could_import("math") and could_import("heapify") and could_import("np")
    assert not could_import("list") and not could_import("helper") and not could_import("print")
    text = "x = heapify(np.zeros(3)) + helper(math.pi) + len(mine) # reduce\n3xyz"
    assert importable_words(text, {"mine": "from pkg import mine"}) == {"heapify", "np", "math", "mine", "reduce"}


def test_standard_imports() -> None:
    """A stdlib name is imported from its module, a stdlib module by itself; others have none."""
    assert standard_import("deque") == "from collections import deque"
    assert standard_import("itertools") == "import itertools"
    assert standard_import("np") is None and standard_import("helper") is None


def test_missing_imports_prefers_the_known_import_and_adds_aliases_only_for_third_party() -> None:
    """Known imports first, then the standard library; ``np`` only with ``third_party``; bound
    names and builtins need nothing; two names from one module share a line."""
    used = ["np", "deque", "Counter", "helper", "len", "mine", "x"]
    known = {"mine": "from pkg import mine"}
    assert missing_imports(used, {"x"}, known) == ["from collections import Counter, deque", "from pkg import mine"]
    assert missing_imports(used, {"x"}, known, third_party=True) == [
        "from collections import Counter, deque",
        "from pkg import mine",
        "import numpy as np",
    ]
    assert missing_imports(["np"], set(), {"np": "import jax.numpy as np"}, third_party=True) == [
        "import jax.numpy as np"
    ]
    assert missing_imports(["a", "b"], set(), {"a": "import ab", "b": "import ab"}) == ["import ab"]


def test_group_from_imports_joins_lines_of_one_module_at_its_first_place() -> None:
    """``from m import a`` and ``from m import b`` become one line where the first was; plain
    imports stay as they are."""
    lines = ["from m import a", "import os", "from n import c", "from m import b as bee", "import os.path"]
    assert group_from_imports(lines) == ["from m import a, b as bee", "import os", "from n import c", "import os.path"]


def test_import_statements_give_one_line_per_bound_name() -> None:
    """Each name a top-level import binds maps to an import of that name alone, aliases kept;
    ``__future__`` and star imports bind nothing; imports inside functions are not the module's."""
    tree = ast.parse(
        "from __future__ import annotations\nimport os.path\nimport numpy as np, sys\n"
        "from .. import up\nfrom .sib import a as b, c\nfrom star import *\n"
        "def f():\n    import inner\n"
    )
    assert import_statements(tree) == {
        "os": "import os.path",
        "np": "import numpy as np",
        "sys": "import sys",
        "up": "from .. import up",
        "b": "from .sib import a as b",
        "c": "from .sib import c",
    }


def test_a_module_s_names_leave_out_what_its_comprehensions_and_lambdas_bind_for_themselves() -> None:
    """A comprehension's variables and a lambda's parameters are their own scope's; the target of
    ``:=`` in a comprehension and a module ``for`` loop's variable are the module's."""
    code = "W = [w for w in R]\nT = [(y := f(x)) for x in R]\nK = lambda q, d=D: q\nfor i in R:\n    pass\n"
    assert module_names(ast.parse(code)) == {"W", "T", "y", "K", "i"}
