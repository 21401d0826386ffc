"""Writing a framework as a CASE 1.1 CFPackage.

Items keep their CASE identifier; those without one get a UUID derived from the framework's
code and theirs, so exporting twice gives the same identifiers. Every item is typed with one of
our six item types, so that reading the package back needs no guessing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from mappings.framework import FrameworkDocument, GraduationStandard
from mappings.framework_formats.case_package import EXTENSION_KEY, Role, derived, uri
from mappings.framework_formats.case_rubrics import rubric_of


def write_package(document: FrameworkDocument, *, changed_at: datetime) -> str:
    """The document as CFPackage JSON; `changed_at` fills every lastChangeDateTime."""
    return json.dumps(_Writer(document, changed_at).package(), indent=2, ensure_ascii=False) + "\n"


class _Writer:
    def __init__(self, document: FrameworkDocument, changed_at: datetime) -> None:
        self.document = document
        moment = changed_at if changed_at.tzinfo else changed_at.replace(tzinfo=UTC)
        self.changed = moment.astimezone(UTC).isoformat(timespec="seconds")
        self.doc_id = document.case_identifier or derived("framework", document.code)
        self.doc_link = self.link(self.doc_id, document.title)
        self.items: list[dict[str, Any]] = []
        self.associations: list[dict[str, Any]] = []
        self.codes: dict[str, str] = {}
        self.siblings: dict[str, int] = {}

    def link(self, identifier: str, title: str) -> dict[str, str]:
        return {"title": title, "identifier": identifier, "uri": uri(identifier)}

    def type_link(self, role: Role) -> dict[str, str]:
        return self.link(derived("item-type", role.value), role.value)

    def package(self) -> dict[str, Any]:
        document = self.document
        for area in document.content_areas:
            area_id = self.add(area, Role.CONTENT_AREA, self.doc_id, "")
            for standard in area.standards:
                self.add_standard(standard, Role.STANDARD, area_id)
        for standard in document.cross_curricular:
            self.add_standard(standard, Role.CROSS_CURRICULAR, self.doc_id)
        for standard in document.habits_of_work:
            self.add_standard(standard, Role.HABIT_OF_WORK, self.doc_id)
        cf_document: dict[str, Any] = {
            "identifier": self.doc_id,
            "uri": uri(self.doc_id),
            "creator": "Proficiency Bridge",
            "title": document.title,
            "lastChangeDateTime": self.changed,
            "version": str(document.version),
            "caseVersion": "1.1",
            "extensions": {EXTENSION_KEY: {"code": document.code}},
        }
        if document.description:
            cf_document["description"] = document.description
        return {
            "CFDocument": cf_document,
            "CFItems": self.items,
            "CFAssociations": self.associations,
            "CFDefinitions": {
                "CFConcepts": [],
                "CFSubjects": [],
                "CFLicenses": [],
                "CFItemTypes": [self.item_type(role) for role in Role],
                "CFAssociationGroupings": [],
            },
            "CFRubrics": [rubric_of(self.document, self.doc_id, self.changed)],
        }

    def item_type(self, role: Role) -> dict[str, Any]:
        identifier = derived("item-type", role.value)
        return {
            "identifier": identifier,
            "uri": uri(identifier),
            "title": role.value,
            "description": f"A {role.value.lower()} of a proficiency-based framework",
            "hierarchyCode": str(list(Role).index(role) + 1),
            "typeCode": role.value.replace(" ", "").replace("-", ""),
            "lastChangeDateTime": self.changed,
        }

    def add_standard(self, standard: GraduationStandard, role: Role, parent: str) -> None:
        standard_id = self.add(standard, role, parent, standard.description)
        for indicator in standard.indicators:
            indicator_id = self.add(indicator, Role.INDICATOR, standard_id, indicator.description)
            for objective in indicator.objectives:
                self.add(objective, Role.OBJECTIVE, indicator_id, "")

    def add(self, item: Any, role: Role, parent: str, notes: str) -> str:
        identifier = item.case_identifier or derived("item", self.document.code, item.code)
        entry: dict[str, Any] = {
            "identifier": identifier,
            "uri": uri(identifier),
            "CFDocumentURI": self.doc_link,
            "humanCodingScheme": item.code,
            "fullStatement": item.title,
            "CFItemType": role.value,
            "CFItemTypeURI": self.type_link(role),
            "lastChangeDateTime": self.changed,
        }
        if notes:
            entry["notes"] = notes
        self.items.append(entry)
        self.codes[identifier] = item.code
        self.siblings[parent] = self.siblings.get(parent, 0) + 1
        parent_title = self.codes.get(parent, self.document.title)
        association_id = derived("isChildOf", identifier, parent)
        self.associations.append(
            {
                "identifier": association_id,
                "uri": uri(association_id),
                "CFDocumentURI": self.doc_link,
                "associationType": "isChildOf",
                "sequenceNumber": self.siblings[parent],
                "originNodeURI": self.link(identifier, item.code),
                "destinationNodeURI": self.link(parent, parent_title),
                "lastChangeDateTime": self.changed,
            }
        )
        return identifier
