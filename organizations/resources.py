"""Import and export of the organization tree, its units, property companies and owners' committee
terms (XLSX/CSV with Chinese headers).

Rows go through the same services as the admin and the portal, and through the scoping rule: a
user can export and import only their own part of the tree. An exported file imports back
unchanged, and importing it again changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from yiling.resources import (
    ChoiceLabelWidget,
    CodeForeignKeyWidget,
    ScopedResourceMixin,
    WholeNumberWidget,
    YesNoWidget,
)
from yiling.scoping import visible

from . import services
from .models import Organization, OrgKind, OwnersCommittee, PropertyCompany, Unit, UnitType
from .services.governance import PROPERTY_COMPANY_FIELDS


class OrganizationResource(ScopedResourceMixin, resources.ModelResource):
    code = fields.Field(attribute="code", column_name="代码")
    name = fields.Field(attribute="name", column_name="名称")
    kind = fields.Field(attribute="kind", column_name="类别", widget=ChoiceLabelWidget(OrgKind))
    parent = fields.Field(
        attribute="import_parent", column_name="上级组织代码", widget=CodeForeignKeyWidget(Organization)
    )
    unit = fields.Field(attribute="unit", column_name="所在单位代码", widget=CodeForeignKeyWidget(Unit))
    established_on = fields.Field(
        attribute="established_on", column_name="成立日期", widget=widgets.DateWidget("%Y-%m-%d")
    )
    is_active = fields.Field(attribute="is_active", column_name="是否有效", widget=YesNoWidget())
    path = fields.Field(attribute="path_display", column_name="路径", readonly=True)

    scoped_targets = ("import_parent",)

    class Meta:
        model = Organization
        fields = ("code", "name", "kind", "parent", "unit", "established_on", "is_active", "path")
        export_order = fields
        import_id_fields = ("code",)
        clean_model_instances = False  # the services validate, with the tree fields in place
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def iter_queryset(self, queryset: Any) -> Any:
        # Receives the queryset after filter_export (so already scoped): fill every row's path
        # and parent code with one query each for the whole sheet.
        from .selectors import attach_path_names

        rows = attach_path_names(queryset.select_related("unit"))
        paths = {o.path[: -Organization.steplen] for o in rows if o.depth > 1}
        self._codes_by_path = dict(Organization.objects.filter(path__in=paths).values_list("path", "code"))
        return rows

    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        return super().filter_export(queryset, **kwargs).order_by("path")

    def dehydrate_parent(self, org: Organization) -> str:
        if hasattr(org, "import_parent"):
            return org.import_parent.code if org.import_parent else ""
        if not org.depth or org.depth <= 1:
            return ""
        parent_path = org.path[: -Organization.steplen]
        codes = getattr(self, "_codes_by_path", None)
        if codes is not None and parent_path in codes:
            return codes[parent_path]
        return Organization.objects.filter(path=parent_path).values_list("code", flat=True).first() or ""

    def after_init_instance(self, instance: Organization, new: bool, row: Any, **kwargs: Any) -> None:
        super().after_init_instance(instance, new, row, **kwargs)
        if not new:
            instance._current_parent_code = self.dehydrate_parent(instance)

    def validate_instance(self, instance: Organization, import_validation_errors: Any = None, **kwargs: Any) -> None:
        super().validate_instance(instance, import_validation_errors, **kwargs)
        self.check_scope(instance)

    def skip_row(self, instance: Organization, original: Any, row: Any, import_validation_errors: Any = None) -> bool:
        if import_validation_errors or instance.pk is None:
            return False
        current = Organization.objects.get(pk=instance.pk)
        same_fields = all(
            getattr(current, f) == getattr(instance, f)
            for f in ("code", "name", "kind", "unit_id", "established_on", "is_active")
        )
        new_parent = getattr(instance, "import_parent", None)
        return same_fields and (new_parent.code if new_parent else "") == instance._current_parent_code

    def do_instance_save(self, instance: Organization, is_create: bool) -> None:
        values = {
            "code": instance.code,
            "name": instance.name,
            "kind": instance.kind,
            "unit": instance.unit,
            "established_on": instance.established_on,
            "is_active": instance.is_active if instance.is_active is not None else True,
        }
        parent = getattr(instance, "import_parent", None)
        if is_create:
            saved = services.organization_create(parent=parent, **values)
        else:
            saved = services.organization_update(organization=Organization.objects.get(pk=instance.pk), **values)
            if (parent.code if parent else "") != instance._current_parent_code:
                saved = services.organization_move(organization=saved, new_parent=parent)
        for f in ("pk", "path", "depth", "numchild"):
            setattr(instance, f, getattr(saved, f))


class UnitResource(ScopedResourceMixin, resources.ModelResource):
    code = fields.Field(attribute="code", column_name="代码")
    name = fields.Field(attribute="name", column_name="名称")
    unit_type = fields.Field(attribute="unit_type", column_name="类型", widget=ChoiceLabelWidget(UnitType))
    parent = fields.Field(attribute="parent", column_name="所属单位代码", widget=CodeForeignKeyWidget(Unit))
    organization = fields.Field(
        attribute="organization", column_name="负责党组织代码", widget=CodeForeignKeyWidget(Organization)
    )
    is_compound_type = fields.Field(attribute="is_compound_type", column_name="小区型社区", widget=YesNoWidget())
    households = fields.Field(attribute="households", column_name="户数", widget=WholeNumberWidget())
    residents = fields.Field(attribute="residents", column_name="人数", widget=WholeNumberWidget())
    address = fields.Field(attribute="address", column_name="地址")
    property_company = fields.Field(
        attribute="property_company", column_name="物业公司代码", widget=CodeForeignKeyWidget(PropertyCompany)
    )

    scoped_targets = ("organization",)

    class Meta:
        model = Unit
        fields = services.UNIT_FIELDS
        export_order = fields
        import_id_fields = ("code",)
        clean_model_instances = False
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        return super().filter_export(queryset, **kwargs).select_related("parent", "organization", "property_company")

    def validate_instance(self, instance: Unit, import_validation_errors: Any = None, **kwargs: Any) -> None:
        super().validate_instance(instance, import_validation_errors, **kwargs)
        self.check_scope(instance)

    def do_instance_save(self, instance: Unit, is_create: bool) -> None:
        values = {f: getattr(instance, f) for f in services.UNIT_FIELDS}
        values["address"] = values["address"] or ""
        values["is_compound_type"] = bool(values["is_compound_type"])
        if is_create:
            saved = services.unit_create(**values)
        else:
            saved = services.unit_update(unit=Unit.objects.get(pk=instance.pk), **values)
        instance.pk = saved.pk


class DayWidget(widgets.DateWidget):
    """A date as YYYY-MM-DD; a date cell typed in Excel (read as a datetime) counts as its day."""

    def __init__(self) -> None:
        super().__init__("%Y-%m-%d")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, str):
            value = value.strip()
        try:
            return super().clean(value, row, **kwargs)
        except ValueError as exc:
            raise ValueError(_("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": value}) from exc


class StrictYesNoWidget(YesNoWidget):
    """是/否 (or an English yes/no); anything else is refused rather than read as 否."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool | None:
        text = value.strip() if isinstance(value, str) else value
        if text in self.NULL_VALUES or text in self.TRUE_VALUES or text in self.FALSE_VALUES:
            return super().clean(text, row, **kwargs)
        raise ValueError(_("“%(value)s” is neither 是 nor 否.") % {"value": value})


