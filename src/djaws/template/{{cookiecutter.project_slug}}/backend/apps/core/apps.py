from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"


class ProjectAdminConfig(admin_apps.AdminConfig):
    """Installs ProjectAdminSite as django.contrib.admin's default site (Django's documented way)."""

    # Not the app config of apps.core itself.
    default = False
    default_site = "apps.core.admin_site.ProjectAdminSite"
