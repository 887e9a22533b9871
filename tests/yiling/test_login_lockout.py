"""The login lockout (django-axes): five wrong passwords lock that username at that address out, and
nobody else."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.organizations.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

HOME = "10.1.1.1"
ELSEWHERE = "10.2.2.2"
WRONG_FORM = "用户名或密码不正确，请重新输入。"


def log_in(username: str, password: str, address: str, url: str | None = None) -> tuple[int, bool]:
    """Post the real login form from ``address``: the status and whether a session was opened."""
    client = Client(REMOTE_ADDR=address)
    response = client.post(url or reverse("login"), {"username": username, "password": password})
    return response.status_code, "_auth_user_id" in client.session


@pytest.fixture
def locked_out():
    """``zhang`` has got the password wrong five times from HOME (the fifth locks him out)."""
    UserFactory(username="zhang")
    for _ in range(5):
        log_in("zhang", "wrong-password", HOME)
    return "zhang"


def test_wrong_passwords_before_the_limit_get_the_form_again():
    UserFactory(username="zhang")
    client = Client(REMOTE_ADDR=HOME)
    for _ in range(4):
        response = client.post(reverse("login"), {"username": "zhang", "password": "wrong-password"})
        assert response.status_code == 200
        assert WRONG_FORM in response.content.decode()
    assert log_in("zhang", PASSWORD, HOME) == (302, True)


def test_sixth_attempt_is_refused_even_with_the_right_password():
    UserFactory(username="zhang")
    answers = [log_in("zhang", "wrong-password", HOME) for _ in range(5)]
    assert answers == [(200, False)] * 4 + [(429, False)]

    client = Client(REMOTE_ADDR=HOME)
    response = client.post(reverse("login"), {"username": "zhang", "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # The admin's login form is the same door.
    assert log_in("zhang", PASSWORD, HOME, url=reverse("admin:login")) == (429, False)


def test_lockout_holds_only_that_username_at_that_address(locked_out):
    UserFactory(username="li")

    assert log_in(locked_out, PASSWORD, ELSEWHERE) == (302, True)
    assert log_in("li", PASSWORD, HOME) == (302, True)
    # Others logging in does not lift it.
    assert log_in(locked_out, PASSWORD, HOME) == (429, False)
