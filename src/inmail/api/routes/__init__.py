"""One router per part of the contract. A route parses, states who may call
it (an alias from ``inmail.api.auth``), calls one use case and shapes the
answer; it never commits and holds no business rule."""

from inmail.api.routes import admin, forecast, members, messages, subscriptions, system, webhooks

ROUTERS = [
    system.router,
    members.router,
    subscriptions.router,
    forecast.router,
    messages.router,
    admin.router,
    webhooks.router,
]

__all__ = ["ROUTERS"]
