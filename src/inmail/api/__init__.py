"""The HTTP API (API.md section 2): ``create_app`` builds it."""

from inmail.api.app import create_app

__all__ = ["create_app"]