class PropertyCompanyResource(ScopedResourceMixin, resources.ModelResource):
    """Property companies by code. A user may change only the companies they see (those managing a
    compound in their part of the tree), and point one only at a party organization they see."""

    code = fields.Field(attribute="code", column_name="代码")
    name = fields.Field(attribute="name", column_name="名称")
    is_red = fields.Field(attribute="is_red", column_name="红色物业", widget=StrictYesNoWidget())
    party_organization = fields.Field(
        attribute="party_organization", column_name="党组织代码", widget=CodeForeignKeyWidget(Organization)
    )
    contact = fields.Field(attribute="contact", column_name="联系人")

    class Meta:
        model = PropertyCompany
        fields = PROPERTY_COMPANY_FIELDS
        export_order = fields
        import_id_fields = ("code",)
        clean_model_instances = False  # the services validate
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        return super().filter_export(queryset, **kwargs).select_related("party_organization").order_by("code")

    def validate_instance(self, instance: PropertyCompany, import_validation_errors: Any = None, **kwargs: Any) -> None:
        errors = dict(import_validation_errors or {})
        target = instance.party_organization if instance.party_organization_id else None
        if (
            target is not None
            and self.user is not None
            and not visible(Organization, self.user).filter(pk=target.pk).exists()
        ):
            errors.setdefault(
                "party_organization", _("“%(obj)s” is outside your part of the organization tree.") % {"obj": target}
            )
        super().validate_instance(instance, errors, **kwargs)

    def do_instance_save(self, instance: PropertyCompany, is_create: bool) -> None:
        values = {
            "code": (instance.code or "").strip(),
            "name": (instance.name or "").strip(),
            "is_red": bool(instance.is_red),
            "party_organization": instance.party_organization if instance.party_organization_id else None,
            "contact": (instance.contact or "").strip(),
        }
        if is_create:
            saved = services.property_company_create(**values)
        else:
            saved = services.property_company_update(company=PropertyCompany.objects.get(pk=instance.pk), **values)
        instance.pk = saved.pk


