"""The curators' figures as SVG charts, drawn on the server by pygal: no JavaScript in the page or the chart.
Each chart is served on its own (an <img> on the figures page, beside a table with the same numbers for
screen readers), so its inline styles stay out of the page's Content-Security-Policy."""

import re
from dataclasses import dataclass

import pygal
from pygal.style import Style

from apps.directory.models import ListingReport, Physician

from .stats import oncologist_figures, weekly_volume

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#4a4a4a",
    colors=("#0b5394", "#1e6b30", "#8a4b00", "#6b6b6b"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=14,
    title_font_size=18,
)
OPTIONS = {"style": STYLE, "js": [], "disable_xml_declaration": True, "width": 800, "height": 400, "print_values": True}
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
BUSIEST_SHOWN = 12  # oncologists on the response chart; the table lists them all


@dataclass(frozen=True)
class Figure:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple]  # the numbers, as the table shows them
    chart: pygal.graph.graph.Graph  # drawn only when its SVG is asked for

    def svg(self) -> str:
        # pygal always writes its tooltip configuration as a <script>; an image runs none, and needs none.
        return SCRIPT.sub("", self.chart.render(is_unicode=True))


def referral_volume() -> Figure:
    weeks = weekly_volume()
    chart = pygal.Bar(**OPTIONS, show_legend=False, x_label_rotation=30, y_labels=_whole_numbers(n for _, n in weeks))
    chart.x_labels = [week.strftime("%b %-d") for week, _ in weeks]
    chart.add("Referrals", [n for _, n in weeks])
    rows = [(f"Week of {week:%B %-d, %Y}", n) for week, n in weeks]
    return Figure("Referrals sent per week", ("Week", "Referrals"), rows, chart)


def response_times() -> Figure:
    every = oncologist_figures()
    answered = [row for row in every if row["share_within_target"] is not None]
    busiest = sorted(answered, key=lambda row: (-row["due"], row["oncologist__last_name"]))[:BUSIEST_SHOWN]
    chart = pygal.HorizontalBar(**OPTIONS, show_legend=False, range=(0, 100), value_formatter=lambda v: f"{v:.0f}%")
    chart.x_labels = [_name(row) for row in busiest]
    chart.add("Answered within target", [round(100 * row["share_within_target"]) for row in busiest])
    rows = [
        (_name(row), row["oncologist__npi"], row["referrals"], _duration(row["median_to_review"]),
         _duration(row["median_to_decision"]),
         "–" if row["share_within_target"] is None
         else f"{100 * row['share_within_target']:.0f}% ({row['within_target']} of {row['due']})")
        for row in every
    ]  # fmt: skip
    headers = ("Oncologist", "NPI", "Referrals", "Median time to first review", "Median time to decision",
               "Answered within target")  # fmt: skip
    title = f"Referrals answered within target (the chart shows the {BUSIEST_SHOWN} busiest oncologists)"
    return Figure(title, headers, rows, chart)


def _whole_numbers(values) -> list[int]:
    """Axis marks for counts: whole numbers, about five of them."""
    top = max([*values, 1])
    step = -(-top // 5)
    return list(range(0, top + step, step))


def _name(row) -> str:
    return f"{row['oncologist__first_name']} {row['oncologist__last_name']}"


def _duration(value) -> str:
    if value is None:
        return "–"
    hours = value.total_seconds() / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"


def verified_listings() -> Figure:
    summary = Physician.objects.active().verification_summary()
    total = sum(summary.values()) or 1
    parts = [("Verified in the last 12 months", summary["recent"]), ("Verified longer ago", summary["older"]),
             ("Never verified", summary["never"])]  # fmt: skip
    chart = pygal.Pie(**OPTIONS, inner_radius=0.45, value_formatter=lambda v: f"{v:,}", legend_at_bottom=True,
                      truncate_legend=-1)  # fmt: skip
    for label, n in parts:
        chart.add(label, n)
    rows = [(label, f"{n:,}", f"{100 * n / total:.0f}%") for label, n in parts]
    return Figure("Listed physicians by when they were last verified", ("Listings", "Physicians", "Share"), rows, chart)


def open_reports() -> Figure:
    counts = ListingReport.objects.open_by_problem()
    chart = pygal.HorizontalBar(**OPTIONS, show_legend=False, y_labels=_whole_numbers(n for _, n in counts),
                                truncate_label=-1)  # fmt: skip
    chart.x_labels = [label for label, _ in counts]
    chart.add("Open reports", [n for _, n in counts])
    return Figure("Open reports of wrong listings, by problem", ("Problem", "Open reports"), counts, chart)


FIGURES = {
    "volume": referral_volume,
    "response": response_times,
    "verified": verified_listings,
    "reports": open_reports,
}
