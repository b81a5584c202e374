"""Status reports: three audiences from the shipped data, safe numbers, a
sandbox for templates, a strict config, and the same bytes on every executor."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pypdf
import pytest
from site_projects import snapshot

from netreport.cli import main
from netreport.coded_data import load_coded_data
from netreport.errors import NetreportError, NetreportWarning
from netreport.status import (
    TemplateError,
    build_context,
    fill_template,
    load_status_config,
    plan_status,
    render_status,
)

ROOT = Path(__file__).parent.parent
STAMP = {"Code": "test", "Built": "2026-01-01 00:00 UTC"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("status") / "project"
    folder.mkdir()
    shutil.copytree(ROOT / "data", folder / "data")
    shutil.copytree(ROOT / "templates", folder / "templates")
    shutil.copy(ROOT / "status.yml", folder / "status.yml")
    return folder


@pytest.fixture(scope="module")
def rendered(project: Path) -> dict[str, Path]:
    data = load_coded_data(project / "data")
    jobs = plan_status(project, data, project / "data", all_periods=True, stamp=STAMP)
    pages = render_status(jobs, executor="serial")
    return {page.parent.name: page for page in pages}


def text_of(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def pdf_text(page: Path) -> str:
    reader = pypdf.PdfReader(page.with_suffix(".pdf"))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


def test_every_audience_gets_html_and_pdf(rendered: dict[str, Path]) -> None:
    assert sorted(rendered) == ["district", "funder", "members"]
    for page in rendered.values():
        assert page.name == "2020-21.html"
        assert page.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    assert (next(iter(rendered.values())).parent.parent / "index.html").is_file()


def test_the_index_names_audiences_by_title_and_links_only_what_exists(
    project: Path, rendered: dict[str, Path]
) -> None:
    index = next(iter(rendered.values())).parent.parent / "index.html"
    page = text_of(index)
    for audience in load_status_config(project).audiences:
        # The members' report is internal: listed in its own folder only.
        listed = f">{audience.title}</h2>" in page
        assert listed == audience.external
    assert ">District</h2>" not in page and "members/" not in page
    assert page.index("for funders</h2>") < page.index("for district leaders</h2>")
    assert "Download the PDF" not in page and "index.pdf" not in page
    assert "Skip to the chapter" not in page
    assert ">Skip to main content</a>" in page
    links = re.findall(r'href="([^"#:]+)"', page)
    assert "district/2020-21.pdf" in links
    assert [link for link in links if not (index.parent / link).is_file()] == []


@pytest.mark.parametrize("audience", ["funder", "district", "members"])
def test_each_report_states_period_version_audience_and_reconstruction(
    rendered: dict[str, Path], audience: str
) -> None:
    data = load_coded_data(ROOT / "data")
    from netreport.status import data_version

    for text in (text_of(rendered[audience]), pdf_text(rendered[audience])):
        assert "2020-21" in text
        assert data_version(data) in text
        assert load_status_config(ROOT).audience(audience).title in text
        assert "reconstruction" in text


def test_reports_read_differently(rendered: dict[str, Path]) -> None:
    funder, district, members = (
        pdf_text(rendered[a]) for a in ("funder", "district", "members")
    )
    assert "What the investment produced" in funder
    assert "Use in district decisions" in district
    assert "What to do next" in members
    assert "What went unused" not in funder  # no operational detail
    assert "Pressure behind the artifacts" not in district


def test_external_reports_show_no_small_count(rendered: dict[str, Path]) -> None:
    for audience in ("funder", "district"):
        html = text_of(rendered[audience])
        cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
        counts = [
            int(m.group(1).replace(",", ""))
            for cell in cells
            if (m := re.match(r"^([\d,]+)(?: \(|$)", cell))
        ]
        assert counts and min(counts) >= 10, audience
        assert "fewer than 10" in html
    # Members see every count, small ones included.
    assert re.search(r"<td[^>]*>4 \(", text_of(rendered["members"]))


def test_no_excerpt_or_interviewee_reaches_a_report(rendered: dict[str, Path]) -> None:
    for page in rendered.values():
        text = text_of(page) + pdf_text(page)
        assert not re.search(r"\bH[1-8]\b", text)
        assert "interviewee" not in text.lower().replace("no interviewee", "")


def test_external_context_cannot_be_solved_for_a_hidden_count(project: Path) -> None:
    """Every figure a district report prints: no hidden count is derivable."""
    from test_suppression import assert_protected  # the independent solver

    data = load_coded_data(project / "data")
    config = load_status_config(project)
    context = build_context(data, "2020-21", config.audience("district"), config)
    assert "fewer than 10" in str(context.tables["use_by_context"])
    from netreport.status._context import _labelled_crosstab
    from netreport.suppression import suppress

    table = _labelled_crosstab(data, data.mentions, "actual_use", "context")
    assert_protected(suppress(table, 10))


def test_counts_are_shared_by_audiences_of_one_data_object_only(project: Path) -> None:
    # A year's counts are kept for the next report of the same data object;
    # another object of the same year (here: fewer mentions) is counted anew.
    import dataclasses

    data = load_coded_data(project / "data")
    config = load_status_config(project)
    members = config.audience("members")
    whole = build_context(data, "2020-21", members, config, version="v")
    fewer = dataclasses.replace(data, mentions=data.mentions.iloc[:50])
    part = build_context(fewer, "2020-21", members, config, version="v")
    again = build_context(data, "2020-21", members, config, version="v")
    assert (whole.facts["mentions"], part.facts["mentions"]) == (len(data.mentions), 50)
    assert str(part.tables["actual_use"]) != str(whole.tables["actual_use"])
    assert again.facts == whole.facts
    assert {k: str(t) for k, t in again.tables.items()} == {
        k: str(t) for k, t in whole.tables.items()
    }


def test_every_year_of_one_data_object_is_totalled_once(
    project: Path, monkeypatch
) -> None:
    # Each year's trend shows the totals of the years up to it; they are
    # counted for the first report of the data and cut for each year.
    import dataclasses

    import pandas as pd

    import netreport.status._context as status_context

    data = load_coded_data(project / "data")
    artifacts = data.artifacts.copy()
    artifacts.loc[artifacts.index[-50:], "created"] = pd.Timestamp("2021-09-15")
    mentions = data.mentions.assign(
        school_year=["2020-21"] * 100 + ["2021-22"] * (len(data.mentions) - 100)
    )
    data = dataclasses.replace(data, artifacts=artifacts, mentions=mentions)
    calls = []
    count = status_context.count_by_period
    monkeypatch.setattr(
        status_context, "count_by_period", lambda d: calls.append(d) or count(d)
    )
    config = load_status_config(project)
    members = config.audience("members")
    first, later = (
        build_context(data, year, members, config, version="v")
        for year in ("2020-21", "2021-22")
    )
    assert len(calls) == 1
    assert "2021-22" not in str(first.tables["trend"])
    assert "| 2021-22 | 35 | 76 |" in str(later.tables["trend"])  # 15 excluded


# -- config ---------------------------------------------------------------------


BAD_CONFIGS = [
    (
        "status.audiences[2].threshold: expected a whole number ≥ 1, found 'ten'",
        lambda y: y.replace(
            "external: false\n", "external: false\n      threshold: ten\n"
        ),
    ),
    (
        "status.audiences[0].colour: unknown key (allowed: external, name, sections",
        lambda y: y.replace("- name: funder\n", "- name: funder\n      colour: red\n"),
    ),
    (
        "status.audiences[1].sections[0]: unknown section 'gossip'",
        lambda y: y.replace(
            "sections: [headline, trend, actual_use,",
            "sections: [gossip, trend, actual_use,",
        ),
    ),
    (
        "status.audiences[0].template: file templates/status/nope.qmd.j2 does not",
        lambda y: y.replace("funder.qmd.j2", "nope.qmd.j2"),
    ),
    (
        "status.threshold: expected a whole number ≥ 1, found 0",
        lambda y: y.replace("threshold: 10", "threshold: 0"),
    ),
    (
        "status.audiences[1].name: 'funder' names an earlier audience too",
        lambda y: y.replace("- name: district", "- name: funder"),
    ),
]


@pytest.mark.parametrize(("message", "edit"), BAD_CONFIGS)
def test_bad_config_is_a_yaml_path(tmp_path: Path, message: str, edit) -> None:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    original = (ROOT / "status.yml").read_text(encoding="utf-8")
    changed = edit(original)
    assert changed != original
    (tmp_path / "status.yml").write_text(changed, encoding="utf-8")
    with pytest.raises(NetreportError) as caught:
        load_status_config(tmp_path)
    assert message in str(caught.value)


def with_codebook(project: Path, tmp_path: Path, edit) -> Path:
    """A copy of `project` whose codebook text went through `edit`."""
    copy = tmp_path / "project"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("_site"))
    codebook = copy / "data" / "codebook.yml"
    codebook.write_text(edit(codebook.read_text(encoding="utf-8")), encoding="utf-8")
    return copy


def in_actual_use(text: str, old: str, new: str) -> str:
    """The codebook `text` with `old` replaced once in the actual use."""
    use = text.index("  actual_use:")
    return text[:use] + text[use:].replace(old, new, 1)


def test_a_label_holding_markup_reads_as_text_in_every_report(
    project: Path, tmp_path: Path
) -> None:
    label = "<script>window.x = 1</script>Improve *now*"
    copy = with_codebook(
        project, tmp_path, lambda text: in_actual_use(
            text, "label: Improvement", f"label: '{label}'"
        ),
    )  # fmt: skip
    data = load_coded_data(copy / "data")

    jobs = plan_status(copy, data, copy / "data", periods=["2020-21"])
    for page in render_status(jobs, executor="serial"):
        html = text_of(page)
        assert "<script>" not in html and "<em>now</em>" not in html
        assert "&lt;script&gt;window.x = 1&lt;/script&gt;Improve *now*" in html


def test_a_filled_template_is_never_written_into_the_site(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from netreport.status import _run

    made: list[Path] = []
    real = tempfile.mkdtemp

    def recording(*args, **kwargs):
        made.append(Path(real(*args, **kwargs)))
        return str(made[-1])

    monkeypatch.setattr(_run.tempfile, "mkdtemp", recording)
    site = tmp_path / "site"
    data = load_coded_data(project / "data")
    jobs = plan_status(
        project, data, project / "data", audiences=["members"],
        periods=["2020-21"], output_dir=site,
    )  # fmt: skip
    render_status(jobs, executor="serial")
    # Only the render's own staging, moved into place whole, is in the site.
    inside = [m for m in made if site in m.parents]
    assert made != inside and [m for m in inside if ".render-" not in m.name] == []


def test_a_codebook_without_relationship_management_still_reports(
    project: Path, tmp_path: Path
) -> None:
    def rename(text: str) -> str:
        # The actual use renamed; the data's old code is read through the alias.
        text = in_actual_use(
            text,
            "      relationship_management:\n        label: Relationship management",
            "      partner_support:\n        label: Partner support",
        )
        text = text.replace("aliases: [accountability]\n      disuse:",
                            "aliases: [accountability, relationship_management]\n"
                            "      disuse:")  # fmt: skip
        return text.replace(
            "parent: relationship_management", "parent: partner_support"
        )

    copy = with_codebook(project, tmp_path, rename)
    with pytest.warns(NetreportWarning, match="renamed codes read as their current"):
        data = load_coded_data(copy / "data")
    assert "relationship_management" not in data.codebook["actual_use"].code_names

    jobs = plan_status(
        copy, data, copy / "data", audiences=["funder"], periods=["2020-21"]
    )
    [page] = render_status(jobs, executor="serial")
    html = text_of(page)
    assert "Partner support" in html
    assert "of the described uses served" not in html


# -- sandbox ---------------------------------------------------------------------


def with_template(project: Path, tmp_path: Path, body: str) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("_site"))
    (copy / "templates" / "status" / "funder.qmd.j2").write_text(body, encoding="utf-8")
    return copy


def funder_jobs(copy: Path) -> list:
    """The job of the funder's 2020-21 report in the project `copy`."""
    data = load_coded_data(copy / "data")
    return plan_status(
        copy, data, copy / "data", audiences=["funder"], periods=["2020-21"]
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "---\ntitle: x\n---\n\nfine\n{{ report.__class__.__mro__ }}\n",
            r"funder\.qmd\.j2, line \d+: .*(not allowed|unsafe|__class__)",
        ),
        (
            "line one\n\n{{ facts.pop('artifacts') }}\n",
            r"funder\.qmd\.j2, line 3: not allowed in a status template",
        ),
        (
            "a\n{{ lipsum.__globals__['os'].environ }}\n",
            r"funder\.qmd\.j2, line 2",
        ),
        ("a\nb\n{{ no_such_value }}\n", r"funder\.qmd\.j2, line 3: UndefinedError"),
        ("a\n{% if %}\n", r"funder\.qmd\.j2, line 2: template syntax error"),
        (
            "x\n{% include '/etc/passwd' %}\n",
            r"funder\.qmd\.j2, line 2: includes '/etc/passwd', which is not",
        ),
        (
            "a\n\n{{ facts.artifacts / 0 }}\n",
            r"funder\.qmd\.j2, line 3: ZeroDivisionError: division by zero$",
        ),
        (
            "a\n{{ range(10**9) | list | length }}\n",
            r"funder\.qmd\.j2, line 2: OverflowError: Range too big",
        ),
        (
            "a\n{{ 10 ** (10 ** 8) }}\n",
            r"funder\.qmd\.j2, line 2: not allowed in a status template: "
            r"10 \*\* 100000000 would have about 100,000,000 digits",
        ),
        (
            "a\n{% set x = 2 ** 4000 %}\n{{ x * x * x }}\n",
            r"funder\.qmd\.j2, line 3: not allowed in a status template: a product "
            r"of numbers of 1,205 and 1,205 digits",
        ),
        (
            "a\n{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}\n",
            r"funder\.qmd\.j2: not allowed in a status template: the filled "
            r"report passes 1,000,000 characters",
        ),
        (
            "a\n\n{{ ('x' * 10 ** 9) | length }}\n",
            r"funder\.qmd\.j2, line 3: not allowed in a status template: "
            r"'\*' would make a sequence of 1,000,000,000 items",
        ),
        (
            "{% macro deeper(n) %}\n{{ deeper(n + 1) }}\n{% endmacro %}\n"
            "{{ deeper(0) }}\n",
            r"funder\.qmd\.j2, line 2: RecursionError: maximum recursion depth "
            r"exceeded .*a macro that calls itself",
        ),
        (
            "a\n\n```{python}\nimport os\n```\n",
            r"funder\.qmd\.j2: the filled document has a \{python\} cell",
        ),
    ],
)
def test_templates_run_in_a_sandbox(
    project: Path, tmp_path: Path, body: str, message: str
) -> None:
    jobs = funder_jobs(with_template(project, tmp_path, body))
    with pytest.raises(TemplateError, match=message):
        render_status(jobs, executor="serial")


