"""The proficiency domain: pure functions of plain values (no Flask, HTTP or database session).

Imports nothing of ours but itself and `pbridge.errors` (a leaf module of exceptions).

Its public face: every name the other packages use, re-exported here under `__all__` (each
still lives in, and may still be imported from, its own module). A test keeps `__all__` equal
to what this module exports and to what the other packages import.
"""

from mappings.bulk import BoolArray, IntArray, compute, counted_rows, first_of_runs
from mappings.bulk_rollup import roll_up_groups, vectorisable, verify_groups
from mappings.calculation import METHODS, CalculationMethod, MethodChoice, calculate
from mappings.conversion import (
    Conversion,
    CutScores,
    LevelMap,
    ScoreIsLevel,
    conversion_from_json,
    cut_scores,
    default_cut_scores,
)
from mappings.evidence import Evidence, EvidenceStatus, Purpose
from mappings.evidence_csv import read_evidence_csv
from mappings.explanation import Explanation
from mappings.framework import (
    CODE_MAX,
    ContentArea,
    FrameworkDocument,
    GraduationStandard,
    PerformanceIndicator,
    build_scale,
)
from mappings.framework_formats import FORMATS, export_framework, format_for, parse_framework
from mappings.framework_formats.text_values import decimal_text
from mappings.policy import CourseChoice, Policy
from mappings.rollup import ROUNDINGS, RULES, IndicatorResult, RollupExplanation, RollupRule, roll_up
from mappings.scale import Level, Scale, default_scale
from mappings.standing import Override, shown
from mappings.verification import IndicatorBody, VerificationRule, verify

__all__ = [
    "CODE_MAX",
    "FORMATS",
    "METHODS",
    "ROUNDINGS",
    "RULES",
    "BoolArray",
    "CalculationMethod",
    "ContentArea",
    "Conversion",
    "CourseChoice",
    "CutScores",
    "Evidence",
    "EvidenceStatus",
    "Explanation",
    "FrameworkDocument",
    "GraduationStandard",
    "IndicatorBody",
    "IndicatorResult",
    "IntArray",
    "Level",
    "LevelMap",
    "MethodChoice",
    "Override",
    "PerformanceIndicator",
    "Policy",
    "Purpose",
    "RollupExplanation",
    "RollupRule",
    "Scale",
    "ScoreIsLevel",
    "VerificationRule",
    "build_scale",
    "calculate",
    "compute",
    "conversion_from_json",
    "counted_rows",
    "cut_scores",
    "decimal_text",
    "default_cut_scores",
    "default_scale",
    "export_framework",
    "first_of_runs",
    "format_for",
    "parse_framework",
    "read_evidence_csv",
    "roll_up",
    "roll_up_groups",
    "shown",
    "vectorisable",
    "verify",
    "verify_groups",
]
