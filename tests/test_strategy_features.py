"""The code features that choose an optimize fan-out's strategies (pipelines.strategies).

Each feature is a set of alternatives looked up by a word first, then confirmed by a pattern. The
reference below is the plain regex of each feature: the split form must say the same on every
snippet, and each alternative must be seen on its own.
"""

from __future__ import annotations

import re

import pytest

from codeflash_engine.pipelines import strategies
from codeflash_engine.pipelines.strategies import ASYNC, BUILDS, LOOP, NUMERICAL, Feature, shows

REFERENCE: dict[str, tuple[Feature, re.Pattern[str]]] = {
    "numerical": (NUMERICAL, re.compile(r"\b(numpy|np\.|pandas|pd\.|torch|jax|scipy|numba|polars)\b")),
    "loop": (
        LOOP,
        re.compile(r"^\s*(for|while)\b|\bfor\s*\(|\.forEach\(|\bfor\s+\w+\s*:?=\s*range\b", re.MULTILINE),
    ),
    "async": (ASYNC, re.compile(r"\basync\b|\bawait\b|\bgo\s+func\b|CompletableFuture|\bPromise\b")),
    "builds": (BUILDS, re.compile(r"\+=|\.append\(|\.add\(|\.push\(|\bnew\s+\w|\blist\(|\bcopy\(|\[:\]")),
}

POSITIVE = {
    "numerical": [
        "import numpy as np",
        "x = np.zeros(3)",
        "import pandas",
        "df = pd.DataFrame()",
        "import torch",
        "import jax.numpy",
        "from scipy import stats",
        "@numba.njit",
        "import polars as pl",
    ],
    "loop": [
        "for x in y:",
        "    while True:",
        "for (int i = 0; i < n; i++)",
        "items.forEach(f)",
        "for i := range xs {",
        "for k = range m",
    ],
    "async": [
        "async def f():",
        "x = await g()",
        "go func() {}()",
        "CompletableFuture<String> f",
        "new Promise((r) => r())",
    ],
    "builds": [
        "x += 1",
        "out.append(y)",
        "seen.add(y)",
        "arr.push(y)",
        "b = a[:]",
        "new ArrayList<>()",
        "list(x)",
        "copy(x)",
    ],
}

NEGATIVE = [
    "def f(x):\n    return x + 1\n",
    "numpyish = 1",  # numpy only as a prefix
    "snp.array",  # np. inside a word
    "np. x",  # np. followed by no word character
    "platform = 'information'",
    "before = forward(1)",  # for inside words
    "awhile = 2",
    "asynchronous = True",
    "awaited = 0",
    "algorithm = go_func",
    "Promises = []",
    "renew = 3",
    "newline",
    "playlist(x)",
    "deepcopy(x)",
    "x = 1 + 2",
]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_every_alternative_is_seen(name: str) -> None:
    feature, reference = REFERENCE[name]
    for snippet in POSITIVE[name]:
        assert reference.search(snippet), snippet  # the reference itself sees it
        assert shows(snippet, feature), f"{name} missed in {snippet!r}"


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_the_split_form_says_what_the_reference_says(name: str) -> None:
    feature, reference = REFERENCE[name]
    snippets = [*NEGATIVE, *(s for group in POSITIVE.values() for s in group)]
    for snippet in snippets:
        assert shows(snippet, feature) == bool(reference.search(snippet)), snippet


def test_nothing_shown_in_plain_code() -> None:
    for name, (feature, _) in REFERENCE.items():
        assert not shows("def f(x):\n    return x * 2\n", feature), name


def test_strategies_follow_each_feature() -> None:
    def order(code: str, **flags: bool) -> list[str]:
        return strategies.applicable([strategies.CodeFile("a.py", code)], **flags)

    assert order("y = f(x)\n")[:2] == ["algorithm", "repeated_work"]
    assert order("import numpy as np\n")[0] == "vectorise"
    assert order("async def f():\n    pass\n")[0] == "concurrency"
    assert order("y = 1\n", is_numerical=True)[0] == "vectorise"
    assert order("y = 1\n", is_async=True)[0] == "concurrency"
    loops = order("for x in y:\n    pass\n")
    assert loops[:3] == ["algorithm", "repeated_work", "builtins"] and loops[-1] in ("caching", "allocations")
    calls = order("f(1)\nf(2)\n")
    assert calls[:3] == ["algorithm", "repeated_work", "caching"]
    builds = order("out.append(1)\n")
    assert builds[:2] == ["algorithm", "allocations"]
