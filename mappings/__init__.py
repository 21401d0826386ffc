"""The proficiency domain: pure functions of plain values (no Flask, HTTP or database session).

Imports nothing of ours but itself and `pbridge.errors` (a leaf module of exceptions).
"""
