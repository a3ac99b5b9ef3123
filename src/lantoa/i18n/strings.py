"""The UI string keys Lan Tỏa needs, beyond Material's own.

Every language file in ``locales/`` may define any of these under ``strings:``;
``vi`` and ``en`` must define all of them (``lantoa check`` enforces it).
Placeholders in braces are filled by the templates.
"""

from __future__ import annotations

#: key -> what it is for (shown to translators by ``lantoa check``)
LANTOA_KEYS: dict[str, str] = {
    "site.name": "The site's name in this language (brand: 'Lan Tỏa' may stay as is)",
    "site.tagline": "One line under the site name on the home page",
    "site.description": "One sentence describing the site, for search engines",
    "nav.home": "Link to the home page",
    "nav.stories": "Heading above the list of stories",
    "nav.categories": "Heading above the list of categories",
    "nav.languages": "Title of the page listing every language",
    "nav.about": "Title of the about page link",
    "home.latest": "Heading of the latest stories on the home page",
    "home.read_more": "Link text on a story card",
    "category.title": "Page title of a category; {category} is the category name",
    "category.empty": "Shown on a category with no story yet",
    "category.history": "Category name",
    "category.culture": "Category name",
    "category.heritage": "Category name",
    "category.people": "Category name",
    "category.achievements": "Category name",
    "category.economy": "Category name",
    "category.tourism": "Category name",
    "category.diplomacy": "Category name",
    "category.science": "Category name",
    "story.published": "Label before the publication date",
    "story.updated": "Label before the date of the last update",
    "story.sources": "Heading of the list of sources",
    "story.as_of": "Before the date a source was checked; {date} is the date",
    "story.credit": "Label before the photo credit",
    "story.license": "Label before the photo licence",
    "story.press_kit": "Link to the story's press kit, a zip of its full-size photos, its text in every language and the credits",
    "story.authors": "Label before the authors",
    "story.tags": "Label before the tags",
    "story.category": "Label before the category",
    "notice.fallback": "Shown on a story not translated yet; {language} is this language's name, {fallback} the name of the language shown",
    "notice.machine": "Shown on a machine translation nobody has reviewed",
    "notice.read_source": "Link to the story in its source language; {language} is that language's name",
    "languages.intro": "Introduction of the languages page",
    "languages.unchecked": "Marks a language whose strings no native speaker has checked yet",
    "languages.stories": "How many stories a language has; {count} is the number",
    "footer.rights": "Footer line about reuse of content",
    "a11y.skip": "Skip-to-content link for screen readers",
    "lang.switch": "Label of the language switcher button",
    "notice.outdated": "Shown on a translation whose source changed since it was translated",
    "notfound.title": "Title of the 404 page",
    "notfound.text": "Text of the 404 page",
    "notfound.home": "Link from the 404 page to the home page",
    "lang.fallback_mark": "In the language switcher, after a language that does not have this page yet",
    "lang.suggest": "Shown on a first visit when the browser prefers another language; {language} is its name",
    "lang.suggest_dismiss": "Button that closes the language suggestion",
    "search.all": "Check box in the search box: search every language, not only this one",
    "search.error": "Shown in the search box when its index cannot be loaded",
}
