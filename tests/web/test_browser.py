"""The pages in a real browser (Debian's Chromium through Playwright) against a
real server on the demo network: what a member sees and clicks."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import DemoServer

pytestmark = pytest.mark.browser


def sign_in(context, server: DemoServer, token: str):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(server.url + "/login")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    return page


def balance(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator("#balance").inner_text())


def test_inmail_spends_a_credit_and_a_quick_reply_brings_it_back(demo_server, chromium):
    server = demo_server
    maya_context = chromium.new_context()
    maya = sign_in(maya_context, server, server.tokens["maya.chen"])
    assert maya.url.endswith("/credits")
    assert balance(maya) == 58
    # Kenji already has one of Maya's InMails waiting, sent two weeks ago.
    assert maya.locator("#awaiting").get_by_text("Kenji Sato").count() == 1

    maya.get_by_role("link", name="Write", exact=True).click()
    maya.get_by_label("To (member id)").fill("kenji.sato")
    maya.get_by_label("Subject").fill("Coffee next week?")
    maya.get_by_label("Message").fill("Hi Kenji, could we talk about the design lead role?")
    maya.get_by_role("button", name="Check the cost").click()
    assert "Costs 1 credit" in maya.locator("#quote").inner_text()
    assert "you have 58" in maya.locator("#quote").inner_text()
    maya.get_by_role("button", name="Send for 1 credit").click()
    assert "Sent to Kenji Sato: 1 credit was used." in maya.locator(".notice-success").inner_text()
    maya.get_by_role("link", name="Premium", exact=True).click()
    assert balance(maya) == 57
    assert maya.locator("#awaiting").get_by_text("Kenji Sato").count() == 2

    kenji_context = chromium.new_context()
    kenji = sign_in(kenji_context, server, server.tokens["kenji.sato"])
    kenji.get_by_role("link", name="Inbox").click()
    row = kenji.locator("#conversation-maya\\.chen")
    assert row.get_by_text("Unread", exact=True).is_visible()
    assert "You:" not in row.inner_text() and "Coffee next week?" not in row.inner_text()
    assert "Hi Kenji, could we talk about the design lead role?" in row.inner_text()
    row.get_by_role("link").click()
    assert kenji.url.endswith("/conversations/maya.chen")
    newest = kenji.locator(".message", has_text="Coffee next week?")
    assert kenji.locator(".thread .message").last.inner_text() == newest.inner_text()
    assert newest.get_by_role("button", name="Maybe later").is_visible()
    assert newest.get_by_role("button", name="Not interested").is_visible()
    newest.get_by_role("button", name="Interested", exact=True).click()
    assert "You answered Maya Chen: Interested." in kenji.locator(".notice-success").inner_text()
    assert (
        kenji.locator(".message", has_text="Coffee next week?")
        .get_by_role("button", name="Interested", exact=True)
        .count()
        == 0
    )

    # Maya's session is still open: a reload shows both InMails' credits back.
    maya.reload()
    assert balance(maya) == 59
    newest_rows = maya.locator("#ledger tbody tr")
    for row in (newest_rows.nth(0), newest_rows.nth(1)):
        assert "Credit refunded" in row.inner_text()
        assert "+1" in row.inner_text()
    assert maya.locator("#awaiting").get_by_text("Kenji Sato").count() == 0
    maya.get_by_role("link", name="Notifications").click()
    assert (
        maya.get_by_text("Kenji Sato responded to your InMail. 2 credits came back.").count() == 1
    )
    maya_context.close()
    kenji_context.close()


def test_forfeit_warning_at_the_cap(demo_server, browser_context):
    page = sign_in(browser_context, demo_server, demo_server.tokens["maya.chen"])
    warning = page.locator("#forfeit-warning").inner_text()
    assert re.search(
        r"You have 58 of 60 credits: 18 of your next 20 credits will be lost on \d+ \w+ "
        r"unless you use them\.",
        warning,
    ), warning
    # Lena has no subscription, so nothing renews and nothing is lost.
    lena = sign_in(
        browser_context.browser.new_context(), demo_server, demo_server.tokens["lena.park"]
    )
    assert lena.locator("#balance").inner_text() == "0"
    assert lena.locator("#forfeit-warning").count() == 0
    lena.context.close()


def test_a_form_post_without_the_csrf_token_is_refused(demo_server, browser_context):
    page = sign_in(browser_context, demo_server, demo_server.tokens["maya.chen"])
    page.goto(demo_server.url + "/compose?to=kenji.sato")
    page.get_by_label("Message").fill("This must not be sent.")
    page.get_by_role("button", name="Check the cost").click()
    page.locator("input[name=csrf_token]").evaluate_all("inputs => inputs.forEach(i => i.remove())")
    with page.expect_response(lambda r: r.url.endswith("/compose/send")) as answer:
        page.get_by_role("button", name="Send for 1 credit").click()
    assert answer.value.status == 403
    assert page.get_by_role("heading", name="This form has expired").is_visible()
    # The cookie alone (as a cross-site form would send it) changes nothing either.
    posted = browser_context.request.post(
        demo_server.url + "/compose/send",
        form={
            "to": "kenji.sato",
            "body": "forged",
            "quoted_to": "kenji.sato",
            "quoted_charge": "inmail",
        },
    )
    assert posted.status == 403
    page.goto(demo_server.url + "/credits")
    assert balance(page) == 58


def test_refused_inmail_keeps_what_was_typed(demo_server, browser_context):
    # Lena has no subscription: an InMail to Omar is refused, the text stays.
    page = sign_in(browser_context, demo_server, demo_server.tokens["lena.park"])
    page.goto(demo_server.url + "/compose")
    page.get_by_label("To (member id)").fill("omar.haddad")
    page.get_by_label("Message").fill("Hello Omar, a question about your talk.")
    page.get_by_role("button", name="Check the cost").click()
    assert "needs a Premium subscription" in page.locator("#quote").inner_text()
    assert page.get_by_role("button", name=re.compile("^Send")).count() == 0
    assert page.get_by_label("Message").input_value() == "Hello Omar, a question about your talk."


def test_admin_moves_the_clock_and_the_reminder_arrives(demo_server, chromium):
    admin = sign_in(chromium.new_context(), demo_server, demo_server.admin_token)
    assert admin.url.endswith("/admin")
    assert admin.locator("#member-maya\\.chen .balance-cell").inner_text() == "58"
    admin.get_by_label("Advance by").fill("3")
    admin.get_by_role("button", name="Advance").click()
    assert "The clock moved forward 3 days." in admin.locator(".notice-success").inner_text()
    omar = sign_in(chromium.new_context(), demo_server, demo_server.tokens["omar.haddad"])
    omar.get_by_role("link", name="Notifications").click()
    assert omar.get_by_text("Reminder: Maya Chen's InMail is waiting for your answer.").count() >= 1
    admin.context.close()
    omar.context.close()


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_screenshots(demo_server, chromium, screenshot_dir, width):
    """My Premium Page (Maya, with the forfeit warning) and her inbox (some
    conversations unread, some answered), at a phone's and a desktop's width."""
    name = "phone" if width == 390 else "desktop"
    for member, path, shot in (
        ("maya.chen", "/credits", "premium"),
        ("maya.chen", "/inbox", "inbox"),
    ):
        context = chromium.new_context(viewport={"width": width, "height": 860})
        page = sign_in(context, demo_server, demo_server.tokens[member])
        page.goto(demo_server.url + path)
        # Horizontal scrolling on a phone is a layout bug.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        target = screenshot_dir / f"{shot}-{name}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
        if shot == "premium":
            # The forecast beside the balance history, at a pace that shows the band.
            page.goto(
                demo_server.url
                + "/credits?months=12&sends_per_week=6&answered=30&response_days=5#forecast"
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            target = screenshot_dir / f"forecast-{name}.png"
            page.locator(".charts").screenshot(path=str(target))
            assert target.stat().st_size > 10_000
        context.close()


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_the_inbox_opens_each_conversation_at_its_newest_message(demo_server, chromium, width):
    context = chromium.new_context(viewport={"width": width, "height": 860})
    maya = sign_in(context, demo_server, demo_server.tokens["maya.chen"])
    maya.get_by_role("link", name="Inbox").click()
    rows = maya.locator(".conversation-row")
    # One row per member she has written with, the latest conversation first.
    assert [r.get_attribute("id") for r in rows.all()] == [
        "conversation-omar.haddad",
        "conversation-kenji.sato",
        "conversation-sofia.rossi",
        "conversation-priya.raman",
        "conversation-lena.park",
    ]
    assert fits(maya)
    lena = maya.locator("#conversation-lena\\.park")
    assert "Thursday works. Talk then!" in lena.inner_text()
    assert lena.get_by_text("Unread", exact=True).is_visible()
    omar = maya.locator("#conversation-omar\\.haddad")
    assert "You: Hi Omar, following up" in omar.inner_text()
    assert omar.get_by_text("Unread", exact=True).count() == 0
    for row in rows.all():  # every row within the window, not cut off
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width

    lena.get_by_role("link").click()
    assert maya.url.endswith("/conversations/lena.park")
    thread = maya.locator(".thread .message")
    assert "Staff engineer, payments" in thread.first.inner_text()
    assert "Thursday works. Talk then!" in thread.last.inner_text()
    assert fits(maya)
    maya.get_by_role("link", name="Inbox").click()
    assert maya.locator("#conversation-lena\\.park").get_by_text("Unread").count() == 0
    assert maya.locator(".conversation-unread").count() == 2  # Sofia's and Priya's
    context.close()


MEMBER_PAGES = ["/credits", "/inbox", "/sent", "/compose?q=a", "/notifications", "/settings"]


def fits(page) -> bool:  # type: ignore[no-untyped-def]
    """No sideways scrolling: the page is no wider than the window."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def nav_fits(page, width: int) -> bool:  # type: ignore[no-untyped-def]
    """Every link of the top navigation is inside the window, none scrolled
    out of sight."""
    boxes = [link.bounding_box() for link in page.locator(".topbar a, .topbar button").all()]
    return bool(boxes) and all(b["x"] >= 0 and b["x"] + b["width"] <= width for b in boxes)


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_no_page_scrolls_sideways(demo_server, chromium, width):
    context = chromium.new_context(viewport={"width": width, "height": 860})
    page = context.new_page()
    for path in ["/login", "/no-such-page"]:  # signed out
        page.goto(demo_server.url + path)
        assert fits(page), path
    page = sign_in(context, demo_server, demo_server.tokens["maya.chen"])
    long_forecast = "/credits?months=24&sends_per_week=40&answered=50&response_days=5"
    for path in [*MEMBER_PAGES, "/conversations/kenji.sato", long_forecast, "/no-such-page"]:
        page.goto(demo_server.url + path)
        assert fits(page), path
        assert nav_fits(page, width), path
    assert page.get_by_role("heading", name="Page not found").is_visible()
    context.close()
    context = chromium.new_context(viewport={"width": width, "height": 860})
    admin = sign_in(context, demo_server, demo_server.admin_token)
    for summary in admin.locator("details.manage summary").all():
        summary.click()  # every Manage panel open at once: the widest the table gets
    assert fits(admin)
    row = admin.locator("#member-maya\\.chen")
    for label in ("Plan", "Balance", "Next renewal"):
        assert row.locator(f'td[data-label="{label}"]').is_visible()
        box = row.locator(f'td[data-label="{label}"]').bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, label
    manage = row.locator(".manage-forms").bounding_box()
    assert manage["x"] + manage["width"] <= width
    context.close()


