"""The pages over HTTP without a browser (fast, on every backend): sign-in,
sessions, CSRF, security headers, compose quotes and refusals, admin actions."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from inmail.service import messages, subscriptions
from inmail.service.tokens import issue_token
from tests.web.conftest import ADMIN_TOKEN, make_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browserless:
    """A TestClient that signs in and posts forms the way the pages do."""

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        self.ctx = ctx
        self.http = TestClient(make_app(ctx))

    def csrf(self, path: str = "/login") -> str:
        return CSRF.search(self.http.get(path).text).group(1)

    def sign_in(self, token: str):  # type: ignore[no-untyped-def]
        return self.http.post(
            "/login",
            data={"token": token, "csrf_token": self.csrf(), "next": "/"},
            follow_redirects=False,
        )

    def as_member(self, member_id: str) -> Browserless:
        assert self.sign_in(issue_token(self.ctx, member_id)).status_code == 303
        return self

    def post(self, path: str, data: dict[str, str], *, csrf: bool = True, **kw):  # type: ignore[no-untyped-def]
        form = {**data, "csrf_token": self.csrf("/credits" if "/admin" not in path else "/admin")}
        if not csrf:
            form.pop("csrf_token")
        return self.http.post(path, data=form, **kw)


@pytest.fixture
def web(demo_ctx):  # type: ignore[no-untyped-def]
    return Browserless(demo_ctx)


def balance(ctx, member="maya.chen") -> int:  # type: ignore[no-untyped-def]
    return subscriptions.get_credits(ctx, member).balance


def test_pages_send_security_headers_and_no_inline_script(web):
    page = web.http.get("/login")
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text and "style=" not in page.text
    css = web.http.get("/static/style.css")
    assert css.status_code == 200 and css.headers["x-content-type-options"] == "nosniff"


def test_sign_in_sets_a_signed_httponly_lax_cookie(web):
    answer = web.as_member("maya.chen").http.get("/credits")
    assert answer.status_code == 200 and "My Premium Page" in answer.text
    cookie = web.sign_in(issue_token(web.ctx, "maya.chen")).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    signed = web.http.cookies["inmail_session"]
    web.http.cookies.clear()
    web.http.cookies.set("inmail_session", "forged" + signed[6:])
    assert web.http.get("/credits", follow_redirects=False).headers["location"] == (
        "/login?next=/credits"
    )


def test_a_wrong_token_is_refused_and_next_never_leaves_the_site(web):
    wrong = web.sign_in("im_not-a-token")
    assert wrong.status_code == 401 and "That token is not valid" in wrong.text
    answer = web.http.post(
        "/login",
        data={"token": ADMIN_TOKEN, "csrf_token": web.csrf(), "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/admin"


def test_a_post_without_the_csrf_token_changes_nothing(web):
    web.sign_in(ADMIN_TOKEN)
    adjust = {"amount": "5", "reason": "goodwill"}
    missing = web.post("/admin/members/maya.chen/adjust", adjust, csrf=False)
    assert missing.status_code == 403 and "This form has expired" in missing.text
    wrong = web.http.post(
        "/admin/members/maya.chen/adjust", data={**adjust, "csrf_token": "x" * 43}
    )
    assert wrong.status_code == 403
    assert balance(web.ctx) == 58
    assert web.post("/admin/members/maya.chen/adjust", adjust).status_code == 200
    assert balance(web.ctx) == 63


def test_pages_need_the_right_person(web):
    assert web.http.get("/credits", follow_redirects=False).headers["location"] == (
        "/login?next=/credits"
    )
    web.as_member("lena.park")
    assert web.http.get("/admin").status_code == 403
    own = messages.sent(web.ctx, "maya.chen").items[0]
    web.as_member("maya.chen")
    answer = web.post(f"/messages/{own.id}/reply", {"quick_reply": "interested"})
    assert answer.status_code == 403
    assert web.http.get("/conversations/nobody").status_code == 404
    web.sign_in(ADMIN_TOKEN)
    assert "Lena Park’s Premium Page" in web.http.get("/credits?member=lena.park").text


@pytest.mark.parametrize(
    ("sender", "to", "status", "says"),
    [
        ("maya.chen", "tom.becker", 200, "Free: Tom Becker is a 1st-degree connection."),
        ("jonas.weber", "priya.raman", 200, "Free InMail: Priya Raman has an open profile."),
        ("maya.chen", "lena.park", 200, "Free: Lena Park has written to you before"),
        ("maya.chen", "omar.haddad", 200, "This is an InMail: it costs 1 credit (you have 58)."),
        ("maya.chen", "nobody", 404, "No member &#39;nobody&#39;."),
    ],
)
def test_compose_says_what_a_message_costs_and_why(web, sender, to, status, says):
    web.as_member(sender)
    typed = {"to": to, "subject": "Hi", "body": "Kept as typed <b>really</b>"}
    answer = web.post("/compose/preview", typed)
    assert answer.status_code == status
    assert says in answer.text
    assert "Kept as typed &lt;b&gt;really&lt;/b&gt;</textarea>" in answer.text
    assert balance(web.ctx) == 58


def test_compose_refusals_keep_what_was_typed(web):
    web.as_member("lena.park")  # no subscription
    typed = {"to": "omar.haddad", "body": "Still here", "quoted_to": "omar.haddad"}
    preview = web.post("/compose/preview", typed)
    assert "needs a Premium subscription" in preview.text and 'id="send"' not in preview.text
    # Only why it cannot go and what to do: no price for a message that will not leave.
    assert "cannot be sent" in preview.text
    assert "costs 1 credit" not in preview.text and "comes back" not in preview.text
    refused = web.post("/compose/send", {**typed, "quoted_charge": "inmail"})
    assert refused.status_code == 403 and "Still here</textarea>" in refused.text
    web.as_member("maya.chen")
    opted_out = web.post("/compose/preview", {"to": "tom.becker", "body": "x"})
    assert "cannot be sent" not in opted_out.text  # a connection: free despite the opt-out


def test_above_the_cap_the_premium_page_says_what_the_renewal_trims(web):
    subscriptions.adjust_credits(web.ctx, "maya.chen", 4, "goodwill")
    page = web.as_member("maya.chen").http.get("/credits").text
    assert re.search(r"62 of 60: 2 will be trimmed on \d+ \w+, and no credits are added\.", page)
    assert "Adds 0" not in page
    assert "count as not answered yet" in page


def test_send_needs_the_price_the_member_saw(web):
    web.as_member("maya.chen")
    unquoted = web.post("/compose/send", {"to": "omar.haddad", "body": "hello"})
    assert "Check the cost before sending" in unquoted.text
    assert balance(web.ctx) == 58
    quoted = {"quoted_to": "omar.haddad", "quoted_charge": "inmail"}
    sent = web.post("/compose/send", {"to": "omar.haddad", "body": "hello", **quoted})
    assert "Sent to Omar Haddad: 1 credit was used." in sent.text
    assert balance(web.ctx) == 57


def test_reply_quick_reply_and_delete(web):
    inmail = messages.inbox(web.ctx, "omar.haddad").items[0]
    web.as_member("omar.haddad")
    inbox = web.http.get("/inbox").text
    assert "Reminder: Maya Chen&#39;s InMail is waiting for your answer." in inbox
    page = web.http.get("/conversations/maya.chen").text
    for label in ("Interested", "Maybe later", "Not interested"):
        assert f">{label}</button>" in page
    answered = web.post(f"/messages/{inmail.id}/reply", {"quick_reply": "not_interested"})
    # Back on the conversation, the answer is its newest message.
    assert answered.url.path == "/conversations/maya.chen"
    assert "You answered Maya Chen: Not interested." in answered.text
    assert answered.text.rindex('class="message') > answered.text.index(
        "Not interested, thank you."
    )
    # Maya's later InMail to Omar comes back; her first one expired long ago.
    assert balance(web.ctx) == 59
    empty = web.post(f"/messages/{inmail.id}/reply", {"body": "  "})
    assert "Your reply was not sent: Body must be 1 to 2000 characters." in empty.text
    gone = web.post(f"/messages/{inmail.id}/delete", {"back": "/sent"})
    assert gone.url.path == "/sent"
    assert f'id="message-{inmail.id}"' not in web.http.get("/conversations/maya.chen").text
    # A delete returns to the page of the conversation it came from, never off the site.
    older = messages.inbox(web.ctx, "omar.haddad").items[-1]
    back = "/conversations/maya.chen?cursor=YmVmb3JlfDk5"
    kept = web.post(f"/messages/{older.id}/delete", {"back": back}, follow_redirects=False)
    assert kept.headers["location"] == back
    for elsewhere in ("//evil.example/x", "/conversations//evil.example", "https://evil.example"):
        away = web.post(f"/messages/{older.id}/delete", {"back": elsewhere}, follow_redirects=False)
        assert away.headers["location"] == "/inbox"


def conversation_rows(page: str) -> list[tuple[str, bool]]:
    """(other member, unread) for each row of the inbox, in order."""
    return [
        (other, "conversation-unread" in classes)
        for classes, other in re.findall(
            r'<li class="(conversation-row[^"]*)" id="conversation-([^"]+)">', page
        )
    ]


def test_the_inbox_has_one_row_per_conversation_unread_until_opened(web):
    web.as_member("kenji.sato")
    inbox = web.http.get("/inbox").text
    # Jonas wrote first and Kenji answered; Maya's InMail came later, unread.
    assert conversation_rows(inbox) == [("maya.chen", True), ("jonas.weber", False)]
    maya_row = inbox[inbox.index('id="conversation-maya.chen"') :]
    assert '<a class="conversation-link" href="/conversations/maya.chen">' in maya_row
    assert "Hi Kenji, we&#39;re looking for a design lead." in maya_row.split("</li>")[0]
    assert "Unread" in maya_row.split("</li>")[0]
    jonas_row = inbox[inbox.index('id="conversation-jonas.weber"') :].split("</li>")[0]
    assert "You:</span> Maybe later. Thanks for reaching out." in jonas_row

    web.http.get("/conversations/maya.chen")
    assert conversation_rows(web.http.get("/inbox").text) == [
        ("maya.chen", False),
        ("jonas.weber", False),
    ]
    # A newer message brings the mark back, and moves its conversation up.
    messages.send_message(web.ctx, "jonas.weber", "kenji.sato", "Any news on the design work?")
    assert conversation_rows(web.http.get("/inbox").text) == [
        ("jonas.weber", True),
        ("maya.chen", False),
    ]


def test_a_long_conversation_pages_back_to_its_first_message(web):
    for n in range(1, 31):
        sender, recipient = ("maya.chen", "jonas.weber") if n % 2 else ("jonas.weber", "maya.chen")
        messages.send_message(web.ctx, sender, recipient, f"Note {n}")
    web.as_member("maya.chen")
    path, pages = "/conversations/jonas.weber", []
    while path:
        page = web.http.get(path).text
        pages.append(re.findall(r'<p class="message-body">([^<]*)</p>', page))
        earlier = re.search(r'<a href="([^"]+)" rel="prev">Earlier messages</a>', page)
        path = earlier.group(1) if earlier else None
    # Maya and Jonas had not written before: the page one lands on holds the
    # newest 20, oldest first, and "Earlier messages" reaches the first one.
    notes = [f"Note {n}" for n in range(1, 31)]
    assert pages == [notes[10:], notes[:10]]


def test_admin_plans_cancels_adjusts_and_moves_the_clock(web):
    web.sign_in(ADMIN_TOKEN)
    page = web.post("/admin/members/lena.park/plan", {"plan": "teams"})
    assert "lena.park is on the teams plan." in page.text
    assert balance(web.ctx, "lena.park") == 30
    refused = web.post("/admin/members/maya.chen/adjust", {"amount": "-100", "reason": "oops"})
    assert "would take the balance (58) below 0" in refused.text
    bad = web.post("/admin/members/maya.chen/adjust", {"amount": "lots", "reason": "x"})
    assert "The amount must be a whole number" in bad.text
    web.post("/admin/members/maya.chen/cancel", {})
    assert subscriptions.get_subscription(web.ctx, "maya.chen").status == "cancelling"
    warning = web.http.get("/credits?member=maya.chen").text
    assert "your 58 credits will be lost then unless you use them." in warning
    back = web.post("/admin/clock/set", {"to": "2020-01-01T00:00"})
    assert "Time never goes back." in back.text
    moved = web.post("/admin/clock/advance", {"amount": "2", "unit": "days"})
    assert "17 Jan 2026, 09:30 UTC" in moved.text
    # Maya's cancel took effect at her renewal: everything was forfeited.
    assert balance(web.ctx) == 0
    token_page = web.post("/admin/members/kenji.sato/token", {})
    assert re.search(r'<code class="token">im_[\w-]+</code>', token_page.text)


def test_the_api_app_serves_the_pages_beside_the_api(demo_ctx):
    """With the JSON API's app factory (when present), the pages and the API
    share one app: the pages keep their headers, the API keeps its answers."""
    api = pytest.importorskip("inmail.api.app")
    from inmail.config import Settings

    app = api.create_app(demo_ctx, Settings(admin_token=ADMIN_TOKEN, clock="manual"))
    http = TestClient(app)
    login = http.get("/login")
    assert (
        login.status_code == 200 and "frame-ancestors" in login.headers["content-security-policy"]
    )
    health = http.get("/healthz")
    assert health.status_code == 200 and "content-security-policy" not in health.headers
    missing = http.get("/credits?member=x", follow_redirects=False)
    assert missing.status_code == 303


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("path", ["/nowhere", "/credits/extra/bits", "/docs/missing"])
def test_an_unknown_page_is_an_html_404_page(demo_ctx, path):
    from inmail.api.app import create_app
    from inmail.config import Settings

    http = TestClient(create_app(demo_ctx, Settings(admin_token=ADMIN_TOKEN, clock="manual")))
    page = http.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text and "<html" in page.text.lower()
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_unknown_api_paths_and_non_browsers_keep_problem_json(demo_ctx):
    from inmail.api.app import create_app
    from inmail.config import Settings

    http = TestClient(create_app(demo_ctx, Settings(admin_token=ADMIN_TOKEN, clock="manual")))
    for path, accept in [
        ("/v1/nowhere", BROWSER_ACCEPT),  # the API's paths, even from a browser
        ("/v1", BROWSER_ACCEPT),
        ("/nowhere", "application/json"),  # a client that does not ask for HTML
        ("/nowhere", "*/*"),
    ]:
        response = http.get(path, headers={"Accept": accept})
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json"), path
        assert response.json()["type"] == "not-found"


def test_a_member_sets_opt_out_and_open_profile(web):
    from inmail.service.members import get_member

    web.as_member("omar.haddad")
    page = web.http.get("/settings").text
    assert 'id="inmail_opt_out"' in page and "checked" not in page
    saved = web.post("/settings", {"inmail_opt_out": "on", "open_profile": "on"})
    assert "Your settings are saved." in saved.text
    me = get_member(web.ctx, "omar.haddad")
    assert me.inmail_opt_out and me.open_profile
    # Unticking sends nothing for that box: it is turned off.
    web.post("/settings", {"open_profile": "on"})
    me = get_member(web.ctx, "omar.haddad")
    assert not me.inmail_opt_out and me.open_profile
    assert web.post("/settings", {"open_profile": "on"}, csrf=False).status_code == 403


def test_compose_finds_a_recipient_by_name(web):
    web.as_member("maya.chen")
    found = web.http.get("/compose", params={"q": "sat"}).text
    assert '<a href="/compose?to=kenji.sato">Kenji Sato</a>' in found
    assert "Omar" not in found
    picked = web.http.get("/compose?to=kenji.sato").text
    assert 'name="to" value="kenji.sato"' in picked
    assert "starts with “zz”" in web.http.get("/compose", params={"q": "zz"}).text
    # The member herself is not offered as a recipient.
    assert "/compose?to=maya.chen" not in web.http.get("/compose", params={"q": "maya"}).text


def test_admin_adds_connects_and_sets_members_in_natural_order(web):
    from inmail.service.members import get_member, list_connections

    web.sign_in(ADMIN_TOKEN)
    for member_id in ("user10", "user2"):
        added = web.post("/admin/members", {"id": member_id, "name": f"User {member_id[4:]}"})
        assert f"{member_id} was added." in added.text
    opted = web.post("/admin/members", {"id": "user1", "name": "One", "inmail_opt_out": "on"})
    assert get_member(web.ctx, "user1").inmail_opt_out
    assert 'id="member-user1"' in opted.text
    taken = web.post("/admin/members", {"id": "user2", "name": "Again"})
    assert "is taken" in taken.text
    bad = web.post("/admin/members", {"id": "Not Valid", "name": "x"})
    assert "Id must match" in bad.text
    page = web.http.get("/admin").text
    assert page.index('id="member-user1"') < page.index('id="member-user2"')
    assert page.index('id="member-user2"') < page.index('id="member-user10"')
    connected = web.post("/admin/connections", {"a": "user2", "b": "user10"})
    assert "user2 and user10 are 1st-degree connections" in connected.text
    assert list_connections(web.ctx, "user10") == ["user2"]
    web.post("/admin/members/user2/settings", {"open_profile": "on"})
    user2 = get_member(web.ctx, "user2")
    assert user2.open_profile and not user2.inmail_opt_out


def test_the_roster_pages_in_natural_order(demo_ctx):
    from inmail.service import members, overview

    for member_id in ("m10", "m9", "m1", "m100", "m01"):
        members.create_member(demo_ctx, member_id, member_id)
    seen, cursor = [], None
    while True:
        page = overview.list_members(demo_ctx, limit=3, cursor=cursor)
        seen += [m.id for m in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    ours = [i for i in seen if i.startswith("m") and i[1:].isdigit()]
    assert ours == ["m01", "m1", "m9", "m10", "m100"]
    assert len(seen) == len(set(seen))


def test_notifications_one_per_response_linked_unread_and_counted(web):
    from inmail.domain.messages import QuickReply

    # Kenji already has one of Maya's InMails; she sends a second one, he
    # answers it: both credits come back.
    maya_inmail = messages.send_message(web.ctx, "maya.chen", "kenji.sato", "One more?", None)
    web.as_member("maya.chen")
    before = web.http.get("/credits").text
    shown = re.search(r'id="unread-count">(\d+)<', before)
    unread_before = int(shown.group(1)) if shown else 0
    messages.reply(web.ctx, maya_inmail.id, quick_reply=QuickReply.INTERESTED)
    page = web.http.get("/credits").text
    assert re.search(rf'id="unread-count">{unread_before + 1}<', page)
    notes = web.http.get("/notifications").text
    line = "Kenji Sato responded to your InMail. 2 credits came back."
    assert notes.count(line) == 1
    assert f'<a href="/conversations/kenji.sato">{line}</a>' in notes
    assert "A credit came back" not in notes  # folded into the response
    assert re.search(
        r'class="note note-response_received note-unread">\s*<span class="note-kind">'
        r'<span class="tag tag-new">New</span>',
        notes,
    )
    # Opening the page read them: the count is gone, nothing is new any more.
    again = web.http.get("/notifications").text
    assert 'id="unread-count"' not in again and "tag-new" not in again
    # The API's list keeps every notification, the per-InMail refunds too.
    kinds = [n.kind for n in messages.list_notifications(web.ctx, "maya.chen").items]
    assert kinds.count("credit_refunded") >= 2


def test_history_names_the_other_member_and_shows_expiries_once(web):
    web.as_member("maya.chen")
    pages, path = [], "/credits"
    while path:
        page = web.http.get(path).text
        pages.append(page)
        older = re.search(r'<a href="(/credits\?cursor=[^"]+)">Older entries</a>', page)
        path = older.group(1) if older else None
    history = "".join(p[p.index('id="ledger"') :] for p in pages)
    assert "InMail #" not in history
    assert 'InMail sent to <a href="/conversations/kenji.sato">Kenji Sato</a>' in history
    # Her first InMail to Omar went unanswered: one row says so, on one page only.
    expired = re.findall(
        r'InMail to <a href="/conversations/omar.haddad">Omar Haddad</a> expired '
        r'<span class="muted">· no answer by \d+ \w+( \d{4})?: the credit is not coming back',
        history,
    )
    assert len(expired) == 1


def test_admin_adds_a_webhook_sees_its_deliveries_and_retries_one(web):
    from dataclasses import replace

    from inmail.service import delivery, webhooks
    from tests.webhook_receiver import Receiver

    web.ctx.webhooks = replace(web.ctx.webhooks, allow_private=True)
    receiver = Receiver(answers=[500]).start()
    try:
        web.sign_in(ADMIN_TOKEN)
        refused = web.post("/admin/webhooks", {"url": "ftp://example.com/"})
        assert "Url must start with http:// or https://" in refused.text
        page = web.post("/admin/webhooks", {"url": receiver.url, "description": "billing"})
        secret = re.search(r'<code class="token">(whsec_[\w+/=]+)</code>', page.text).group(1)
        receiver.secret = secret
        assert secret not in web.http.get("/admin").text  # shown once
        (endpoint,) = webhooks.list_endpoints(web.ctx)
        webhooks.ping(web.ctx, endpoint.id)
        with delivery.new_client() as client:
            delivery.deliver_due(web.ctx, client)
        listed = web.http.get("/admin").text
        (shown,) = webhooks.recent_deliveries(web.ctx)
        assert f'id="delivery-{shown.id}"' in listed and "HTTP 500" in listed
        retried = web.post(f"/admin/webhooks/{endpoint.id}/deliveries/{shown.id}/retry", {})
        assert f"Delivery {shown.id} will be tried again now." in retried.text
        with delivery.new_client() as client:
            delivery.deliver_due(web.ctx, client)
        assert webhooks.get_delivery(web.ctx, endpoint.id, shown.id).status == "delivered"
        assert len(receiver.received) == 2 and receiver.bad_signatures == 0
        removed = web.post(f"/admin/webhooks/{endpoint.id}/delete", {})
        assert "The endpoint was removed" in removed.text
        assert webhooks.list_endpoints(web.ctx) == []
    finally:
        receiver.stop()


def forecast_rows(page: str) -> list[tuple[str, ...]]:
    table = page[page.index('id="forecast-table"') :]
    table = table[: table.index("</table>")]
    return [
        tuple(re.findall(r"<td[^>]*>([^<]*)</td>", row))
        for row in re.findall(r"<tr>(.*?)</tr>", table)
        if "<td" in row
    ]


def test_the_premium_page_forecasts_the_months_ahead_with_other_assumptions(web):
    maya = web.as_member("maya.chen")
    page = maya.http.get(
        "/credits?months=3&sends_per_week=0&answered=0&response_days=3#forecast"
    ).text
    # Maya holds 58 of Pro's 60, renewing on the 17th: sending nothing, each
    # renewal fills up to 60 and loses the rest (18, then 20 and 20).
    assert forecast_rows(page) == [
        ("17 Jan 2026", "58", "18", "60", "60–60"),
        ("17 Feb 2026", "60", "20", "60", "60–60"),
        ("17 Mar 2026", "60", "20", "60", "60–60"),
    ]
    assert (
        "At your pace you lose about 19 credits a month at the cap: "
        "send 18 more before 17 January." in page
    )
    assert "Assuming 0 InMails a week, 0% answered, after 3 days." in page
    assert '<option value="3" selected>' in page
    # Without assumptions, the page uses Maya's own last 90 days and says so.
    own = maya.http.get("/credits").text
    assert "(from your last 90 days)" in own
    assert len(forecast_rows(own)) == 6


@pytest.mark.parametrize(
    "query", ["months=25", "sends_per_week=lots", "answered=120", "response_days=0"]
)
def test_forecast_assumptions_out_of_range_say_so_and_fall_back(web, query):
    page = web.as_member("maya.chen").http.get(f"/credits?{query}")
    assert page.status_code == 200
    assert "Those assumptions could not be used" in page.text
    assert "(from your last 90 days)" in page.text