def test_a_template_that_runs_too_long_is_stopped(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from netreport.status import _template

    monkeypatch.setattr(_template, "_MAX_SECONDS", 0.5)
    body = (
        "a\n{% for i in range(100000) %}{% for j in range(100000) %}"
        "{% endfor %}{% endfor %}\n"
    )
    jobs = funder_jobs(with_template(project, tmp_path, body))
    started = time.monotonic()
    with pytest.raises(TemplateError, match=r"line 2: .*filling the template took"):
        render_status(jobs, executor="serial")
    assert time.monotonic() - started < 10


def test_the_sandbox_keeps_ordinary_powers_and_repetitions(tmp_path: Path) -> None:
    template = tmp_path / "sums.qmd.j2"
    template.write_text(
        "{{ 2 ** 10 }} {{ 1.5 ** 2 }} {{ 'ab' * 3 }} {{ [0] * 2 }} {{ 3 * 4 }}",
        encoding="utf-8",
    )
    text = fill_template(Path("sums.qmd.j2"), tmp_path, {})
    assert text == "1024 2.25 ababab [0, 0] 12"


def test_a_template_error_in_a_pool_worker_reads_as_in_this_process(
    project: Path, tmp_path: Path, capsys
) -> None:
    copy = with_template(project, tmp_path, "a\n\n{{ facts.artifacts / 0 }}\n")
    code = main(
        ["status", "--project", str(copy), "--audience", "funder",
         "--period", "2020-21", "--executor", "process", "--workers", "1"]
    )  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "funder.qmd.j2, line 3: ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err


def test_a_run_stopped_by_a_failing_report_keeps_the_ones_it_finished(
    project: Path, tmp_path: Path
) -> None:
    from netreport.rebuild import StatusCache

    copy = tmp_path / "project"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("_site"))
    members = copy / "templates" / "status" / "members.qmd.j2"
    members.write_text("a\n\n{{ facts.artifacts / 0 }}\n", encoding="utf-8")
    data = load_coded_data(copy / "data")
    funder_job, members_job = plan_status(
        copy, data, copy / "data", audiences=["funder", "members"],
        periods=["2020-21"], stamp=STAMP,
    )  # fmt: skip
    with pytest.raises(TemplateError, match="ZeroDivisionError"):
        render_status([funder_job, members_job], executor="serial")
    cache = StatusCache()
    assert not cache.stale(funder_job)
    assert cache.stale(members_job)


