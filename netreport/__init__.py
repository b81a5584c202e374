"""netreport: reproducible case reports from an improvement network's coded data.

Chapters and status reports start from `load_case`; tables, statistics and
figures live in `netreport.tables`, `netreport.chisquare` and
`netreport.figures`.
"""

from netreport.case import Case, load_case
from netreport.codebook import Codebook, load_codebook
from netreport.coded_data import CodedData, load_coded_data
from netreport.errors import InputError, NetreportError, NetreportWarning

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
