"""Admin forms of the alliances app: each saves through its one service (``ServiceModelForm``)."""

from __future__ import annotations

from typing import Any

from yiling.admin_forms import ServiceModelForm

from . import services
from .models import (
    Alliance,
    AllianceMembership,
    Building,
    EnterpriseProfile,
    InstructorAssignment,
    InstructorVisit,
    JointActivity,
    JointMeeting,
    OwnActivity,
    ResourceBooking,
    SharedResource,
)
from .services import PROFILE_FIELDS


class BuildingAdminForm(ServiceModelForm):
    class Meta:
        model = Building
        fields = ("code", "name", "park", "address")

    def perform(self, *, by: Any) -> Building:
        values = self.cleaned_values(self.Meta.fields)
        if self.adding:
            return services.building_create(**values)
        return services.building_update(
            building=Building.objects.get(pk=self.instance.pk), name=values["name"], address=values["address"]
        )


class EnterpriseProfileAdminForm(ServiceModelForm):
    class Meta:
        model = EnterpriseProfile
        fields = ("unit", *PROFILE_FIELDS)

    def perform(self, *, by: Any) -> EnterpriseProfile:
        unit = self.cleaned_data["unit"] if self.adding else EnterpriseProfile.objects.get(pk=self.instance.pk).unit
        return services.enterprise_profile_save(unit=unit, **self.cleaned_values(PROFILE_FIELDS))


class AllianceAdminForm(ServiceModelForm):
    class Meta:
        model = Alliance
        fields = ("code", "name", "park", "committee", "lead_branch", "formed_on")

    def perform(self, *, by: Any) -> Alliance:
        values = self.cleaned_values(self.Meta.fields)
        if self.adding:
            return services.alliance_create(**values)
        values.pop("code", None)
        return services.alliance_update(alliance=Alliance.objects.get(pk=self.instance.pk), **values)


class MembershipAdminForm(ServiceModelForm):
    class Meta:
        model = AllianceMembership
        fields = ("alliance", "branch", "joined_on")

    def perform(self, *, by: Any) -> AllianceMembership:
        return services.membership_add(**self.cleaned_values(self.Meta.fields))


class JointMeetingAdminForm(ServiceModelForm):
    class Meta:
        model = JointMeeting
        fields = ("alliance", "held_on", "host", "topic", "attendance", "minutes", "decisions")

    def perform(self, *, by: Any) -> JointMeeting:
        values = self.cleaned_values(self.Meta.fields)
        if self.adding:
            return services.joint_meeting_record(**values)
        return services.joint_meeting_minute(
            meeting=JointMeeting.objects.get(pk=self.instance.pk),
            minutes=values.get("minutes", ""),
            decisions=values.get("decisions", ""),
        )


class JointActivityAdminForm(ServiceModelForm):
    class Meta:
        model = JointActivity
        fields = ("alliance", "year", "title", "kind", "planned_on", "host")

    def perform(self, *, by: Any) -> JointActivity:
        return services.joint_activity_plan(**self.cleaned_values(self.Meta.fields))


class OwnActivityAdminForm(ServiceModelForm):
    class Meta:
        model = OwnActivity
        fields = ("alliance", "branch", "title", "held_on", "participants", "joint_activity")

    def perform(self, *, by: Any) -> OwnActivity:
        return services.own_activity_record(**self.cleaned_values(self.Meta.fields))


class SharedResourceAdminForm(ServiceModelForm):
    class Meta:
        model = SharedResource
        fields = ("alliance", "name", "kind", "provider", "description")

    def perform(self, *, by: Any) -> SharedResource:
        values = self.cleaned_values(self.Meta.fields)
        values["description"] = values.get("description") or ""
        return services.resource_add(**values)


class ResourceBookingAdminForm(ServiceModelForm):
    class Meta:
        model = ResourceBooking
        fields = ("resource", "activity", "booked_for")

    def perform(self, *, by: Any) -> ResourceBooking:
        return services.resource_book(**self.cleaned_values(self.Meta.fields))


class InstructorAssignmentAdminForm(ServiceModelForm):
    class Meta:
        model = InstructorAssignment
        fields = ("enterprise", "member", "instructor_name", "started_on")

    def perform(self, *, by: Any) -> InstructorAssignment:
        values = self.cleaned_values(self.Meta.fields)
        values["instructor_name"] = values.get("instructor_name") or ""
        return services.instructor_assign(**values)


class InstructorVisitAdminForm(ServiceModelForm):
    class Meta:
        model = InstructorVisit
        fields = ("assignment", "visited_on", "summary")

    def perform(self, *, by: Any) -> InstructorVisit:
        return services.instructor_visit_log(**self.cleaned_values(self.Meta.fields))
