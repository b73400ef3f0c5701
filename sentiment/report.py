"""Human-readable summaries and tables (plain text / markdown)."""

from __future__ import annotations

from collections.abc import Sequence

from .prepare import PrepareSummary


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table (also readable in a terminal)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_prepare_summary(summary: PrepareSummary) -> str:
    rows = [
        [
            name,
            counts["total"],
            counts["positive"],
            counts["negative"],
            f"{summary.coverage[name]:.1%}",
            summary.median_tokens[name],
            f"{summary.truncated_share[name]:.1%}",
        ]
        for name, counts in summary.counts.items()
    ]
    table = markdown_table(
        ["split", "reviews", "positive", "negative", "vocab coverage", "median tokens", "truncated"], rows
    )
    state = "up to date (cached)" if summary.cached else "written"
    where = summary.files["word_dict"].rsplit("/", 1)[0]
    return (
        f"{table}\n\n"
        f"vocabulary: {summary.vocab_size:,} ids (sha256 {summary.word_dict_sha256[:12]}), "
        f"sequence length {summary.key['sequence_length']}\n"
        f"files {state} in {where} in {summary.seconds:.1f} s"
    )
