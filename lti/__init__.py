"""The web tool: the Flask app factory, LTI endpoints and the teacher, student and admin views."""

from lti.app import create_app

__all__ = ["create_app"]
