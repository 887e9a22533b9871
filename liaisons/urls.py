from django.urls import path

from . import views

app_name = "liaisons"

urlpatterns = [
    path("", views.home, name="home"),
    path("compounds/<str:code>/", views.compound_detail, name="compound-detail"),
    path("compounds/<str:code>/problems/new/", views.demand_raise, name="demand-raise"),
    path("compounds/<str:code>/deliberations/new/", views.deliberation_record, name="deliberation-record"),
    path("pairings/<int:pk>/contributions/new/", views.contribution_record, name="contribution-record"),
    path("problems/", views.demand_list, name="demand-list"),
    path("problems/<int:pk>/", views.demand_detail, name="demand-detail"),
    path("problems/<int:pk>/move/<str:to_state>/", views.demand_move, name="demand-move"),
    path("steps/<int:pk>/attachment/", views.step_attachment, name="step-attachment"),
    path("deliberations/", views.deliberation_list, name="deliberation-list"),
    path("deliberations/<int:pk>/", views.deliberation_detail, name="deliberation-detail"),
    path("report/", views.report, name="report"),
]
