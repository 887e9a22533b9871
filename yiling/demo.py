"""The demo-data registry behind ``manage.py seed_demo``.

Every installed app may ship a ``demo.py`` module with

* ``seed(ctx) -> None``: load the app's demo data (required for the app to take part in seeding);
* ``accounts(ctx) -> list[DemoLogin]``: create the app's demo accounts and return their logins
  (optional; only called when ``ctx.create_accounts`` is true, i.e. with ``DEBUG`` on);
* ``ORDER: int``: optional position (default :data:`DEFAULT_ORDER`); modules run by ``ORDER``, then
  in ``INSTALLED_APPS`` order. ``organizations`` keeps the default, so an app that builds on the
  organization tree simply sits after it in ``INSTALLED_APPS`` and needs no ``ORDER``;
* ``LATER_SEEDS: list[tuple[int, Callable[[DemoContext], None]]]``: optional further seed steps with
  their own order, for an app whose later data builds on another app's (``organizations`` seats the
  members ``members`` creates on its branches and owners' committees).
* ``after_accounts(ctx) -> None``: optional, run once every app's accounts exist (only with
  accounts): ``organizations`` sends the notices the rules find due today, so every app's demo
  account has its inbox on the first run and a second run sends nothing.

All ``seed`` functions, then all ``accounts`` functions, run inside ONE transaction: a failing app
leaves the database as it was.

Rules every ``demo.py`` follows:

* write through the app's services (``organizations.services`` etc.), never ``.save()``/``.create()``
  on domain models; user accounts go through :func:`ensure_user`;
* be idempotent: look rows up by a stable natural key (``code``, ``username``) and call an update
  service only when a value differs, so a second run changes nothing, not even history tables;
* be deterministic: fixed lists, no randomness, no ``today()``, except for the records of the year the
  demo is loaded in (money, recent activities): those are dated from today, never after it, and found
  again by a key that includes the year;
* report what was written with ``ctx.tally(label, "created" | "updated")``.
"""

from __future__ import annotations

import importlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import translation
from django.utils.module_loading import module_has_submodule

from .validation import constraints_left_to_database

if TYPE_CHECKING:
    from django.core.management.base import OutputWrapper
    from django.core.management.color import Style
    from django.utils.functional import Promise

#: The one password all demo accounts share (only ever set when DEBUG is on).
DEMO_PASSWORD = "yiling-demo-2026"
DEFAULT_ORDER = 100
MODULE_NAME = "demo"
PORTAL_URL = "http://127.0.0.1:8000/"
ADMIN_URL = "http://127.0.0.1:8000/admin/"
ACTIONS = ("created", "updated")


@dataclass
class DemoLogin:
    """One demo account, as printed at the end of ``seed_demo``."""

    username: str
    password: str
    role_label: Promise | str
    bound_to: str
    full_name: str = ""


