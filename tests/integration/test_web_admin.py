"""The admin pages over real HTTP: login from the [web] admins file, the
session cookie's attributes, CSRF refusals, lock-out after failed logins,
suspending a customer (seen by `holdfast customers show`), a violation in
the list, logout."""
import json
import re

import pytest

from web_fixture import (ADMIN_PASSWORD, ADMIN_USER, Web, add_customer_with_violation, admin_config,
                         cookies_of, form, login, start_dns, start_holdfast)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("webadmin")
    dns = start_dns(d / "dns")
    h = start_holdfast(d, dns, admin_config(d))
    add_customer_with_violation(h)
    yield h
    h.stop()
    dns.stop()


def test_login_suspend_violation_logout(env):
    web = Web(env.web_port)
    assert web.get("/admin").status == 303  # to the login page
    r = login(web)
    assert r.status == 303 and r.getheader("Location") == "/admin"
    set_cookie = r.getheader("Set-Cookie")
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/admin" in set_cookie
    session = f"hf_admin={cookies_of(r)['hf_admin'].value}"
    page = web.get("/admin", headers={"Cookie": session}).data.decode()
    assert 'data-customer="acme"' in page and "192.0.2.25:25" in page
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    # A form without its token, or with a wrong one, is refused.
    assert form(web, "/admin/customers/acme/suspend", {}, session).status == 403
    assert form(web, "/admin/customers/acme/suspend", {"csrf": "0" * 64}, session).status == 403
    shown = json.loads(env.cli("customers", "show", "acme", "--json").stdout)
    assert shown["status"] == "active"
    r = form(web, "/admin/customers/acme/suspend", {"csrf": csrf}, session)
    assert r.status == 303, r.data
    shown = json.loads(env.cli("customers", "show", "acme", "--json").stdout)
    assert shown["status"] == "suspended"
    assert "Unsuspend" in web.get("/admin", headers={"Cookie": session}).data.decode()
    assert form(web, "/admin/customers/acme/unsuspend", {"csrf": csrf}, session).status == 303
    assert form(web, "/admin/logout", {"csrf": csrf}, session).status == 303
    assert web.get("/admin", headers={"Cookie": session}).status == 303  # the session is gone


def test_login_without_token_and_lockout(env):
    web = Web(env.web_port, source="127.0.0.50")
    assert form(web, "/admin/login", {"user": ADMIN_USER, "password": ADMIN_PASSWORD}).status == 403
    for _ in range(5):
        assert login(web, password="wrong").status == 403
    r = login(web)  # right password, but locked out now
    assert r.status == 429 and "Too many failed logins" in r.data.decode()
    assert "login-failed" in env.log_text() and "locked-out" in env.log_text()
