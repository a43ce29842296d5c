"""The logic of `make bench` that runs outside Django (bench/run.py): reading wrk's
output and the options, and turning measurements into figures, ratios and verdicts."""

import pytest

from bench.run import (
    figures,
    format_figure,
    pages_with_different_queries,
    paired_ratios,
    parse_setups,
    parse_wrk,
    read_options,
)

WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:40000/fortschritt/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.61ms    1.20ms  31.02ms   93.10%
    Req/Sec     1.54k   120.11     1.70k    80.00%
  Latency Distribution
     50%  812.00us
     75%    2.77ms
     90%    3.40ms
     99%    1.20s
  4620 requests in 3.00s, 88.21MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1539.87
Transfer/sec:     29.38MB
"""


def test_wrk_output_gives_rate_latencies_in_ms_and_every_kind_of_error():
    assert parse_wrk(WRK_OUTPUT) == {
        "rps": 1539.87,
        "p50_ms": 0.812,
        "p99_ms": 1200.0,
        "requests": 4620,
        "errors": 4 + 2 + 1,
    }


def test_wrk_output_without_error_lines_counts_no_error():
    lines = [line for line in WRK_OUTPUT.splitlines() if "errors" not in line.lower()]
    output = "\n".join(line for line in lines if "Non-2xx" not in line)
    assert parse_wrk(output)["errors"] == 0


def test_setups_are_read_from_a_comma_separated_list():
    assert parse_setups(" sqlite, postgres+redis ") == ("sqlite", "postgres+redis")
    assert parse_setups("") == ()


def test_an_unknown_setup_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown postgres; known: sqlite, postgres\\+redis"):
        parse_setups("sqlite,postgres")


def test_options_default_to_scale_m_and_every_setup_that_can_run():
    options = read_options({})
    assert options.setups == ()
    assert options.scales == ("M",)
    assert (options.duration, options.rounds, options.round_seconds) == (10, 3, 3)


def test_scale_l_measures_m_and_l_and_a_round_lasts_at_least_two_seconds():
    options = read_options({"BENCH_SCALE": "l", "BENCH_DURATION": "2", "BENCH_ROUNDS": "3"})
    assert options.scales == ("M", "L")
    assert options.round_seconds == 2


def test_an_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="BENCH_SCALE"):
        read_options({"BENCH_SCALE": "XL"})


def _page(rps, errors=0, rounds=None, ceiling=None):
    """A page's measurement: its best round, and with ``rounds`` and ``ceiling`` (the
    rates of the ceiling rounds around them) its comparison with the ceiling."""
    page = {"rps": rps, "p50_ms": 1.0, "errors": errors}
    if rounds is not None:
        page["ceiling"] = {"rps": max(ceiling), "rounds_rps": ceiling, "errors": 0}
        page["vs_ceiling_rounds"] = paired_ratios(rounds, ceiling)
    return page


RESULTS = {
    "setups": {
        "postgres+redis": {
            "scales": {
                "M": {
                    "pages": {
                        "hello": _page(2000),
                        # Round ratios 0.8, 0.5 and 0.9: the median counts, not the
                        # best page round (1200) against the best ceiling (1600).
                        "progress_overview": _page(
                            1200, rounds=[800, 600, 1200], ceiling=[1000, 1000, 1400, 1266.6]
                        ),
                        "staff_measure_list": _page(800, rounds=[800], ceiling=[1200, 1200]),
                        "measure_page": _page(1000, errors=2, rounds=[1000], ceiling=[1400, 1400]),
                    },
                    "reads": {
                        "reads_alone_rps": 900,
                        "reads_during_writes_rps": 300,
                        # Each round during writes against the rounds alone around
                        # it: 300 / 900, 450 / 900 and 100 / 600; the median counts.
                        "during_vs_alone_rounds": paired_ratios(
                            [300, 450, 100], [900, 900, 900, 300]
                        ),
                        "status_entries_written": 12,
                        "errors": ["GET /fortschritt/ as progress: HTTP 500"],
                    },
                }
            },
            "report": {"report_pdf_seconds": 6.0, "report_pdf_vs_report_html": 15.0},
            "import": {
                "import_vs_library_default": 12.5,
                "import_vs_bulk_create_with_history": 0.4,
                "rows": 10_000,
                "import_runs": [1.0, 1.1],
                "checked": True,
            },
            "generate_seconds": {"S": 1.5, "M": 5.0},
            "queries": {},
        }
    }
}


def _figure(name):
    (row,) = [row for row in figures(RESULTS) if row["name"] == name]
    return row


def test_each_page_round_is_set_against_the_ceiling_rounds_next_to_it():
    assert paired_ratios([50, 90], [100, 100, 80]) == [0.5, 1.0]
    with pytest.raises(ValueError):
        paired_ratios([50, 90], [100, 100])


def test_pages_are_compared_with_the_logged_in_ceiling_against_their_targets():
    assert _figure("progress_overview_vs_logged_in_ceiling") | {"setup": "", "scale": ""} == {
        "setup": "",
        "scale": "",
        "name": "progress_overview_vs_logged_in_ceiling",
        "value": 0.8,
        "unit": "ratio",
        "target": 0.7,
        "met": True,
    }
    assert _figure("staff_measure_list_vs_logged_in_ceiling")["met"] is False
    assert _figure("measure_page_vs_logged_in_ceiling")["value"] == 0.714
    assert _figure("measure_page_vs_logged_in_ceiling")["met"] is True
    assert _figure("progress_overview_logged_in_ceiling_rps")["value"] == 1133.3


def test_pages_against_hello_are_reported_without_a_target():
    row = _figure("progress_overview_vs_hello")
    assert row["value"] == 0.6
    assert "target" not in row and "met" not in row


def test_reads_during_writes_are_compared_with_reads_alone():
    row = _figure("reads_during_writes_vs_reads_alone")
    assert (row["setup"], row["scale"], row["value"], row["met"]) == (
        "postgres+redis",
        "M",
        0.333,
        False,
    )


def test_errors_are_figures_of_their_own_and_only_where_there_were_some():
    assert _figure("measure_page_errors")["value"] == 2
    assert _figure("reads_during_writes_errors")["value"] == 1
    assert _figure("status_entries_written")["value"] == 12
    assert "hello_errors" not in {row["name"] for row in figures(RESULTS)}


def test_every_number_a_step_returns_is_a_figure_and_its_ratios_meet_targets():
    assert _figure("report_pdf_seconds")["unit"] == "s"
    # A ratio without a target is reported without a verdict.
    assert "target" not in _figure("report_pdf_vs_report_html")
    assert _figure("import_vs_library_default")["met"] is True
    assert _figure("import_vs_bulk_create_with_history")["met"] is False
    assert _figure("rows")["value"] == 10_000
    names = {row["name"] for row in figures(RESULTS)}
    assert not names & {"import_runs", "checked"}


def test_a_figure_is_one_line_with_its_verdict():
    line = format_figure(_figure("staff_measure_list_vs_logged_in_ceiling"))
    assert line.split() == [
        "postgres+redis",
        "M",
        "staff_measure_list_vs_logged_in_ceiling",
        "0.667",
        "ratio",
        "(target",
        "≥",
        "0.7:",
        "MISSED)",
    ]
    assert format_figure(_figure("rows")).split()[-1] == "10,000"


def test_pages_whose_queries_differ_between_scales_are_named():
    queries = {
        "S": {"hello": {"queries": 0}, "measure_page": {"queries": 3}},
        "M": {"hello": {"queries": 0}, "measure_page": {"queries": 3}},
        "L": {"hello": {"queries": 0}, "measure_page": {"queries": 4}},
    }
    assert pages_with_different_queries(queries) == ["measure_page"]
    del queries["L"]
    assert pages_with_different_queries(queries) == []
