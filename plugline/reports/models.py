"""The reports' permission: `reports.view_reports`, given to the roles that may read them.

The reports read other apps' tables; the model below only carries the
permission. Its table stays empty, but exists: code that goes through every
model (a copy of the database, the tests that look for secrets in one) can
read it like any other.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportAccess(models.Model):
    class Meta:
        default_permissions = ()
        permissions = [("view_reports", _("Can view the business reports"))]
        verbose_name = _("report access")
        verbose_name_plural = _("report access")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
