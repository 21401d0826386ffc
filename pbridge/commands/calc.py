"""`pbridge calc`: run calculation methods over an evidence CSV (what-if).

A district compares policies on its own data before adopting one: `--compare` runs several
methods side by side. Output is JSON (standings with their explanations) or a table. Nothing
is printed until the whole file has been read and computed, so a bad row prints only the
error (file, line, column) and exits 1.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from mappings.calculation import METHODS, MethodChoice, calculate
from mappings.conversion import default_cut_scores
from mappings.evidence import Evidence, Purpose
from mappings.evidence_csv import read_evidence_csv
from mappings.scale import default_scale
from mappings.standing import shown
from pbridge.errors import CalculationError, CsvImportError


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CalculationError(f"--param {pair!r}: write it as name=value, e.g. weight=0.65")
        params[key.strip()] = value.strip()
    return params


def _choices(method: str | None, compare: str | None, params: dict[str, str]) -> list[MethodChoice]:
    names = ([method] if method else []) + [n.strip() for n in (compare or "").split(",") if n.strip()]
    if not names:
        raise CalculationError("name a method with --method, or several with --compare")
    for name in names:
        if name not in METHODS:
            raise CalculationError(f"unknown calculation method {name!r}; choose one of {', '.join(METHODS)}")
    used = {p.name for n in names for p in METHODS[n].parameters}
    unused = sorted(set(params) - used)
    if unused:
        raise CalculationError(f"no chosen method takes the parameter {', '.join(unused)}")
    choices = []
    for name in dict.fromkeys(names):
        taken = {p.name for p in METHODS[name].parameters}
        choices.append(MethodChoice.of(name, {k: v for k, v in params.items() if k in taken}))
    return choices


@click.command("calc")
@click.argument("evidence_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--method", "method", help=f"one of: {', '.join(METHODS)}")
@click.option("--param", "param_pairs", multiple=True, help="a method parameter, name=value (repeatable)")
@click.option("--min-observations", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--compare", help="several methods side by side, comma separated")
@click.option("--format", "output", type=click.Choice(["json", "table"]), default="table", show_default=True)
@click.option("--half-points", is_flag=True, help="the scale has half points (2.5 ...)")
@click.option(
    "--counts",
    type=click.Choice([Purpose.SUMMATIVE.value, Purpose.HABIT_OF_WORK.value]),
    default=Purpose.SUMMATIVE.value,
    show_default=True,
    help="which purpose counts: academics, or habits of work",
)
def calc(
    evidence_csv: Path,
    method: str | None,
    param_pairs: tuple[str, ...],
    min_observations: int,
    compare: str | None,
    output: str,
    half_points: bool,
    counts: str,
) -> None:
    """Run calculation methods over EVIDENCE_CSV and print standings with explanations.

    Columns: student, indicator, level (or score and max, converted ≥90 % → 4, ≥75 % → 3,
    ≥60 % → 2, else 1), assessed_at, purpose, attempt; optional replaces, excluded_reason.
    """
    choices = _choices(method, compare, _params(param_pairs))
    scale = default_scale(half_points=half_points)
    try:
        text = evidence_csv.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvImportError(
            "the file is not UTF-8 text",
            file=str(evidence_csv),
            line=error.object[: error.start].count(b"\n") + 1,
        ) from None
    evidence = read_evidence_csv(text, file=str(evidence_csv), scale=scale, conversion=default_cut_scores())
    bodies: dict[tuple[str, str], list[Evidence]] = {}
    for item in evidence:
        bodies.setdefault((item.student, item.indicator), []).append(item)
    rows: list[dict[str, Any]] = []
    for (student, indicator), body in bodies.items():
        results = []
        for choice in choices:
            standing, explanation = calculate(
                body, choice, scale=scale, min_observations=min_observations, counts=Purpose(counts)
            )
            results.append(
                {
                    "method": choice.name,
                    "params": dict(choice.params),
                    "value": None if standing.value is None else str(standing.value),
                    "label": explanation.label,
                    "insufficient": standing.insufficient,
                    "observations": standing.observations,
                    "short": explanation.short(),
                    "plain": explanation.plain(),
                    "explanation": explanation.to_json(),
                }
            )
        rows.append({"student": student, "indicator": indicator, "results": results})
    if output == "json":
        click.echo(json.dumps({"standings": rows}, indent=2, ensure_ascii=False))
    else:
        click.echo(_table(rows, choices))


def _table(rows: list[dict[str, Any]], choices: list[MethodChoice]) -> str:
    header = ["student", "indicator", *(c.describe() for c in choices)]
    if len(choices) == 1:
        header.append("why")
    lines = [header]
    for row in rows:
        cells = [row["student"], row["indicator"]]
        for result in row["results"]:
            cells.append("insufficient" if result["value"] is None else shown(Decimal(result["value"])))
        if len(choices) == 1:
            cells.append(row["results"][0]["short"])
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


commands: list[click.Command] = [calc]
