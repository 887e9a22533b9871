from django.contrib import admin
from django.urls import include, path

from . import accounts, views

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("healthz", views.healthz, name="healthz"),
    path("dashboard/", include("yiling.dashboards.urls")),
    # The portal's own password pages (in the portal's look, and lifting the first-login change)
    # before Django's, which serve the rest of accounts/ under the same names.
    path("accounts/password_change/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("organizations/", include("organizations.urls")),
    path("members/", include("members.urls")),
    path("merchants/", include("merchants.urls")),
    path("", include("merchants.public_urls")),
    path("liaisons/", include("liaisons.urls")),
    path("alliances/", include("alliances.urls")),
    path("notices/", include("yiling.notices.urls")),
    path("admin/", admin.site.urls),
]
