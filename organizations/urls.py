from django.urls import path

from . import views

app_name = "organizations"

urlpatterns = [
    path("", views.organization_list, name="organization-list"),
    # Before the organization page, whose <code> would otherwise take "compounds" and "funds".
    path("compounds/", views.compound_list, name="compound-list"),
    path("compounds/<str:code>/", views.compound_detail, name="compound-detail"),
    path("compounds/<str:code>/committee/", views.committee_record, name="committee-record"),
    path("compounds/<str:code>/committee/seats/", views.seat_add, name="seat-add"),
    path("compounds/<str:code>/committee/seats/<int:pk>/end/", views.seat_end, name="seat-end"),
    path("compounds/<str:code>/first-secretary/", views.first_secretary_appoint, name="first-secretary-appoint"),
    path("compounds/<str:code>/venues/", views.venue_add, name="venue-add"),
    path("compounds/<str:code>/activities/", views.activity_record, name="activity-record"),
    path("compounds/<str:code>/expenses/", views.expense_record, name="expense-record"),
    path("expenses/<int:pk>/receipt/", views.expense_receipt, name="expense-receipt"),
    path("funds/", views.fund_execution, name="fund-execution"),
    path("<str:code>/", views.organization_detail, name="organization-detail"),
]
