from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "plugline.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from plugline.accounts import signals  # noqa: F401
        from plugline.accounts.services import user_sessions_prune
        from plugline.core.scheduling import register_periodic_job

        self._register_data_export_sections()
        # The records of browsers whose session has ended (expired, cleared, deleted).
        register_periodic_job(
            "accounts.prune_user_sessions", every=timedelta(hours=1), func=user_sessions_prune
        )

    def _register_data_export_sections(self) -> None:
        # The account's own data and that of the apps below accounts; apps
        # above (devices, ...) register theirs in their own ready().
        from plugline.accounts import selectors
        from plugline.accounts.data_export import register_data_export_section
        from plugline.core.selectors import audit_event_export
        from plugline.notifications.selectors import outbox_export

        register_data_export_section("profile", selectors.user_profile_export)
        register_data_export_section("emails", selectors.user_email_export)
        register_data_export_section("sessions", selectors.user_session_export)
        register_data_export_section("two_factor", selectors.user_two_factor_export)
        register_data_export_section("known_browsers", selectors.user_known_browser_export)
        register_data_export_section("audit_events", audit_event_export)
        register_data_export_section("emails_sent", outbox_export)
