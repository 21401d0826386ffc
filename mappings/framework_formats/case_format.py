"""1EdTech CASE 1.0 and 1.1 packages (the CFPackage JSON): read them, and write ours as 1.1.

What is read
    CFDocument            the framework: identifier, title, description, version
    CFItems               the items: identifier, humanCodingScheme (the code), fullStatement
                          (the title), notes (the description)
    CFAssociations        ``isChildOf`` only, placing each item under the document or another
                          item; ``sequenceNumber`` orders siblings. Other types are ignored.
    CFDefinitions         CFItemTypes, to learn what an item is (below)
    CFRubrics             the scoring criteria (below)

Siblings are ordered by ``sequenceNumber``, then ``listEnumeration``, then code in natural
order (``L1.2`` before ``L1.10``), then the order of the file. An item with no
``humanCodingScheme`` gets a code from its place: ``CA.1`` for a content area, ``<area>.1``
for a standard, ``CC.1`` / ``HOW.1`` for cross-curricular standards and habits of work,
``<standard>.PI.1`` for an indicator, ``<indicator>.LO.1`` for an objective.

What an item becomes
    Real packages name their item types freely ("Cluster", "Standard", "Component",
    "Domain", ...), and the same name means different levels in different packages, so the
    types decide only when they are unambiguous for *every* item:

    1. By type, when each item's CFItemType (its name, its CFItemTypeURI title, or the
       definition's title or typeCode, compared without case or punctuation) is one of
       content area / subject / discipline; graduation standard / standard / competency;
       cross-curricular standard / transferable skill; habit of work / work habit;
       performance indicator / indicator / benchmark; learning objective / objective /
       learning target / element / component -- and the tree agrees with them (content
       areas, cross-curricular standards and habits of work under the document, standards
       under a content area, indicators under a standard, objectives under an indicator or
       another objective). Our own exports are read this way.
    2. Otherwise by depth, counting the document as 0 and taking the deepest branch D:
       D >= 4: depth 1 content areas, 2 standards, 3 indicators, 4 and below objectives;
       D <= 3: the document itself stands as the one content area (its title, a UUID derived
       from its identifier), depth 1 standards, 2 indicators, 3 objectives.
    Objectives deeper than one level are listed under their indicator in tree order.

Scoring criteria
    Every CFRubricCriterion's levels (``score`` → value, ``quality`` → label,
    ``description``) must be the same: a framework has one common scale. The level where
    proficiency begins is our extension's ``meets``, else the level whose label starts with
    "meets" or "proficient", else the lowest level at or above the middle of the range.
    No rubric: the four-level 1-4 scale.

What CASE cannot say (the framework's code, level colours, ``meets``, half points) travels
in CASE 1.1 ``extensions`` under the key ``proficiencyBridge``; a package without them gets
a code from the document's title and colours by rank (below / at / above "meets").

A package is refused as a whole, naming the array entry, its identifier and the field:
items placed twice, items not placed at all, loops, duplicate identifiers or codes,
rubrics that disagree.
"""

from __future__ import annotations

from datetime import datetime

from mappings.framework import FrameworkDocument
from mappings.framework_formats.case_reader import read_package
from mappings.framework_formats.case_writer import write_package


def parse(data: bytes | str, *, file_name: str) -> FrameworkDocument:
    """Read a CFPackage; `FrameworkImportError` names the entry, identifier and field if wrong."""
    return read_package(data, file_name=file_name)


def export(document: FrameworkDocument, *, changed_at: datetime) -> str:
    """The document as a CASE 1.1 CFPackage; `changed_at` fills every lastChangeDateTime."""
    return write_package(document, changed_at=changed_at)
