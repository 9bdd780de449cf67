"""How ptdata words its counts and summaries (imports nothing, so the CLI stays quick)."""

from __future__ import annotations

__all__ = ["Summary", "plural"]


class Summary(str):
    """Text that shows as itself in a notebook (no quotes) and prints as itself."""

    def __repr__(self) -> str:
        return str(self)


def plural(n: int, word: str, many: str | None = None) -> str:
    """A count with its noun as English wants.

    >>> plural(1, "API call"), plural(1500, "row"), plural(2, "reply", "replies")
    ('1 API call', '1,500 rows', '2 replies')
    """
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