def test_finding_a_recipient_by_name(demo_server, browser_context):
    page = sign_in(browser_context, demo_server, demo_server.tokens["maya.chen"])
    page.get_by_role("link", name="Write", exact=True).click()
    page.get_by_role("searchbox", name="Name or id").fill("omar")
    page.get_by_role("button", name="Search").click()
    page.locator("#found").get_by_role("link", name="Omar Haddad").click()
    assert page.get_by_label("To (member id)").input_value() == "omar.haddad"
    page.get_by_label("Message").fill("Hello Omar")
    page.get_by_role("button", name="Check the cost").click()
    assert "Costs 1 credit" in page.locator("#quote").inner_text()


def test_settings_turn_inmails_off_for_senders(demo_server, chromium):
    omar = sign_in(chromium.new_context(), demo_server, demo_server.tokens["omar.haddad"])
    omar.get_by_role("link", name="Settings").click()
    omar.get_by_label("Opt out of InMails").check()
    omar.get_by_role("button", name="Save settings").click()
    assert "Your settings are saved." in omar.locator(".notice-success").inner_text()
    assert omar.get_by_label("Opt out of InMails").is_checked()
    maya = sign_in(chromium.new_context(), demo_server, demo_server.tokens["maya.chen"])
    maya.goto(demo_server.url + "/compose?to=omar.haddad")
    maya.get_by_label("Message").fill("Hello again")
    maya.get_by_role("button", name="Check the cost").click()
    assert "does not accept InMails" in maya.locator("#quote").inner_text()
    omar.context.close()
    maya.context.close()


