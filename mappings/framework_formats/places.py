"""Where in a file a framework item came from, so that every refusal names the place.

A curriculum coordinator fixes a file by going to the line (YAML, CSV) or the identifier
(CASE) the message names; the framework values themselves only know what is wrong, so the
readers build each value inside `located(place)`, which adds the place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from pbridge.errors import (
    CalculationError,
    CsvImportError,
    FrameworkImportError,
    ProficiencyBridgeError,
)


class Place(Protocol):
    @property
    def short(self) -> str:
        """The place within its file, e.g. ``line 14`` or ``CFItems[3] (identifier …)``."""
        ...

    def error(self, message: str) -> ProficiencyBridgeError:
        """The error to raise for a problem found here."""
        ...


@dataclass(frozen=True, slots=True)
class FilePlace:
    """A place in a YAML or CASE file: a line and field, or an array entry and field."""

    file: str
    short: str

    def error(self, message: str) -> ProficiencyBridgeError:
        return FrameworkImportError(message, where=f"{self.file}, {self.short}")


@dataclass(frozen=True, slots=True)
class CsvPlace:
    """A cell (or a whole row when `column` is empty) of a CSV file."""

    file: str
    line: int
    column: str = ""

    @property
    def short(self) -> str:
        return f"line {self.line}"

    def error(self, message: str) -> ProficiencyBridgeError:
        return CsvImportError(message, file=self.file, line=self.line, column=self.column)


@contextmanager
def located(place: Place) -> Iterator[None]:
    """Re-raise the framework values' own refusals (which know no place) at `place`."""
    try:
        yield
    except FrameworkImportError as error:
        if error.where:
            raise
        raise place.error(str(error)) from None
    except CalculationError as error:
        raise place.error(str(error)) from None


class CodeBook:
    """The codes met so far in a file; a second use names both places."""

    def __init__(self) -> None:
        self._places: dict[str, Place] = {}

    def claim(self, code: str, place: Place) -> None:
        first = self._places.get(code)
        if first is not None:
            raise place.error(
                f"the code '{code}' is already used at {first.short}; codes must be unique in a framework"
            )
        self._places[code] = place

    def __contains__(self, code: object) -> bool:
        return code in self._places
