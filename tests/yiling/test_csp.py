"""The Content-Security-Policy on every page, and templates that need nothing inline to work under it
(the browser check is tests/browser/test_csp.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.organizations.factories import UserFactory, district_tree

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/", "/", "/admin/"])
def test_every_page_carries_a_strict_policy(client, url):
    if "login" not in url:
        client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get(url)

    policy = directives(response)
    assert response.status_code == 200
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    # Attributes only by the hash of the libraries' few fixed values: never every attribute.
    for name in ("script-src-attr", "style-src-attr"):
        assert all(v == "'unsafe-hashes'" or v.startswith("'sha256-") for v in policy[name])


def test_the_projects_templates_hold_nothing_inline():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)

    found = {
        str(path.relative_to(TEMPLATES)): inline.findall(path.read_text(encoding="utf-8"))
        for path in TEMPLATES.rglob("*.html")
    }

    assert len(found) > 10
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_the_admin_tree_indents_by_class(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    district_tree()

    content = client.get(reverse("admin:organizations_organization_changelist")).content.decode()

    assert '<span class="tree-depth-3">甲社区党委</span>' in content and "padding-left" not in content
    assert "css/admin-tree.css" in content