def test_admin_adds_a_member_who_can_then_sign_in(demo_server, chromium):
    admin = sign_in(chromium.new_context(), demo_server, demo_server.admin_token)
    form = admin.get_by_role("region", name="Add a member")
    form.get_by_label("Id", exact=True).fill("user10")
    form.get_by_label("Name", exact=True).fill("Uma Ten")
    form.get_by_label("Open profile", exact=True).check()
    form.get_by_role("button", name="Add member").click()
    assert "user10 was added." in admin.locator(".notice-success").inner_text()
    row = admin.locator("#member-user10")
    assert "open profile" in row.inner_text().lower()
    row.get_by_text("Manage").click()
    row.get_by_role("button", name="New sign-in token").click()
    token = admin.locator("#new-token code").inner_text()
    uma = sign_in(chromium.new_context(), demo_server, token)
    assert uma.get_by_role("heading", name="My Premium Page").is_visible()
    uma.get_by_role("link", name="Settings").click()
    assert uma.get_by_label("Open profile").is_checked()
    admin.context.close()
    uma.context.close()


def test_notifications_are_counted_linked_and_read(demo_server, chromium):
    maya = sign_in(chromium.new_context(), demo_server, demo_server.tokens["maya.chen"])
    maya.goto(demo_server.url + "/compose?to=omar.haddad")
    maya.get_by_label("Message").fill("Omar, may I ask about your talk?")
    maya.get_by_role("button", name="Check the cost").click()
    maya.get_by_role("button", name="Send for 1 credit").click()
    omar = sign_in(chromium.new_context(), demo_server, demo_server.tokens["omar.haddad"])
    link = omar.get_by_role("link", name=re.compile(r"^Notifications \d+ unread$"))
    count = int(omar.locator("#unread-count").inner_text().split()[0])
    assert count >= 1
    link.click()
    newest = omar.locator(".note-unread", has_text="New InMail from Maya Chen.").first
    assert newest.get_by_text("New", exact=True).is_visible()
    assert omar.locator("#unread-count").count() == 0
    newest.get_by_role("link").click()
    assert omar.url.endswith("/conversations/maya.chen")
    assert omar.get_by_text("Omar, may I ask about your talk?").is_visible()
    omar.get_by_role("link", name="Notifications", exact=True).click()
    assert omar.locator(".note-unread").count() == 0
    maya.context.close()
    omar.context.close()


