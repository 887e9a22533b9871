"""Strings of Django and of the libraries that their own Chinese catalogues leave in English or word
badly (Django 5.2, django-import-export 4.4, django-celery-beat 2.9): the portal's catalogue
(``locale/zh_Hans``) translates them, and naming them here keeps ``makemessages`` from dropping
those entries as unused. The admin's JavaScript strings are in ``djangojs.po`` beside it.

``tests/yiling/test_catalogues.py`` reads every installed catalogue and fails on a string that
reaches a user in English; :data:`LEFT_IN_ENGLISH` lists the few left so on purpose, with the reason.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

LIBRARY_STRINGS = (
    # Django
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("In case you’ve forgotten, you are:"),
    # django-import-export: missing, or worded wrongly in its catalogue
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file."
    ),
    gettext_noop("No valid data to import. Ensure your file has the correct headers or data for import."),
    gettext_noop("export failed due to IllegalCharacterError"),
    gettext_noop("Resource"),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    gettext_noop("Value could not be parsed."),
    ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", 1),
    gettext_noop("Some rows failed to validate"),
    gettext_noop("Non field specific"),
    # django-celery-beat (its admin is the district's, for the notices' schedules)
    gettext_noop("Schedule"),
    gettext_noop("Arguments"),
    gettext_noop("Execution Options"),
    gettext_noop('Cron Months (1-12) Of The Year to Run. Use "*" for "all". (Example: "1,12")'),
    gettext_noop('Cron Days Of The Week to Run. Use "*" for "all", Sunday is 0 or 7, Monday is 1. (Example: "0,5")'),
)

#: Catalogue strings that stay in English, and why no user meets them in English.
LEFT_IN_ENGLISH = {
    "IPv4": "the same in Chinese",
    "IPv6": "the same in Chinese",
    "URL": "the same in Chinese",
    "This password is too short. It must contain at least %d character.": (
        "Django words it with %d, which its catalogue lacks; yiling.accounts.MinimumLengthValidator words it"
    ),
    "The following fields are declared in 'import_id_fields' but are not present in the file headers: %s": (
        "formatted before it is looked up, so it cannot be translated; "
        "yiling.resources.ScopedResourceMixin refuses a missing column in Chinese first"
    ),
    "The following fields are declared in 'import_id_fields' but are not present in the resource fields: %s": (
        "a resource's own mistake, found by the tests, never by a file"
    ),
    "Form is not validated, call `is_valid` first": "a programming error",
    "call to force_str() on instance failed: %s": "a programming error, shown as an unforeseen error",
    "use_natural_foreign_keys and key_is_id cannot both be True": "a programming error",
    'task "{not_found_task_name}" not found': "an f-string looked up after formatting: it cannot be translated",
}