# -- executors -------------------------------------------------------------------


def _batch_jobs(folders: int, years: int):
    from netreport.status._run import StatusJob

    return [
        StatusJob("project", f"data-{f}", audience, f"20{y}-{y + 1}", "o.html", "s")
        for f in range(folders)
        for audience in ("funder", "members")
        for y in range(10, 10 + years)
    ]


def test_a_pool_gets_each_data_folder_as_one_batch_when_there_are_enough() -> None:
    from netreport.status._run import _batches

    jobs = _batch_jobs(folders=8, years=3)
    batches = _batches(jobs, workers=2)
    assert len(batches) == 8
    assert sorted(i for batch in batches for i in batch) == list(range(len(jobs)))
    for batch in batches:
        assert len(batch) == 6
        assert len({jobs[i].data_dir for i in batch}) == 1


def test_a_pool_gets_each_data_folder_and_year_as_one_batch() -> None:
    from netreport.status._run import _batches

    jobs = _batch_jobs(folders=2, years=4)
    batches = _batches(jobs, workers=2)
    assert len(batches) == 8
    assert sorted(i for batch in batches for i in batch) == list(range(len(jobs)))
    for batch in batches:
        assert [jobs[i].audience for i in batch] == ["funder", "members"]
        assert len({(jobs[i].data_dir, jobs[i].period) for i in batch}) == 1
    # Too few years to keep three workers busy: one job per batch.
    assert _batches(jobs, workers=3) == [[i] for i in range(len(jobs))]


