"""A synthetic district: a district org with schools, a school year with terms and grading
periods, courses, classes with a teacher each, students, and their enrollments.

Deterministic for a given `seed`, and sized by the caller, from a handful of records for a
test to the benchmark's 50 000 users, 2 000 classes and 150 000 enrollments (built in about
a second). Ids are readable (``usr-000123``) so a failing test names what it means.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from sandbox.oneroster.state import OneRosterState, ref

GIVEN = (
    "Ada",
    "Ben",
    "Cleo",
    "Dev",
    "Eli",
    "Fay",
    "Gus",
    "Hana",
    "Ivo",
    "Jun",
    "Kai",
    "Lea",
    "Mo",
    "Nia",
    "Oli",
    "Pia",
    "Quin",
    "Ravi",
    "Sol",
    "Tess",
    "Uma",
    "Vic",
    "Wren",
    "Yui",
)
FAMILY = (
    "Abbott",
    "Baptiste",
    "Chen",
    "Dubois",
    "Eze",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Mensah",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Umar",
    "Varga",
    "Walsh",
    "Young",
)
#: the five OMB races in OneRoster's member names
RACES = (
    "americanIndianOrAlaskaNative",
    "asian",
    "blackOrAfricanAmerican",
    "nativeHawaiianOrOtherPacificIslander",
    "white",
)
SUBJECTS = ("ELA", "Math", "Science", "Social Studies", "World Languages", "Arts", "Health")


@dataclass(frozen=True)
class District:
    """What the seeder made, for tests and benchmarks to count against."""

    schools: int
    users: int
    students: int
    teachers: int
    classes: int
    enrollments: int
    sessions: int
    courses: int

    @property
    def orgs(self) -> int:
        return self.schools + 1


def seed_district(
    state: OneRosterState,
    *,
    schools: int = 3,
    users: int = 60,
    classes: int = 6,
    enrollments: int = 90,
    seed: int = 1,
    modified: datetime = datetime(2025, 8, 1, tzinfo=UTC),
) -> District:
    """Fill `state` with a district of this size; `enrollments` counts teachers' too."""
    if classes < 1 or schools < 1:
        raise ValueError("a district needs at least one school and one class")
    teachers = max(1, classes // 5)
    students = users - teachers
    student_enrollments = enrollments - classes
    if students < 1 or student_enrollments < 0:
        raise ValueError("too few users or enrollments for the classes asked for")
    if student_enrollments > students * classes:
        raise ValueError("more enrollments than student-class pairs")
    rng = random.Random(seed)

    orgs = [
        {
            "sourcedId": "org-district",
            "name": "Sandbox District",
            "type": "district",
            "identifier": "SD",
            "children": [ref("orgs", f"org-{s:03d}") for s in range(schools)],
        }
    ]
    orgs += [
        {
            "sourcedId": f"org-{s:03d}",
            "name": f"School {s + 1}",
            "type": "school",
            "identifier": f"S{s + 1:03d}",
            "parent": ref("orgs", "org-district"),
        }
        for s in range(schools)
    ]
    state.put_many("orgs", orgs, modified=modified)

    year = modified.year
    sessions = [
        {
            "sourcedId": "ses-year",
            "title": f"{year}-{year + 1}",
            "type": "schoolYear",
            "startDate": f"{year}-08-15",
            "endDate": f"{year + 1}-06-30",
            "schoolYear": str(year + 1),
            "children": [ref("academicSessions", "ses-t1"), ref("academicSessions", "ses-t2")],
        },
        {
            "sourcedId": "ses-t1",
            "title": "Semester 1",
            "type": "semester",
            "startDate": f"{year}-08-15",
            "endDate": f"{year + 1}-01-20",
            "schoolYear": str(year + 1),
            "parent": ref("academicSessions", "ses-year"),
        },
        {
            "sourcedId": "ses-t2",
            "title": "Semester 2",
            "type": "semester",
            "startDate": f"{year + 1}-01-21",
            "endDate": f"{year + 1}-06-30",
            "schoolYear": str(year + 1),
            "parent": ref("academicSessions", "ses-year"),
        },
        {
            "sourcedId": "ses-gp1",
            "title": "Quarter 1",
            "type": "gradingPeriod",
            "startDate": f"{year}-08-15",
            "endDate": f"{year}-10-31",
            "schoolYear": str(year + 1),
            "parent": ref("academicSessions", "ses-t1"),
        },
    ]
    state.put_many("academicSessions", sessions, modified=modified)

    courses = []
    for s in range(schools):
        for index, subject in enumerate(SUBJECTS):
            courses.append(
                {
                    "sourcedId": f"crs-{s:03d}-{index}",
                    "title": subject,
                    "courseCode": f"{subject[:3].upper()}{s}",
                    "schoolYear": ref("academicSessions", "ses-year"),
                    "org": ref("orgs", f"org-{s:03d}"),
                    "grades": ["09", "10"],
                    "subjects": [subject],
                }
            )
    state.put_many("courses", courses, modified=modified)

    class_records = []
    for c in range(classes):
        school = c % schools
        course = courses[(c // schools) % len(SUBJECTS) + school * len(SUBJECTS)]
        class_records.append(
            {
                "sourcedId": f"cls-{c:05d}",
                "title": f"{course['title']} {c + 1}",
                "classCode": f"C{c:05d}",
                "classType": "scheduled",
                "location": f"Room {100 + c % 250}",
                "course": ref("courses", course["sourcedId"]),
                "school": ref("orgs", f"org-{school:03d}"),
                "terms": [ref("academicSessions", "ses-t1" if c % 2 == 0 else "ses-t2")],
                "grades": ["09"],
                "subjects": course["subjects"],
                "periods": [str(1 + c % 7)],
            }
        )
    state.put_many("classes", class_records, modified=modified)

    user_records = []
    for t in range(teachers):
        school = t % schools
        user_records.append(_user(f"usr-t{t:05d}", "teacher", school, rng))
    for s in range(students):
        user_records.append(_user(f"usr-{s:06d}", "student", s % schools, rng))
    state.put_many("users", user_records, modified=modified)
    state.put_many(
        "demographics",
        [_demographics(f"usr-{s:06d}", modified.year, rng) for s in range(students)],
        modified=modified,
    )

    enrollment_records = []
    for c in range(classes):
        enrollment_records.append(
            {
                "sourcedId": f"enr-t{c:05d}",
                "user": ref("users", f"usr-t{c % teachers:05d}"),
                "class": ref("classes", f"cls-{c:05d}"),
                "school": ref("orgs", f"org-{c % schools:03d}"),
                "role": "teacher",
                "primary": "true",
            }
        )
    for k in range(student_enrollments):
        student, round_ = k % students, k // students
        klass = (round_ + student) % classes  # distinct classes per student
        enrollment_records.append(
            {
                "sourcedId": f"enr-{k:07d}",
                "user": ref("users", f"usr-{student:06d}"),
                "class": ref("classes", f"cls-{klass:05d}"),
                "school": ref("orgs", f"org-{klass % schools:03d}"),
                "role": "student",
                "primary": "false",
            }
        )
    state.put_many("enrollments", enrollment_records, modified=modified)
    return District(
        schools=schools,
        users=len(user_records),
        students=students,
        teachers=teachers,
        classes=classes,
        enrollments=len(enrollment_records),
        sessions=len(sessions),
        courses=len(courses),
    )


def _user(sourced_id: str, role: str, school: int, rng: random.Random) -> dict[str, object]:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    return {
        "sourcedId": sourced_id,
        "enabledUser": "true",
        "username": f"{given.lower()}.{family.lower()}.{sourced_id[-6:]}",
        "givenName": given,
        "familyName": family,
        "email": f"{sourced_id}@district.example",
        "identifier": sourced_id.upper(),
        "roles": [{"roleType": "primary", "role": role, "org": ref("orgs", f"org-{school:03d}")}],
        "primaryOrg": ref("orgs", f"org-{school:03d}"),
        "grades": ["09"] if role == "student" else [],
    }


def _demographics(sourced_id: str, year: int, rng: random.Random) -> dict[str, object]:
    """A student's demographics record (keyed by the user's sourcedId), booleans as 1.2 strings.

    Mostly one race, some two, some Hispanic or Latino: every reporting category occurs.
    """
    races = set(rng.sample(RACES, 2 if rng.random() < 0.1 else 1))
    record: dict[str, object] = {
        "sourcedId": sourced_id,
        "birthDate": f"{year - 14}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "sex": rng.choice(("male", "female")),
        **{race: "true" if race in races else "false" for race in RACES},
        "demographicRaceTwoOrMoreRaces": "true" if len(races) > 1 else "false",
        "hispanicOrLatinoEthnicity": "true" if rng.random() < 0.25 else "false",
    }
    return record
