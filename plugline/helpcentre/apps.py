from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpCentreConfig(AppConfig):
    name = "plugline.helpcentre"
    label = "helpcentre"
    verbose_name = _("Help centre")

    def ready(self) -> None:
        # The pages of lower apps ask core for help links where people get stuck
        # (plugline.core.help_links); the help centre answers with its articles.
        from plugline.core.help_links import help_links_provider_set
        from plugline.helpcentre.selectors import related_help_links

        help_links_provider_set(related_help_links)