def test_a_pool_worker_starts_with_the_data_and_rare_collections() -> None:
    import gc

    from netreport.status import _run

    before = gc.get_threshold()
    try:
        _run._start_worker({"/data/network-1": ("data", "version")})
        assert gc.get_threshold() == (50_000, 20, 20)
        assert _run._load("/data/network-1") == ("data", "version")
    finally:
        gc.set_threshold(*before)
        _run._LOADED.pop("/data/network-1", None)


def test_pool_and_dask_write_the_same_bytes(
    project: Path, tmp_path: Path, monkeypatch
) -> None:
    distributed = pytest.importorskip("dask.distributed")
    # Each run is planned apart, as separate commands would be; a fixed
    # build time is what makes their bytes comparable.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    data = load_coded_data(project / "data")
    outputs = {}
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        for executor in ("serial", "process", "dask"):
            out = tmp_path / executor
            jobs = plan_status(
                project, data, project / "data", audiences=["funder", "members"],
                periods=["2020-21"], output_dir=out, stamp=STAMP,
            )  # fmt: skip
            render_status(
                jobs, executor=executor, workers=2, scheduler=cluster.scheduler_address
            )
            outputs[executor] = snapshot(out)
    assert any(name.endswith(".pdf") for name in outputs["serial"])
    assert outputs["process"] == outputs["serial"]
    assert outputs["dask"] == outputs["serial"]


