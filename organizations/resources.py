"""Import and export of the organization tree and its units (XLSX/CSV with Chinese headers).

Rows go through the same services as the admin and the portal, and through the scoping rule: a
user can export and import only their own part of the tree. An exported file imports back
unchanged, and importing it again changes nothing.
"""

from __future__ import annotations

from typing import Any

from import_export import fields, resources, widgets

from yiling.resources import ChoiceLabelWidget, CodeForeignKeyWidget, ScopedResourceMixin, YesNoWidget

from . import services
from .models import Organization, OrgKind, PropertyCompany, Unit, UnitType


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
    households = fields.Field(attribute="households", column_name="户数", widget=widgets.IntegerWidget())
    residents = fields.Field(attribute="residents", column_name="人数", widget=widgets.IntegerWidget())
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