@dataclass
class DemoContext:
    """What each app's ``seed``/``accounts`` receives."""

    stdout: OutputWrapper | Any
    style: Style | Any
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    create_accounts: bool = True
    password: str = DEMO_PASSWORD
    verbosity: int = 1
    #: accounts created in this run, whose password is known to be ``password`` without hashing it again
    new_usernames: set[str] = field(default_factory=set)
    #: stored password hashes already checked to be ``password`` (one hash costs ~0.25 s)
    known_hashes: set[str] = field(default_factory=set)

    def password_hash(self) -> str:
        """``password`` hashed once for every demo account of the run.

        The demo accounts share one password, printed for everyone to read; one salt for all of them
        gives away nothing more, and saves a full-cost hash per account.
        """
        if not self.known_hashes:
            self.known_hashes.add(make_password(self.password))
        return next(iter(self.known_hashes))

    def tally(self, label: str, action: str, n: int = 1) -> None:
        """Count ``n`` rows of ``label`` (e.g. "units") as ``created`` or ``updated``."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
        bucket = self.counts.setdefault(label, dict.fromkeys(ACTIONS, 0))
        bucket[action] += n

    def touch(self, label: str) -> None:
        """Make ``label`` appear in the summary even when nothing was written."""
        self.counts.setdefault(label, dict.fromkeys(ACTIONS, 0))

    @property
    def changed(self) -> int:
        return sum(sum(bucket.values()) for bucket in self.counts.values())

    def log(self, message: str) -> None:
        if self.verbosity > 1:
            self.stdout.write(message)


def demo_modules() -> list[ModuleType]:
    """The ``<app>.demo`` modules of the installed apps, in running order."""
    found: list[tuple[int, int, ModuleType]] = []
    for index, config in enumerate(apps.get_app_configs()):
        if not module_has_submodule(config.module, MODULE_NAME):
            continue
        module = importlib.import_module(f"{config.name}.{MODULE_NAME}")
        if module.__name__ == __name__:  # this registry is not a demo module itself
            continue
        found.append((getattr(module, "ORDER", DEFAULT_ORDER), index, module))
    return [module for _order, _index, module in sorted(found, key=lambda t: (t[0], t[1]))]


def load(ctx: DemoContext, modules: Sequence[ModuleType] | None = None) -> list[DemoLogin]:
    """Run every ``seed`` and (when ``ctx.create_accounts``) every ``accounts`` in one transaction."""
    modules = demo_modules() if modules is None else modules
    logins: list[DemoLogin] = []
    steps = []
    for index, module in enumerate(modules):
        seed = getattr(module, "seed", None)
        if seed is not None:
            steps.append((getattr(module, "ORDER", DEFAULT_ORDER), index, module.__name__, seed))
        for order, later in getattr(module, "LATER_SEEDS", ()):
            steps.append((order, index, f"{module.__name__}.{later.__name__}", later))
    # The demo is known-good data: the database alone enforces the constraints (see validation.py).
    with transaction.atomic(), constraints_left_to_database():
        for _order, _index, name, seed in sorted(steps, key=lambda s: (s[0], s[1])):
            ctx.log(f"Seeding {name} ...")
            seed(ctx)
        if ctx.create_accounts:
            for module in modules:
                make_accounts = getattr(module, "accounts", None)
                if make_accounts is not None:
                    logins.extend(make_accounts(ctx) or [])
            for module in modules:
                after_accounts = getattr(module, "after_accounts", None)
                if after_accounts is not None:
                    after_accounts(ctx)
    return logins


# --- helpers for the apps' demo modules -------------------------------------------------------


def ensure_group(ctx: DemoContext, name: str, permissions: Iterable[Permission]) -> Group:
    """A group holding exactly ``permissions``; touched only when it differs."""
    group = Group.objects.filter(name=name).first()
    wanted = {p.pk for p in permissions}
    if group is None:
        group = Group.objects.create(name=name)
        group.permissions.set(wanted)
        ctx.tally("groups", "created")
        return group
    if set(group.permissions.values_list("pk", flat=True)) != wanted:
        group.permissions.set(wanted)
        ctx.tally("groups", "updated")
    return group


def ensure_user(
    ctx: DemoContext,
    *,
    username: str,
    full_name: str,
    is_staff: bool = False,
    groups: Iterable[Group] = (),
) -> Any:
    """A demo account. New accounts get ``ctx.password``; an existing password is never reset."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(username=username, password=None, full_name=full_name, is_staff=is_staff)
        user.password = ctx.password_hash()
        user.save(update_fields=["password"])
        ctx.tally("accounts", "created")
        ctx.new_usernames.add(username)
    else:
        wanted = {"full_name": full_name, "is_staff": is_staff, "is_active": True}
        changed = [f for f, v in wanted.items() if getattr(user, f) != v]
        if changed:
            for f in changed:
                setattr(user, f, wanted[f])
            user.save(update_fields=changed)
            ctx.tally("accounts", "updated")
    wanted_groups = {g.pk for g in groups}
    missing = wanted_groups - set(user.groups.values_list("pk", flat=True))
    if missing:
        user.groups.add(*missing)
    return user


def login_for(ctx: DemoContext, user: Any, role_label: Promise | str, bound_to: object) -> DemoLogin:
    """The printed line for ``user``; flags an account whose password is no longer the demo one."""
    known = user.username in ctx.new_usernames or user.password in ctx.known_hashes
    if not known and user.check_password(ctx.password):
        known = True
        ctx.known_hashes.add(user.password)
    password = ctx.password if known else "(changed, not reset)"
    return DemoLogin(
        username=user.username,
        password=password,
        role_label=role_label,
        bound_to=str(bound_to),
        full_name=getattr(user, "full_name", ""),
    )


# --- output ------------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A plain-text table that lines up with Chinese (double-width) characters."""
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(_pad(str(h), w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(str(c), w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return lines


def summary_lines(ctx: DemoContext) -> list[str]:
    return [f"{label}: {c['created']} created, {c['updated']} updated" for label, c in ctx.counts.items()]


def login_lines(logins: Sequence[DemoLogin]) -> list[str]:
    with translation.override("zh-hans"):
        rows = [
            [login.username, login.password, str(login.role_label), login.full_name, login.bound_to] for login in logins
        ]
        return format_table(["用户名 username", "密码 password", "角色 role", "姓名 name", "绑定 bound to"], rows)
