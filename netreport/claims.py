"""Guards for the sentences of a chapter that the data could make false.

A number printed in a chapter is computed, so it is right whatever the
data. A sentence such as "both hold after Holm's adjustment" is typed, and
stays in the report when new data makes it untrue. Where the wording cannot
come from the data, a chapter states the condition beside the sentence with
`claim`, and the build stops when the condition no longer holds. The render
engine names the chapter file and line of the failing cell.
"""

from __future__ import annotations

from netreport.errors import NetreportError

__all__ = ["claim"]


def claim(holds: bool, statement: str) -> str:
    """Stop the build when a sentence of the chapter no longer fits the data.

    Parameters
    ----------
    holds
        The condition under which the sentence is true, computed from the
        data.
    statement
        What the sentence asserts, in words, quoted in the error.

    Returns
    -------
    str
        ``""``, so a call can also stand inline in the prose.

    Raises
    ------
    NetreportError
        When `holds` is false.

    Examples
    --------
    In a hidden cell just above the paragraph it guards::

        ```{python}
        #| include: false
        claim(use_test.p < .05, "the distributions of use differ")
        ```
    """
    if holds:
        return ""
    raise NetreportError(
        f"the chapter's sentence no longer matches the data: {statement!r} "
        "is not true of it. Rewrite the sentence, or let the data choose "
        "its wording."
    )
