from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("organizations/", include("organizations.urls")),
    path("members/", include("members.urls")),
    path("admin/", admin.site.urls),
]