class OwnersCommitteeResource(ScopedResourceMixin, resources.ModelResource):
    """Owners' committee terms, one row per term, found by compound and election day.

    A term not yet recorded is recorded through ``owners_committee_record`` (it becomes the current
    one), so a file lists each compound's terms oldest first, as the export does; a recorded term's
    end and notes are corrected through ``owners_committee_update``. 当前届 is derived, never imported.
    """

    compound = fields.Field(attribute="compound", column_name="小区编码", widget=CodeForeignKeyWidget(Unit))
    compound_name = fields.Field(attribute="compound__name", column_name="小区名称", readonly=True)
    elected_on = fields.Field(attribute="elected_on", column_name="成立日期", widget=DayWidget())
    term_ends_on = fields.Field(attribute="term_ends_on", column_name="届满日期", widget=DayWidget())
    notes = fields.Field(attribute="notes", column_name="备注")
    is_current = fields.Field(attribute="is_current", column_name="当前届", widget=YesNoWidget(), readonly=True)

    scoped_targets = ("compound",)
    required = {
        "compound": gettext_lazy("Give the compound's code."),
        "elected_on": gettext_lazy("Give the day the committee was elected."),
        "term_ends_on": gettext_lazy("Give the day the term ends."),
    }

    class Meta:
        model = OwnersCommittee
        fields = ("compound", "compound_name", "elected_on", "term_ends_on", "notes", "is_current")
        export_order = fields
        import_id_fields = ("compound", "elected_on")
        clean_model_instances = False  # the services validate
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        return (
            super()
            .filter_export(queryset, **kwargs)
            .select_related("compound")
            .order_by("compound__code", "elected_on")
        )

    def get_instance(self, instance_loader: Any, row: Any) -> Any:
        # The row's compound and election day find the term; a bad code or date there is a row
        # problem on its column, like anywhere else in the row.
        try:
            return super().get_instance(instance_loader, row)
        except ValueError as exc:
            column = next((name for name in self._meta.import_id_fields if self._field_fails(name, row)), "compound")
            raise ValidationError({column: str(exc)}) from exc

    def _field_fails(self, name: str, row: Any) -> bool:
        try:
            self.fields[name].clean(row)
        except ValueError:
            return True
        return False

    def validate_instance(self, instance: OwnersCommittee, import_validation_errors: Any = None, **kwargs: Any) -> None:
        errors = dict(import_validation_errors or {})
        for name, message in self.required.items():
            if name not in errors and getattr(instance, f"{name}_id" if name == "compound" else name) is None:
                errors[name] = message
        if "compound" not in errors:
            try:
                self.check_scope(instance)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        super().validate_instance(instance, errors, **kwargs)

    def do_instance_save(self, instance: OwnersCommittee, is_create: bool) -> None:
        notes = (instance.notes or "").strip()
        if is_create:
            saved = services.owners_committee_record(
                compound=instance.compound,
                elected_on=instance.elected_on,
                term_ends_on=instance.term_ends_on,
                notes=notes,
            )
        else:
            saved = services.owners_committee_update(
                committee=OwnersCommittee.objects.get(pk=instance.pk), term_ends_on=instance.term_ends_on, notes=notes
            )
        instance.pk, instance.is_current = saved.pk, saved.is_current
