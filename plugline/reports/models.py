"""The reports' permission: `reports.view_reports`, given to the roles that may read them.

The reports read other apps' tables and keep none of their own; the model
below only carries the permission (no table is made for it).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportAccess(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_reports", _("Can view the business reports"))]
        verbose_name = _("report access")
        verbose_name_plural = _("report access")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
