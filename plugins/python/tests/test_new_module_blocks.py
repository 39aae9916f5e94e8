"""A block for a module the client did not send, imported by the target's file (candidates/
newmodule.py): the client writes only the files it sent, so the new module's code is folded into
the file importing from it, and the import goes."""

from __future__ import annotations

import pytest

from codeflash_engine.plugins.types import Candidate, CandidatesRequest, CodeFile, Target, Task
from codeflash_engine_python.candidates.pipeline import CLEANER

from .answers import answers as answers_of

TOTAL = "def total(vs):\n    t = 0\n    for v in vs:\n        t = t + v * v\n    return t\n"
KERNEL = "import math\n\n\ndef sumsq(vs):\n    return math.fsum(v * v for v in vs)\n"


def candidates(path: str, import_line: str, kernel_path: str = "pkg/_kernels.py") -> list[Candidate]:
    answer = (
        "Move the kernel to a module of its own.\n\n"
        f"```python:{kernel_path}\n{KERNEL}```\n\n"
        f"```python:{path}\n{import_line}\n\n\ndef total(vs):\n    return sumsq(vs)\n```\n"
    )
    return postprocessed((CodeFile(path, TOTAL),), answer)


def postprocessed(files: tuple[CodeFile, ...], answer: str) -> list[Candidate]:
    """The candidates the Python plugin makes of ``answer`` to optimize ``total`` in ``files``."""
    request = CandidatesRequest(
        task=Task.OPTIMIZE,
        language="python",
        language_version="3.11.7",
        original=files,
        answers=answers_of([answer], files),
        target=Target.parse("total"),
        fence_tags=("python", "py", "python3"),
    )
    return CLEANER.postprocess(request)


@pytest.mark.parametrize(
    ("path", "import_line", "kernel_path"),
    [
        ("pkg/tot.py", "from pkg._kernels import sumsq", "pkg/_kernels.py"),
        ("pkg/tot.py", "from ._kernels import sumsq", "pkg/_kernels.py"),
        ("src/pkg/tot.py", "from pkg._kernels import sumsq", "src/pkg/_kernels.py"),
        ("pkg/sub/tot.py", "from .._kernels import sumsq", "pkg/_kernels.py"),
    ],
    ids=["absolute", "relative", "src-layout", "parent-package"],
)
def test_the_new_module_s_code_moves_into_the_importing_file(path: str, import_line: str, kernel_path: str) -> None:
    [candidate] = candidates(path, import_line, kernel_path)
    [file] = candidate.files
    assert file.path == path
    assert "_kernels" not in file.code, file.code
    assert "import math" in file.code and "def sumsq(vs):" in file.code, file.code
    scope: dict[str, object] = {}
    exec(compile(file.code, path, "exec"), scope)
    assert scope["total"]([1, 2, 3]) == 14.0  # type: ignore[operator]


def test_an_aliased_import_or_another_module_s_is_left_as_it_was() -> None:
    [other] = candidates("pkg/tot.py", "from other._kernels import sumsq")
    assert "from other._kernels import sumsq" in other.files[0].code, other.files[0].code
    assert "def sumsq" not in other.files[0].code
    [aliased] = candidates("pkg/tot.py", "from pkg._kernels import sumsq as fast\nsumsq = fast")
    assert "from pkg._kernels import sumsq as fast" in aliased.files[0].code, aliased.files[0].code


def test_every_file_importing_from_the_new_module_gets_its_code() -> None:
    """Two sent files both import from the new module: neither may keep an import of a module
    the client will never write."""
    squares = "def squares(vs):\n    t = 0\n    for v in vs:\n        t += v * v\n    return t\n"
    total = "from pkg.sq import squares\n\n\ndef total(vs):\n    return squares(vs) + 0\n"
    files = (CodeFile("pkg/tot.py", total), CodeFile("pkg/sq.py", squares))
    answer = (
        f"```python:pkg/_kernels.py\n{KERNEL}```\n\n"
        "```python:pkg/tot.py\nfrom pkg._kernels import sumsq\nfrom pkg.sq import squares\n\n\n"
        "def total(vs):\n    return sumsq(vs) + 0 * squares(vs)\n```\n\n"
        "```python:pkg/sq.py\nfrom pkg._kernels import sumsq\n\n\ndef squares(vs):\n    return sumsq(vs)\n```\n"
    )
    [candidate] = postprocessed(files, answer)
    code = {file.path: file.code for file in candidate.files}
    assert set(code) == {"pkg/tot.py", "pkg/sq.py"}
    for path, text in code.items():
        assert "_kernels" not in text and "def sumsq(vs):" in text and "import math" in text, (path, text)
    assert code["pkg/sq.py"] == "import math\n\n\n" + KERNEL.removeprefix("import math\n\n\n") + (
        "\n\ndef squares(vs):\n    return sumsq(vs)\n"
    )