def test_screenshots_of_admin_compose_conversation_and_settings(
    demo_server, chromium, screenshot_dir
):
    """The README's pictures: the admin page on a desktop; compose with a
    directory search, a conversation and settings on a phone."""
    shots = [
        (demo_server.admin_token, "/admin", "admin-desktop", 1280),
        (demo_server.tokens["maya.chen"], "/compose?q=o", "compose-phone", 390),
        (demo_server.tokens["maya.chen"], "/conversations/lena.park", "conversation-phone", 390),
        (demo_server.tokens["omar.haddad"], "/settings", "settings-phone", 390),
    ]
    for token, path, shot, width in shots:
        context = chromium.new_context(viewport={"width": width, "height": 860})
        page = sign_in(context, demo_server, token)
        page.goto(demo_server.url + path)
        assert fits(page), path
        target = screenshot_dir / f"{shot}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
        context.close()


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_admin_adds_a_webhook_and_retries_a_failed_delivery(
    demo_server, chromium, screenshot_dir, width
):
    from dataclasses import replace

    from inmail.service import delivery, webhooks

    ctx = demo_server.ctx
    ctx.webhooks = replace(ctx.webhooks, allow_private=True)
    context = chromium.new_context(viewport={"width": width, "height": 860})
    admin = sign_in(context, demo_server, demo_server.admin_token)
    section = admin.get_by_role("region", name="Webhooks")
    # Nothing listens on port 9: the delivery fails and waits for its retry.
    url = "http://127.0.0.1:9/a/rather/long/path/for/the/operators/inmail-events?source=inmail"
    section.get_by_label("URL").fill(url)
    section.get_by_label("Description").fill("Billing mirror")
    section.get_by_role("button", name="Add endpoint").click()
    secret = admin.locator("#new-endpoint code").inner_text()
    assert secret.startswith("whsec_")
    (endpoint,) = webhooks.list_endpoints(ctx)
    webhooks.ping(ctx, endpoint.id)
    with delivery.new_client() as client:
        delivery.deliver_due(ctx, client)
    admin.goto(demo_server.url + "/admin#webhooks")
    assert secret not in admin.content()
    (shown,) = webhooks.recent_deliveries(ctx)
    row = admin.locator(f"#delivery-{shown.id}")
    assert "pending" in row.inner_text() and "ConnectError" in row.inner_text()
    if width == 1280:  # docs/webhooks.md shows it
        admin.locator("#webhooks").screenshot(path=str(screenshot_dir / "webhooks-1280.png"))
    assert fits(admin)
    row.get_by_role("button", name=f"Retry now delivery {shown.id}").click()
    assert f"Delivery {shown.id} will be tried again now." in admin.locator(
        ".notice-success"
    ).inner_text()


def test_the_forecast_takes_other_assumptions_without_javascript(demo_server, chromium):
    context = chromium.new_context(java_script_enabled=False)
    page = sign_in(context, demo_server, demo_server.tokens["maya.chen"])
    page.goto(demo_server.url + "/credits")
    forecast = page.locator("#forecast")
    assert forecast.locator("svg.forecast-svg").is_visible()
    assert forecast.locator(".forecast-band").count() == 1
    assert "(from your last 90 days)" in page.locator("#forecast-assumptions").inner_text()
    page.get_by_label("Months ahead", exact=True).select_option("3")
    page.get_by_label("InMails a week").fill("0")
    page.get_by_label("% answered").fill("0")
    page.get_by_label("Days to an answer").fill("3")
    page.get_by_role("button", name="Try these").click()
    page.wait_for_url(re.compile(r"sends_per_week=0"))
    assert page.locator("#forecast-assumptions").inner_text() == (
        "Assuming 0 InMails a week, 0% answered, after 3 days."
    )
    assert page.locator("#forecast-table tbody tr").count() == 3
    assert (
        "lose about 19 credits a month at the cap" in page.locator("#forecast-advice").inner_text()
    )
    context.close()
