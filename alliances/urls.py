from django.urls import path

from . import views

app_name = "alliances"

urlpatterns = [
    path("", views.home, name="home"),
    # Before the alliance page, whose <code> would otherwise take these words.
    path("instructors/", views.instructor_list, name="instructor-list"),
    path("instructors/<int:pk>/visits/", views.visit_log, name="visit-log"),
    path("enterprises/", views.enterprise_list, name="enterprise-list"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="meeting-minutes"),
    path("memberships/<int:pk>/end/", views.member_end, name="member-end"),
    path("<str:code>/", views.alliance_detail, name="alliance-detail"),
    path("<str:code>/meetings/", views.meeting_record, name="meeting-record"),
    path("<str:code>/turns/swap/", views.turns_swap, name="turns-swap"),
    path("<str:code>/members/", views.member_add, name="member-add"),
    path("<str:code>/own-activities/", views.own_activity_record, name="own-activity-record"),
    path("<str:code>/activities/", views.activity_plan, name="activity-plan"),
    path("<str:code>/activities/held/", views.activity_held, name="activity-held"),
    path("<str:code>/bookings/", views.resource_book, name="resource-book"),
    path("<str:code>/lead/", views.lead_set, name="lead-set"),
]
