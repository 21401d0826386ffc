"""Made-up people for seeded courses: varied names from many traditions, never real persons.

Names are drawn from two independent lists with a seeded generator, so a seed always gives
the same class, and no pair is used twice within one platform.
"""

from __future__ import annotations

import random

GIVEN_NAMES = (
    "Amara",
    "Mateo",
    "Hana",
    "Oluwaseun",
    "Priya",
    "Liam",
    "Sofía",
    "Kenji",
    "Fatima",
    "Noah",
    "Aaliyah",
    "Dmitri",
    "Mei",
    "Tariq",
    "Isabela",
    "Kwame",
    "Ingrid",
    "Rahul",
    "Zoe",
    "Tomás",
    "Yuki",
    "Amani",
    "Lucas",
    "Nadia",
    "Kai",
    "Esperanza",
    "Arjun",
    "Chloé",
    "Emeka",
    "Sakura",
    "Omar",
    "Freya",
    "Thanh",
    "Leilani",
    "Jonas",
    "Ayesha",
    "Diego",
    "Nia",
    "Viktor",
    "Anaya",
    "Mason",
    "Leila",
    "Ravi",
    "Astrid",
    "Jamal",
    "Xiomara",
    "Elias",
    "Ji-woo",
    "Malia",
    "Santiago",
    "Ewa",
    "Kofi",
    "Ines",
    "Hiroshi",
    "Talia",
    "Bao",
    "Camila",
    "Aiden",
    "Zainab",
    "Nikolai",
)

FAMILY_NAMES = (
    "Okafor",
    "Nguyen",
    "García",
    "Kowalski",
    "Haddad",
    "Tanaka",
    "Mensah",
    "Johansson",
    "Patel",
    "O'Brien",
    "Fernández",
    "Kim",
    "Abubakar",
    "Rossi",
    "Chen",
    "Dubois",
    "Mwangi",
    "Novak",
    "Singh",
    "Yamamoto",
    "Silva",
    "Petrov",
    "Adeyemi",
    "Larsen",
    "Morales",
    "Hoang",
    "Cohen",
    "Kaya",
    "Banerjee",
    "Whitehorse",
    "Moreau",
    "Osei",
    "Lindqvist",
    "Castillo",
    "Park",
    "Achebe",
    "Schmidt",
    "Begay",
    "Ramírez",
    "Sato",
    "Nakamura",
    "Jensen",
    "Ibrahim",
    "Ortiz",
    "Kealoha",
    "Van der Berg",
    "Murphy",
    "Zhang",
    "Popescu",
    "Reyes",
    "Bianchi",
    "Oyelaran",
    "Kaur",
    "Eriksen",
    "Delgado",
    "Watanabe",
    "Mahlangu",
    "Novotná",
    "Quispe",
    "Farouk",
)


class NameDrawer:
    """Draws (given, family) pairs without repeating one."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[tuple[str, str]] = set()

    def draw(self) -> tuple[str, str]:
        for _ in range(10_000):
            pair = (self._rng.choice(GIVEN_NAMES), self._rng.choice(FAMILY_NAMES))
            if pair not in self._used:
                self._used.add(pair)
                return pair
        # more people than pairs: number them, still unique
        given, family = self._rng.choice(GIVEN_NAMES), self._rng.choice(FAMILY_NAMES)
        pair = (given, f"{family} {len(self._used) + 1}")
        self._used.add(pair)
        return pair
