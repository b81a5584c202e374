"""Status reports: one per audience and school year, from the case's data.

Audiences and their rules live in ``status.yml`` at the project root
(`load_status_config`). For each report the data of one school year is
counted (`build_context`; small counts suppressed for external audiences),
the audience's Jinja2 template is filled in a sandbox, and the result is
rendered as a Quarto document to HTML and PDF by `netreport.render`.
`plan_status` lists the reports to make and `render_status` makes them, in
this process, a process pool or on a Dask cluster, with the same bytes.
"""

from netreport.status._config import (
    SECTIONS,
    Audience,
    StatusConfig,
    load_status_config,
)
from netreport.status._context import StatusContext, build_context, data_version
from netreport.status._run import (
    EXECUTORS,
    StatusJob,
    plan_status,
    refresh_status,
    render_status,
    render_status_job,
    status_stamp,
)
from netreport.status._template import TemplateError, fill_template

__all__ = [
    "EXECUTORS",
    "SECTIONS",
    "Audience",
    "StatusConfig",
    "StatusContext",
    "StatusJob",
    "TemplateError",
    "build_context",
    "data_version",
    "fill_template",
    "load_status_config",
    "plan_status",
    "refresh_status",
    "render_status",
    "render_status_job",
    "status_stamp",
]
