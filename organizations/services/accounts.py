"""Accounts: creating one for a person with a role, resetting its password, deactivating it.

These live beside the roles (``tree``) rather than in ``yiling/``: what an account is for is the role
it holds, and who may create, reset or deactivate an account is the rule of who may grant which role
to whom (:func:`grant_check`), which lives here. The account model itself is ``yiling.User``, reached
through ``get_user_model()`` so that this app does not import ``yiling/`` (see STYLE.md).

Every write is recorded in the account's history (simple_history on the user, without the password
hash) with the acting user and a reason, and role changes in the role assignments' own history.

Deactivating an account ends its role assignments as well: the role goes to the successor, and an
account without roles reaches nothing even if it were switched on again. Only district staff (and
superusers) see and may switch on an account without roles.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Organization, Role, RoleAssignment, Unit
from ..selectors.tree import granting_paths
from .tree import STREET_GRANTABLE_ROLES, _inside, grant_check, role_assign, role_revoke

PHONE_RE = re.compile(r"1[3-9]\d{9}")
#: Staff roles work in the admin: an account created with one is staff and joins the permission group of
#: this name, when it exists (the demo's and the deployment's groups).
STAFF_ROLE_GROUPS = {Role.DISTRICT_STAFF: "district staff", Role.STREET_STAFF: "street staff"}
#: One-time passwords: no characters people mix up when reading them aloud or off a screen (0/O, 1/l).
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_PASSWORD_LENGTH = 10


def normalize_phone(text: str) -> str:
    """A mobile number as people write it (full-width digits, spaces, hyphens, +86) → 11 digits; "" for
    blank. ``ValidationError`` (on ``phone``) for anything that is not a mainland mobile number."""
    value = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text or ""))
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        return ""
    if not PHONE_RE.fullmatch(value):
        raise ValidationError({"phone": _("Enter an 11-digit mobile phone number starting with 1.")})
    return value


def one_time_password() -> str:
    """A random password to hand over once; the account must choose its own at the next login."""
    while True:
        password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(_PASSWORD_LENGTH))
        if any(c.isalpha() for c in password) and any(c.isdigit() for c in password):
            return password


def _new_username() -> str:
    users = get_user_model().objects
    while True:
        username = f"yl{secrets.randbelow(10**6):06d}"
        if not users.filter(username__iexact=username).exists():
            return username


def account_manage_check(*, by: Any, user: Any) -> None:
    """Refuse resetting the password of, changing or deactivating ``user`` unless ``by`` may.

    District staff may manage every account but a superuser's (only a superuser may); street and park
    staff the accounts holding at least one role, each a community or compound secretary role inside
    their own street or park (the accounts they could have created); nobody else any.
    """
    if by is None:
        return
    paths = granting_paths(by)
    if paths is None:
        if getattr(user, "is_superuser", False) and not getattr(by, "is_superuser", False):
            raise ValidationError(_("Only a superuser may change a superuser's account."))
        return
    held = list(RoleAssignment.objects.filter(user_id=user.pk).select_related("organization"))
    if (
        not paths
        or getattr(user, "is_superuser", False)
        or not held
        or not all(a.role in STREET_GRANTABLE_ROLES and _inside(paths, a.organization) for a in held)
    ):
        raise ValidationError(_("You may not change this account: ask district staff."))


def _record(user: Any, by: Any, reason: str) -> None:
    """What the next save of ``user`` writes into its history: who did it, and why."""
    user._change_reason = reason[:100]
    if by is not None:
        user._history_user = by


@transaction.atomic
def account_create(
    *,
    full_name: str,
    phone: str = "",
    username: str = "",
    role: str,
    organization: Organization | None = None,
    unit: Unit | None = None,
    by: Any = None,
) -> tuple[Any, str]:
    """Create an account for a person with one role, and the one-time password to hand over.

    ``username`` is the login name; a generated one (``yl`` and six digits) when blank. The mobile
    number is the person's, kept masked; an account is never created without a role, so that street
    staff never make accounts they cannot see. The account must change its password at first login.
    ``by`` is held to :func:`grant_check` (None: the system itself).
    """
    user_model = get_user_model()
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationError({"full_name": _("The person's name is required.")})
    phone = normalize_phone(phone)
    username = (username or "").strip() or _new_username()
    user = user_model(username=username, full_name=full_name, phone=phone, must_change_password=True)
    if by is not None:
        grant_check(by=by, user=user, role=role, organization=organization, unit=unit)
    password = one_time_password()
    user.set_password(password)
    user.full_clean(exclude=["password"])
    _record(user, by, _("Account created"))
    user.save()
    role_assign(user=user, role=role, organization=organization, unit=unit, by=by)
    if role in STAFF_ROLE_GROUPS:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(*Group.objects.filter(name=STAFF_ROLE_GROUPS[Role(role)]))
    return user, password


@transaction.atomic
def account_update(*, user: Any, by: Any = None, full_name: str | None = None, phone: str | None = None) -> Any:
    """Change an account's name or mobile number (what is given and differs); ``by`` as for
    :func:`account_manage_check`."""
    account_manage_check(by=by, user=user)
    changed = []
    if full_name is not None and full_name.strip() != user.full_name:
        if not full_name.strip():
            raise ValidationError({"full_name": _("The person's name is required.")})
        user.full_name = full_name.strip()
        changed.append("full_name")
    if phone is not None:
        phone = normalize_phone(phone)
        if phone != user.phone:
            user.phone = phone
            changed.append("phone")
    if not changed:
        return user
    user.full_clean(exclude=["password"])
    _record(user, by, _("Account changed"))
    user.save(update_fields=changed)
    return user


@transaction.atomic
def account_password_reset(*, user: Any, by: Any = None) -> str:
    """Give the account a new one-time password (returned, to hand over once); the account must
    change it at its next login. Any earlier sessions of the account end (Django ties a session to
    the password hash)."""
    account_manage_check(by=by, user=user)
    if not user.is_active:
        raise ValidationError(_("This account is deactivated: switch it on before resetting its password."))
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    _record(user, by, _("Password reset"))
    user.save(update_fields=["password", "must_change_password"])
    return password


@transaction.atomic
def account_password_changed(*, user: Any) -> Any:
    """The account has chosen its own password (already set on ``user``): save it and lift the
    first-login change."""
    user.must_change_password = False
    _record(user, user, _("Password changed by the account holder"))
    user.save(update_fields=["password", "must_change_password"])
    return user


@transaction.atomic
def account_deactivate(*, user: Any, by: Any = None) -> Any:
    """Switch an account off: it cannot log in any more, and its role assignments end (each recorded
    in the assignments' history). ``by`` must be able to manage the account, and may not switch
    off their own."""
    account_manage_check(by=by, user=user)
    if by is not None and by.pk == user.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    for assignment in list(RoleAssignment.objects.filter(user_id=user.pk).select_related("user")):
        # The check above covers every role of the account; ending them is part of deactivating.
        role_revoke(assignment=assignment)
    if not user.is_active:
        return user
    user.is_active = False
    _record(user, by, _("Account deactivated"))
    user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def account_activate(*, user: Any, by: Any = None) -> Any:
    """Switch an account on again (district staff only, since it holds no role any more); it must
    change its password at the next login."""
    if by is not None and granting_paths(by) is not None:
        raise ValidationError(_("Only district staff may switch an account on again."))
    account_manage_check(by=by, user=user)
    if user.is_active:
        return user
    user.is_active = True
    user.must_change_password = True
    _record(user, by, _("Account switched on again"))
    user.save(update_fields=["is_active", "must_change_password"])
    return user
