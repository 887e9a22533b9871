"""The account holder's own pages: changing the password (forced at first login), resetting it by
email, and the page shown after too many failed logins.

The writes go through ``organizations.services`` (the account services live beside the roles).
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.services import account_password_changed


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length, with its refusal in the portal's catalogue.

    Django 5.2 words the refusal with ``%d`` where its Chinese catalogue still has the older
    ``%(min_length)d`` entry, so a too-short password was refused in English.
    """

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form; saving it also lifts the first-login change (through the account service)."""

    def save(self, commit: bool = True) -> Any:
        self.user.set_password(self.cleaned_data["new_password1"])
        if commit:
            account_password_changed(user=self.user)
        return self.user


class SetPasswordForm(auth_forms.SetPasswordForm):
    """The password chosen through an emailed reset link; it, too, lifts the first-login change."""

    def save(self, commit: bool = True) -> Any:
        self.user.set_password(self.cleaned_data["new_password1"])
        if commit:
            account_password_changed(user=self.user)
        return self.user


class PasswordChangeView(auth_views.PasswordChangeView):
    """The portal's password change. After the change forced at first login the account goes on to its
    own page; a change asked for goes to the "changed" page."""

    form_class = PasswordChangeForm

    def form_valid(self, form: Any) -> HttpResponse:
        forced = self.request.user.must_change_password
        response = super().form_valid(form)
        if forced:
            messages.success(self.request, _("Your password has been changed. Welcome!"))
            return HttpResponseRedirect(resolve_url(settings.LOGIN_REDIRECT_URL))
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "forced": self.request.user.must_change_password}


class PasswordResetView(auth_views.PasswordResetView):
    """The emailed reset link; the page names whom to call for an account without an email address."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "contact": support_contact()}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm


class PasswordChangeRequiredMiddleware:
    """An account that must change its password (new, or reset by staff) reaches nothing but the
    password-change page, logging out, switching the language and static files until it has."""

    #: URL names the account may still open.
    allowed_names = ("password_change", "logout", "set_language", "healthz")

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            allowed = [reverse(name) for name in self.allowed_names]
            static = "/" + settings.STATIC_URL.lstrip("/")
            if request.path not in allowed and not request.path.startswith(static):
                return HttpResponseRedirect(reverse("password_change"))
        return self.get_response(request)


def _wait_text(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def support_contact() -> str:
    """Whom a locked-out or stuck user calls: ``settings.SUPPORT_CONTACT``, else the district's
    organization department."""
    return str(getattr(settings, "SUPPORT_CONTACT", "") or _("the organization department of the district committee"))


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' answer to a locked-out login (``AXES_LOCKOUT_CALLABLE``): a portal page saying how
    long to wait and whom to call, with status 429 as before."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0
    context = {"wait": _wait_text(minutes) if minutes else "", "contact": support_contact()}
    return render(request, "registration/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
