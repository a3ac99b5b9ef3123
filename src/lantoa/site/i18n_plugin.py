"""mkdocs-static-i18n, extended from our side (no copies of its code, no monkey-patching).

Two changes, each pinned by tests/test_i18n_plugin.py:

1. Language tags. Upstream's ``RE_LOCALE`` accepts only ISO 639-1 codes, so
   ``tyz``, ``blt-Tavt`` or ``cjm-Cham`` are refused. Our config classes
   redeclare the ``locale`` options with a BCP 47 check (ISO 639-1/639-3 +
   ISO 15924 via :mod:`lantoa.i18n.tags`). The suffix structure accepts any
   suffix that is a configured language, so nothing else needs changing.

2. One language per build. Upstream's ``on_post_build`` calls ``build()`` again
   for every other language, in the same process, after monkey-patching
   ``mkdocs.utils.clean_directory`` and reading ``sys.argv``. Lan Tỏa instead
   runs one MkDocs build per language (in parallel processes) and merges the
   results, so ``build_language`` picks the language of this build and
   ``on_post_build`` does not rebuild anything.
"""

from __future__ import annotations

from mkdocs.config import config_options
from mkdocs.config.base import ValidationError
from mkdocs_static_i18n.config import I18nPluginConfig, I18nPluginLanguage
from mkdocs_static_i18n.plugin import I18n

from ..i18n import tags


class Bcp47Locale(config_options.Type):
    """A BCP 47 tag whose language subtag is ISO 639-1 or ISO 639-3 (or upstream's ``null``)."""

    def __init__(self, **kwargs):
        super().__init__(str, **kwargs)

    def run_validation(self, value):
        value = super().run_validation(value)
        if value.lower() == "null":
            return value
        try:
            tags.parse(value)
        except tags.TagError as exc:
            raise ValidationError(f"{exc} ({exc.hint})" if exc.hint else str(exc))
        return value


class LantoaI18nLanguage(I18nPluginLanguage):
    locale = Bcp47Locale()


class LantoaI18nConfig(I18nPluginConfig):
    build_only_locale = config_options.Optional(Bcp47Locale())
    languages = config_options.ListOfItems(config_options.SubConfig(LantoaI18nLanguage, validate=True))
    #: the language this MkDocs run builds; None = the default language
    build_language = config_options.Optional(Bcp47Locale())


class LantoaI18n(I18n):
    config_class = LantoaI18nConfig
    config_scheme = LantoaI18nConfig._schema

    def on_config(self, config):
        # Runs before upstream's on_config, which only sets a language when none is set.
        if self.current_language is None:
            wanted = self.config.build_language
            if wanted and wanted not in self.build_languages:
                raise ValidationError(f"build_language '{wanted}' is not one of the configured languages")
            self.current_language = wanted or self.default_language
        return super().on_config(config)

    def on_post_build(self, config):
        # Upstream rebuilds every other language here; Lan Tỏa's builder runs
        # one process per language instead, so there is nothing to do.
        return None
