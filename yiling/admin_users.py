"""The accounts admin: district staff (and street staff within their street) create an account with a
role, reset its password, deactivate it, and import accounts from a list.

Every write goes through ``organizations.services`` (the account services, held to the grant rule);
the list shows only the accounts the user may manage (``organizations.selectors.managed_accounts``).
Superusers keep Django's full user form (groups, permissions, staff status); everyone else edits a
person's name and mobile number only. A new or reset password is shown once, on a page of its own
(never in a message, which the session or a cookie would keep), and must be changed at first login.
"""

from __future__ import annotations

import tempfile
from functools import reduce
from operator import or_
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from organizations import services
from organizations.accounts_import import ACCOUNT_COLUMNS, import_accounts
from organizations.models import ORGANIZATION_ROLES, Organization, Role, Unit, UnitType
from organizations.selectors import granting_paths, managed_accounts
from organizations.services.tree import STREET_GRANTABLE_ROLES

from .admin import PersonalDataGuardMixin, SpreadsheetAdminMixin, sees_personal_data
from .admin_forms import SpreadsheetUploadForm, add_service_errors, rolled_back
from .models import User
from .privacy import mask_phone
from .spreadsheets import write_table

ONE_TIME_TEMPLATE = "admin/yiling/user/one_time_passwords.html"


