"""When a fan-out stops waiting for its slowest calls: the straggler cut-off.

Provider latency is heavy-tailed: of six calls, the slowest is routinely several times slower than
the typical one, and the user waits for it. Following "The Tail at Scale" (Dean and Barroso), a
fan-out of ``n > 1`` calls answers from the answers it has once the stragglers are clearly late:
once ``quorum(n)`` calls have succeeded (two thirds of ``n``, rounded up, by default), the others get
:meth:`StragglerPolicy.grace` more seconds, a multiple of the time the quorum took, bounded below
and above, and are then cancelled (each recorded with outcome ``cancelled``, error class
``straggler``). With tight latencies every call ends well within the grace, and nothing is cut.
"""

from __future__ import annotations

import math

import attrs

from codeflash_engine.settings import Settings


@attrs.frozen
class StragglerPolicy:
    """How long a fan-out waits for its calls once enough of them have answered.

    ``quorum`` is the fraction of the ``n`` calls that must succeed (rounded up) before the
    others are given a deadline; ``factor`` times the time the quorum took, kept within
    ``[min_wait, max_wait]`` seconds, is how much longer they get. ``enabled=False`` waits for
    every call (up to the request's deadline), as before.
    """

    enabled: bool = True
    quorum_fraction: float = attrs.field(
        default=2 / 3, validator=attrs.validators.and_(attrs.validators.gt(0), attrs.validators.le(1))
    )
    factor: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    min_wait: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_wait: float = attrs.field(default=10.0, validator=attrs.validators.ge(0))

    @classmethod
    def from_settings(cls, settings: Settings) -> StragglerPolicy:
        """The policy the ``CODEFLASH_ENGINE_STRAGGLER_*`` settings describe."""
        return cls(
            enabled=settings.codeflash_engine_straggler_cutoff,
            quorum_fraction=settings.codeflash_engine_straggler_quorum,
            factor=settings.codeflash_engine_straggler_factor,
            min_wait=settings.codeflash_engine_straggler_min_wait,
            max_wait=max(settings.codeflash_engine_straggler_min_wait, settings.codeflash_engine_straggler_max_wait),
        )

    def quorum(self, n: int) -> int | None:
        """Successes after which the rest of ``n`` calls get a deadline; None: wait for all.

        Two thirds of 6 is 4 (a fraction given as 0.667 too: a hundredth of a call is forgiven).
        """
        if not self.enabled or n <= 1:
            return None
        return max(1, min(n, math.ceil(n * self.quorum_fraction - 0.01)))

    def grace(self, quorum_seconds: float) -> float:
        """Seconds the calls still running get once the quorum is in, ``quorum_seconds`` after the start."""
        return min(self.max_wait, max(self.min_wait, self.factor * quorum_seconds))
