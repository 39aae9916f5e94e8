"""Original code the tests optimise: a one-file function, a method with helpers in two files."""

from __future__ import annotations

from codeflash_engine.plugins.types import CodeFile

SORTER = '''\
import math
from typing import List


def sort_list(xs: List[int]) -> List[int]:
    """Sort a copy of xs."""
    out = list(xs)
    # bubble sort
    for i in range(len(out)):
        for j in range(len(out) - 1 - i):
            if out[j] > out[j + 1]:
                out[j], out[j + 1] = out[j + 1], out[j]
    return out


def spread(xs: List[int]) -> float:
    return math.sqrt(max(xs) - min(xs))
'''

GEO = """\
from pkg.util import SCALE, norm


class Vec:
    def __init__(self, xs):
        self.xs = list(xs)

    def length(self) -> float:
        total = 0.0
        for x in self.xs:
            total += x * x
        return norm(self.xs) * SCALE
"""

UTIL = """\
import math

SCALE = 3


def norm(v):
    return math.sqrt(sum(x * x for x in v))
"""

ONE_FILE = (CodeFile("pkg/sorter.py", SORTER),)
TWO_FILES = (CodeFile("pkg/geo.py", GEO), CodeFile("pkg/util.py", UTIL))