class AccountCreateForm(forms.ModelForm):
    """A person's account with its first role. Checked by running the service in a savepoint that is
    rolled back (so the grant rule speaks next to the field it names), then created for real by the
    admin's ``save_model``."""

    role = forms.ChoiceField(label=_("role"))
    organization = forms.ModelChoiceField(
        label=_("organization"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("For staff and secretary roles."),
    )
    unit = forms.ModelChoiceField(
        label=_("agency or shop"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("For agency contacts and merchants."),
    )

    #: The acting user (set by the admin's ``get_form``).
    by: Any = None

    class Meta:
        model = User
        fields = ("full_name", "phone", "username")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["username"].required = False
        self.fields["username"].help_text = _("Leave empty for a generated login name.")
        paths = granting_paths(self.by)
        organizations = Organization.objects.select_related("unit").order_by("path")
        if paths is None:
            roles = list(Role)
            self.fields["unit"].queryset = Unit.objects.filter(unit_type__in=(UnitType.AGENCY, UnitType.SHOP)).order_by(
                "unit_type", "code"
            )
        else:
            roles = [Role(r) for r in STREET_GRANTABLE_ROLES]
            organizations = organizations.filter(reduce(or_, (Q(path__startswith=p) for p in paths), Q(pk__in=[])))
            del self.fields["unit"]
        self.fields["role"].choices = [("", "---------"), *((r.value, r.label) for r in roles)]
        self.fields["organization"].queryset = organizations

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        role = data.get("role")
        return {
            "full_name": data.get("full_name") or "",
            "phone": data.get("phone") or "",
            "username": data.get("username") or "",
            "role": role,
            "organization": data.get("organization") if role in ORGANIZATION_ROLES else None,
            "unit": data.get("unit") if role not in ORGANIZATION_ROLES else None,
        }

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        try:
            with rolled_back():
                services.account_create(by=self.by, **self.service_arguments())
        except ValidationError as exc:
            add_service_errors(self, exc)


class AccountChangeForm(forms.ModelForm):
    """What staff change of an account by hand: the person's name and mobile number."""

    class Meta:
        model = User
        fields = ("full_name", "phone")


class AccountUploadForm(SpreadsheetUploadForm):
    file_label = _("account list")


class UserAdmin(SpreadsheetAdminMixin, PersonalDataGuardMixin, BaseUserAdmin):
    list_display = ("username", "full_name", "masked_phone", "roles", "is_active", "must_change_password")
    list_filter = ("is_active", "must_change_password")
    search_fields = ("username", "full_name", "phone")
    ordering = ("username",)
    list_per_page = 100
    actions = ["reset_passwords", "deactivate_accounts", "activate_accounts"]
    add_form = AccountCreateForm
    add_fieldsets = ((None, {"fields": ("full_name", "phone", "username", "role", "organization", "unit")}),)
    superuser_fieldsets = (
        *BaseUserAdmin.fieldsets[:1],
        (_("Personal info"), {"fields": ("full_name", "phone", "email")}),
        (None, {"fields": ("must_change_password", "roles", "add_role")}),
        *BaseUserAdmin.fieldsets[2:],
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return managed_accounts(by=request.user)

    # --- what is shown -------------------------------------------------------------------------

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        return tuple("phone" if c == "masked_phone" and sees_personal_data(request) else c for c in shown)

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj: User) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        return (
            format_html_join(
                "; ",
                "{} · {}",
                ((a.get_role_display(), a.organization or a.unit) for a in obj.role_assignments.all()),
            )
            or "-"
        )

    # --- who may do what -----------------------------------------------------------------------

    @admin.display(description=_("another role"))
    def add_role(self, obj: User) -> str:
        if obj.pk is None or not obj.is_active:
            return "-"
        url = reverse("admin:organizations_roleassignment_add") + "?" + urlencode({"user": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("Give this account another role"))

    def _manages(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or managed_accounts(by=request.user).filter(pk=obj.pk).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self._manages(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._manages(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and granting_paths(request.user) != []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Accounts are deactivated (their history stays), not deleted; a superuser may still delete.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not self.has_change_permission(request):
            return {}
        if granting_paths(request.user) is not None:
            actions.pop("activate_accounts", None)
        return actions

    # --- the forms -----------------------------------------------------------------------------

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            form = super().get_form(request, obj, change=change, **kwargs)
            return type(form.__name__, (form,), {"by": request.user})
        if not request.user.is_superuser:
            kwargs["form"] = AccountChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            if granting_paths(request.user) is None:
                return self.add_fieldsets
            # Street and park staff grant organization roles only: no agency or shop to choose.
            return ((None, {"fields": ("full_name", "phone", "username", "role", "organization")}),)
        if request.user.is_superuser:
            return self.superuser_fieldsets
        phone = "phone" if sees_personal_data(request) else "masked_phone"
        return (
            (None, {"fields": ("username", "full_name", phone, "roles", "add_role")}),
            (_("Status"), {"fields": ("is_active", "must_change_password", "last_login", "date_joined")}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        if request.user.is_superuser:
            return ("roles", "add_role", "last_login", "date_joined")
        return (
            "username",
            "masked_phone",
            "roles",
            "add_role",
            "is_active",
            "must_change_password",
            "last_login",
            "date_joined",
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            user, password = services.account_create(by=request.user, **form.service_arguments())
            obj.pk, obj.username = user.pk, user.username
            request._one_time_passwords = [(user, password)]  # type: ignore[attr-defined]
        elif request.user.is_superuser:
            super().save_model(request, obj, form, change)
        else:
            current = User.objects.get(pk=obj.pk)
            try:
                services.account_update(
                    user=current,
                    by=request.user,
                    full_name=form.cleaned_data.get("full_name"),
                    phone=form.cleaned_data.get("phone") if "phone" in form.cleaned_data else None,
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change and request.user.is_superuser:
            super().save_related(request, form, formsets, change)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> HttpResponse:
        popup = None
        if IS_POPUP_VAR in request.POST:
            # Added from another form's "+": the password first, then the popup hands the account back.
            popup = {
                "url": reverse("admin:yiling_user_popup_done", args=[obj.pk]),
                "to_field": request.POST.get(TO_FIELD_VAR, ""),
            }
        return self.one_time_passwords(request, getattr(request, "_one_time_passwords", []), popup=popup)

    def get_urls(self) -> list[Any]:
        done = self.admin_site.admin_view(self.popup_done_view)
        return [path("<int:object_id>/popup-done/", done, name="yiling_user_popup_done"), *super().get_urls()]

    def popup_done_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Closes the popup an account was added in, handing the account back to the form that opened it."""
        obj = self.get_object(request, str(object_id))
        if request.method != "POST" or IS_POPUP_VAR not in request.POST:
            return HttpResponseNotAllowed(["POST"])
        if obj is None or not self.has_view_permission(request, obj):
            raise PermissionDenied
        return super().response_add(request, obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # Staff reset a password through the action, which makes the account choose its own at first
        # login; setting one by hand is for superusers.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    # --- actions, through the services ---------------------------------------------------------

    def one_time_passwords(
        self, request: HttpRequest, accounts: list[tuple[Any, str]], popup: dict[str, str] | None = None
    ) -> HttpResponse:
        """The page that shows new one-time passwords, once."""
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": _("One-time passwords"),
            "opts": self.opts,
            "accounts": accounts,
            "popup": popup,
            "is_popup": popup is not None,
        }
        response = TemplateResponse(request, ONE_TIME_TEMPLATE, context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Reset the password of the selected accounts"))
    def reset_passwords(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        done, failed = [], []
        for user in queryset:
            try:
                done.append((user, services.account_password_reset(user=user, by=request.user)))
            except ValidationError as exc:
                failed.append(f"{user}: {' '.join(exc.messages)}")
        if failed:
            self.message_user(request, _("Not done: %(problems)s") % {"problems": "; ".join(failed)}, messages.WARNING)
        return self.one_time_passwords(request, done) if done else None

    @admin.action(description=_("Deactivate the selected accounts (and end their roles)"))
    def deactivate_accounts(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, services.account_deactivate, _("Accounts deactivated: %(count)d."))

    @admin.action(description=_("Switch the selected accounts on again"))
    def activate_accounts(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, services.account_activate, _("Accounts switched on again: %(count)d."))

    def _each(self, request: HttpRequest, queryset: QuerySet, service: Any, done_message: Any) -> None:
        done, failed = 0, []
        for user in queryset:
            try:
                service(user=user, by=request.user)
            except ValidationError as exc:
                failed.append(f"{user}: {' '.join(exc.messages)}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)
        if failed:
            self.message_user(request, _("Not done: %(problems)s") % {"problems": "; ".join(failed)}, messages.WARNING)

    # --- import and export (the views are SpreadsheetAdminMixin's) ----------------------------

    import_template = "admin/yiling/user/import.html"
    upload_form = AccountUploadForm
    import_dir = Path(tempfile.gettempdir()) / "yiling-account-imports"
    import_session_key = "yiling.account_import"
    import_title = _("Import accounts")
    imported_message = _("Accounts imported: created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
    export_labels = {"xlsx": _("Export accounts (Excel)"), "csv": _("Export accounts (CSV)")}
    export_name = "accounts"
    export_has_personal_data = True

    def _confirm_import(self, request: HttpRequest, token: str) -> HttpResponse:
        response = super()._confirm_import(request, token)
        made = getattr(request, "_imported_accounts", None)
        if isinstance(response, HttpResponseRedirect) and made:
            return self.one_time_passwords(request, made)
        return response

    def import_file(self, request: HttpRequest, path: str, *, filename: str, dry_run: bool) -> Any:
        result = import_accounts(path, filename=filename, user=request.user, dry_run=dry_run)
        if not dry_run and result.ok:
            # Shown once by _confirm_import, on the one-time password page.
            made = [p for p in result.preview if p.password]
            users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in made])}
            request._imported_accounts = [(users[p.username], p.password) for p in made]  # type: ignore[attr-defined]
        return result

    def export_file(self, request: HttpRequest, queryset: QuerySet, fmt: str) -> bytes:
        full = self.export_is_full(request)
        # One row per account and role; an account without a role (deactivated) has a row of its own.
        rows = (
            [
                user.full_name,
                user.phone if full else mask_phone(user.phone),
                str(assignment.get_role_display()) if assignment else "",
                (assignment.organization or assignment.unit).code if assignment else "",
            ]
            for user in queryset
            for assignment in (list(user.role_assignments.all()) or [None])
        )
        return write_table(ACCOUNT_COLUMNS, rows, fmt=fmt, title="账号")


admin.site.register(User, UserAdmin)
