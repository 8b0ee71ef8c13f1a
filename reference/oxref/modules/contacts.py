"""Module `contacts`: contacts in the user's contact folders, stored in the context's schema."""

from oxref.modules.records import RecordType, register

CONTACTS = RecordType(
    table="contact",
    folder_module="contacts",
    fields={
        500: ("display_name", "display_name"),
        501: ("first_name", "first_name"),
        502: ("last_name", "last_name"),
        555: ("email1", "email1"),
        556: ("email2", "email2"),
        542: ("telephone_business1", "telephone_business1"),
        569: ("company", "company"),
        518: ("note", "note"),
        223: ("uid", "uid"),
    },
)
register("contacts", CONTACTS)
