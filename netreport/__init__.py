"""netreport: reproducible case reports from an improvement network's coded data.

Chapters and status reports start from `load_case`; tables, statistics and
figures live in `netreport.tables`, `netreport.chisquare` and
`netreport.figures`.
"""

from netreport.errors import InputError, NetreportError, NetreportWarning

# The rest is imported on first use: `netreport build` with nothing to
# rebuild must not pay for importing pandas.
_LAZY = {
    "Case": "netreport.case",
    "load_case": "netreport.case",
    "Codebook": "netreport.codebook",
    "load_codebook": "netreport.codebook",
    "CodedData": "netreport.coded_data",
    "load_coded_data": "netreport.coded_data",
}

__all__ = [
    "Case",
    "CodedData",
    "Codebook",
    "InputError",
    "NetreportError",
    "NetreportWarning",
    "load_case",
    "load_coded_data",
    "load_codebook",
]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'netreport' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(_LAZY[name]), name)
