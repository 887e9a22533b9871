"""The admin's forms of 单位联小区, each saved by its service (``yiling.admin_forms.ServiceModelForm``)."""

from __future__ import annotations

from typing import Any

from yiling.admin_forms import ServiceModelForm

from . import services
from .models import Contribution, Deliberation, Demand, Liaison


class LiaisonAdminForm(ServiceModelForm):
    class Meta:
        model = Liaison
        fields = ("agency", "compound", "started_on", "ended_on", "agency_contact", "compound_contact", "notes")

    def perform(self, *, by: Any) -> Liaison:
        texts = {k: self.cleaned_data.get(k) or "" for k in services.LIAISON_FIELDS if k in self.fields}
        if self.adding:
            return services.liaison_start(
                agency=self.cleaned_data["agency"],
                compound=self.cleaned_data["compound"],
                started_on=self.cleaned_data["started_on"],
                ended_on=self.cleaned_data.get("ended_on"),
                **texts,
            )
        liaison = services.liaison_update(liaison=Liaison.objects.get(pk=self.instance.pk), **texts)
        ended_on = self.cleaned_data.get("ended_on")
        if "ended_on" in self.fields and ended_on is not None and liaison.ended_on is None:
            liaison = services.liaison_end(liaison=liaison, ended_on=ended_on)
        return liaison


class DemandAdminForm(ServiceModelForm):
    class Meta:
        model = Demand
        fields = ("compound", "category", "title", "description", "priority", "due_on")

    def perform(self, *, by: Any) -> Demand:
        values = self.cleaned_values(self.Meta.fields)
        values["description"] = values.get("description") or ""
        return services.demand_raise(by=by, **values)


class ContributionAdminForm(ServiceModelForm):
    class Meta:
        model = Contribution
        fields = ("liaison", "kind", "given_on", "description", "amount", "hours", "demand")

    def perform(self, *, by: Any) -> Contribution:
        return services.contribution_record(by=by, **self.cleaned_values(self.Meta.fields))


class DeliberationAdminForm(ServiceModelForm):
    class Meta:
        model = Deliberation
        fields = ("compound", "held_on", "topic", "attendees", "attendance", "decisions", "demands")

    def perform(self, *, by: Any) -> Deliberation:
        values = self.cleaned_values(self.Meta.fields)
        values["demands"] = list(values.get("demands") or [])
        return services.deliberation_record(by=by, **values)
