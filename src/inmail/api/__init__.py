"""The HTTP API (the product contract's HTTP routes): ``create_app`` builds it."""

from inmail.api.app import create_app

__all__ = ["create_app"]
