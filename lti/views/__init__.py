"""Blueprints by audience: launch (LTI endpoints), registration, teacher, student, admin."""
