"""`manage.py collectstatic` as a deployment runs it (DEBUG off: the files renamed after their
content, the manifest post-processing every reference a CSS or JavaScript file makes)."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.test import override_settings


def test_it_collects_every_static_file_for_production(tmp_path: Path, settings) -> None:
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        # A vendored file naming a source map that is not shipped stops the whole command.
        call_command("collectstatic", interactive=False, verbosity=0)

    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "portal/vendor/libphonenumber-js/libphonenumber-min.js" in manifest
    assert "reports/vendor/chartjs/chart.umd.min.js" in manifest