# -- command line ----------------------------------------------------------------


def test_cli_writes_one_audience_and_reports_errors_without_traceback(
    project: Path, capsys
) -> None:
    code = main(
        ["status", "--project", str(project), "--audience", "district",
         "--period", "2020-21", "--executor", "serial"]
    )  # fmt: skip
    assert code == 0
    assert (project / "_site" / "status" / "district" / "2020-21.pdf").is_file()
    code = main(["status", "--project", str(project), "--period", "1999-00"])
    assert code == 1
    err = capsys.readouterr().err
    assert "period 1999-00" in err and "Traceback" not in err


def test_a_report_that_names_an_interviewee_is_not_published(
    project: Path, tmp_path: Path
) -> None:
    # A template author typing a pseudonymous id is caught by the same
    # publish check as the case report, and no report is written.
    from netreport.publish_check import PublishCheckError

    # It names a value of each of the funder's sections, as a template must.
    body = (
        "---\ntitle: x\n---\n\n{% set shown = [facts.artifacts, tables.trend, "
        "figures.intended_use, tables.actual_use] %}\nAs H3 told us.\n"
    )
    copy = with_template(project, tmp_path, body)
    jobs = funder_jobs(copy)
    with pytest.raises(PublishCheckError, match="interviewee"):
        render_status(jobs, executor="serial")
    assert not list((copy / "_site" / "status").rglob("2020-21.*"))

    # From a pool worker the error arrives whole, naming file and template.
    with pytest.raises(PublishCheckError) as raised:
        render_status(jobs, executor="process", workers=1)
    message = str(raised.value)
    assert "(2 findings)" in message  # the page and the PDF
    assert "2020-21.html: interviewee id" in message
    assert "Remove these from the template templates/status/funder.qmd.j2" in message
