"""Module `contacts`: contacts in the user's contact folders, stored in the context's schema."""

from oxref.columns import CONTACT_FIELDS
from oxref.modules.records import RecordType, register

CONTACTS = RecordType(
    table="contact",
    folder_module="contacts",
    fields=CONTACT_FIELDS,
    delete_answer="empty",
)
register("contacts", CONTACTS)
