"""Module `mail`: all, get, count, new (raw RFC 822 or JSON form), update (flags, move), delete.

Folder ids are OX's `default0/<IMAP name>`; message ids are IMAP UIDs.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import re
from email.message import EmailMessage
from typing import Any

from oxref import columns, errors
from oxref.api import Call, action

PREFIX = "default0/"
FLAGS = {"\\Answered": 1, "\\Deleted": 2, "\\Draft": 4, "\\Flagged": 8, "\\Recent": 16, "\\Seen": 32}
FETCH = "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE CONTENT-TYPE)])"


def imap_name(folder: str) -> str:
    if not folder.startswith(PREFIX) or len(folder) <= len(PREFIX):
        raise errors.invalid_parameter("folder", folder)
    return folder[len(PREFIX):]


async def user_email(call: Call) -> str:
    return (await call.services.user(call.user.cid, call.user.user_id))["email"]


def _addresses(value: Any) -> list[list[str]]:
    if not value:
        return []
    return [[name, address] for name, address in email.utils.getaddresses([str(value)]) if address]


def _summary(folder: str, meta: bytes, header: bytes) -> dict[str, Any]:
    text = meta.decode(errors="replace")
    uid = re.search(r"UID (\d+)", text).group(1)
    flags = sum(value for name, value in FLAGS.items() if name in text)
    size = int(re.search(r"RFC822.SIZE (\d+)", text).group(1))
    internal = re.search(r'INTERNALDATE "([^"]+)"', text)
    received = int(email.utils.mktime_tz(email.utils.parsedate_tz(internal.group(1))) * 1000) if internal else None
    headers = email.message_from_bytes(header, policy=email.policy.default)
    sent = headers["Date"]
    return {
        "id": uid, "folder_id": folder, "from": _addresses(headers["From"]), "to": _addresses(headers["To"]),
        "cc": _addresses(headers["Cc"]), "subject": str(headers["Subject"] or ""), "size": size, "flags": flags,
        "received_date": received,
        "sent_date": int(sent.datetime.timestamp() * 1000) if sent is not None and sent.datetime else None,
        "attachment": "multipart/mixed" in str(headers["Content-Type"] or ""),
        "level": 0, "account_id": 0, "account_name": "E-Mail",
    }


def _pairs(data: list) -> list[tuple[bytes, bytes]]:
    return [(item[0], item[1]) for item in data if isinstance(item, tuple)]


@action("mail", "all")
async def all_mails(call: Call) -> list[list[Any]]:
    folder = call.param("folder")
    mailbox, wanted = imap_name(folder), call.columns("600,601", allow_names=True)
    address = await user_email(call)

    def fetch() -> list[dict]:
        with call.services.mail.imap(address, mailbox, readonly=True) as imap:
            status, data = imap.uid("SEARCH", None, "ALL")
            uids = data[0].split() if status == "OK" and data and data[0] else []
            if not uids:
                return []
            status, data = imap.uid("FETCH", b",".join(uids).decode(), FETCH)
            return [_summary(folder, meta, header) for meta, header in _pairs(data)]

    mails = await call.services.mail.call(fetch)
    mails.sort(key=lambda m: m["received_date"] or 0, reverse=True)
    return columns.rows(mails, wanted, columns.MAIL)


@action("mail", "count")
async def count(call: Call) -> int:
    mailbox = imap_name(call.param("folder"))
    address = await user_email(call)

    def status() -> int:
        with call.services.mail.imap(address) as imap:
            result, data = imap.status(f'"{mailbox}"', "(MESSAGES)")
            if result != "OK":
                raise errors.OXException("MSG-1002", errors.USER_INPUT, "Mail folder %s does not exist", mailbox)
            return int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))

    return await call.services.mail.call(status)


def _addressed(call: Call) -> tuple[str, str, str]:
    """The mail a call names: its folder, its IMAP uid, and the IMAP mailbox of the folder."""
    folder, uid = call.param("folder"), call.param("id")
    if not uid.isdigit():
        raise errors.invalid_parameter("id", uid)
    return folder, uid, imap_name(folder)


@action("mail", "get")
async def get(call: Call) -> dict[str, Any]:
    folder, uid, mailbox = _addressed(call)
    address = await user_email(call)
    unseen = call.params.get("unseen") == "true"

    def fetch() -> tuple[bytes, bytes]:
        with call.services.mail.imap(address, mailbox) as imap:
            part = "BODY.PEEK[]" if unseen else "BODY[]"
            status, data = imap.uid("FETCH", uid, f"(UID FLAGS RFC822.SIZE INTERNALDATE {part})")
            pairs = _pairs(data)
            if status != "OK" or not pairs:
                raise errors.OXException("MSG-1032", errors.USER_INPUT, "Mail %s not found in folder %s", uid, folder)
            return pairs[0]

    meta, raw = await call.services.mail.call(fetch)
    if call.params.get("src") in ("1", "true"):
        return raw.decode("utf-8", errors="replace")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    summary = _summary(folder, meta, raw.split(b"\r\n\r\n", 1)[0])
    attachments = []
    for index, part in enumerate(message.walk(), start=1):
        if part.is_multipart():
            continue
        content = part.get_content() if part.get_content_maintype() == "text" else None
        attachment = {
            "id": str(index), "content_type": part.get_content_type(), "disp": part.get_content_disposition() or "inline",
            "size": len(part.get_payload(decode=True) or b""), "content": content,
        }
        if part.get_filename():
            attachment["filename"] = part.get_filename()
        attachments.append(attachment)
    return {**summary, "attachments": attachments, "headers": {k: str(v) for k, v in message.items()}}


def _compose(call: Call, sender: str) -> EmailMessage:
    raw = call.params.get("json_0")
    if raw is None:
        raise errors.missing_parameter("json_0")
    try:
        spec = json.loads(raw)
    except ValueError:
        raise errors.invalid_parameter("json_0", raw[:40]) from None

    def addresses(value: Any) -> str:
        items = value if isinstance(value, list) else [value]
        return ", ".join(
            email.utils.formataddr((item[0] or "", item[1])) if isinstance(item, list) else str(item) for item in items if item
        )

    message = EmailMessage()
    message["From"] = addresses(spec.get("from")) or sender
    message["To"] = addresses(spec.get("to", []))
    if spec.get("cc"):
        message["Cc"] = addresses(spec["cc"])
    message["Subject"] = spec.get("subject", "")
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain=call.services.config.mail_domain)
    body = next((a.get("content", "") for a in spec.get("attachments", []) if isinstance(a, dict)), "")
    message.set_content(body or "")
    return message


@action("mail", "new")
async def new(call: Call) -> dict[str, str]:
    sender = await user_email(call)
    if call.body:
        message = email.message_from_bytes(call.body, policy=email.policy.default)
    else:
        message = _compose(call, sender)
    headers = [str(message[h]) for h in ("To", "Cc", "Bcc") if message[h]]
    recipients = [addr for header in headers for _, addr in email.utils.getaddresses([header]) if addr]
    if not recipients:
        raise errors.OXException("MSG-1020", errors.USER_INPUT, "The mail has no recipients")
    if "Bcc" in message:
        del message["Bcc"]
    data = message.as_bytes(policy=email.policy.SMTP)
    await call.services.mail.call(call.services.mail.send, sender, recipients, data)

    def keep_copy() -> str:
        with call.services.mail.imap(sender) as imap:
            status, response = imap.append('"Sent"', "(\\Seen)", None, data)
            match = re.search(rb"APPENDUID \d+ (\d+)", response[0] or b"") if status == "OK" else None
            return match.group(1).decode() if match else ""

    try:
        uid = await call.services.mail.call(keep_copy)
    except errors.OXException as exc:
        # The mail is on its way: failing now would make the user send it again. OX says so in a warning.
        call.warnings.append(errors.OXException(
            "MSG-1054", errors.WARNING, "The mail was sent, but no copy could be kept in the Sent folder: %s",
            exc.message).envelope())
        return {"folder_id": f"{PREFIX}Sent", "id": ""}
    return {"folder_id": f"{PREFIX}Sent", "id": uid}


@action("mail", "update")
async def update(call: Call) -> dict[str, str]:
    folder, uid, mailbox = _addressed(call)
    body = call.json_body()
    if not isinstance(body, dict):
        raise errors.OXException("SVL-0009", errors.USER_INPUT, "Expected a JSON object")
    address = await user_email(call)
    target = imap_name(str(body["folder_id"])) if body.get("folder_id") and body["folder_id"] != folder else None
    flag_bits = body.get("flags")
    if flag_bits is not None and (not isinstance(flag_bits, int) or isinstance(flag_bits, bool) or flag_bits < 0):
        raise errors.invalid_parameter("flags", flag_bits)

    def change() -> dict[str, str]:
        with call.services.mail.imap(address, mailbox) as imap:
            if flag_bits is not None:
                names = " ".join(name for name, bit in FLAGS.items() if bit & int(flag_bits) and bit != 16)
                imap.uid("STORE", uid, "+FLAGS" if body.get("value", True) else "-FLAGS", f"({names})")
            if target:
                imap.untagged_responses.pop("OK", None)  # a reused connection may hold an older COPYUID
                status, response = imap.uid("MOVE", uid, f'"{target}"')
                if status != "OK":
                    raise errors.OXException("MSG-1032", errors.USER_INPUT, "Mail %s could not be moved", uid)
                match = re.search(rb"COPYUID \d+ \d+ (\d+)", b" ".join(r for r in imap.untagged_responses.get("OK", []) if r))
                return {"folder_id": f"{PREFIX}{target}", "id": match.group(1).decode() if match else uid}
            return {"folder_id": folder, "id": uid}

    return await call.services.mail.call(change)


@action("mail", "delete")
async def delete(call: Call) -> list[str]:
    items = call.json_body()
    items = items if isinstance(items, list) else [items]
    hard = call.params.get("harddelete", call.params.get("hardDelete")) == "true"
    address = await user_email(call)
    by_folder: dict[str, list[str]] = {}
    for item in items:
        if not isinstance(item, dict) or not str(item.get("id", "")).isdigit():
            raise errors.OXException("SVL-0009", errors.USER_INPUT, "Expected objects with id and folder")
        by_folder.setdefault(imap_name(item.get("folder", item.get("folder_id", ""))), []).append(str(item["id"]))

    def remove() -> list[str]:
        for mailbox, uids in by_folder.items():
            with call.services.mail.imap(address, mailbox) as imap:
                uid_set = ",".join(uids)
                if hard or mailbox == "Trash":
                    imap.uid("STORE", uid_set, "+FLAGS", "(\\Deleted)")
                    imap.uid("EXPUNGE", uid_set)
                else:
                    imap.uid("MOVE", uid_set, '"Trash"')
        return []

    return await call.services.mail.call(remove)
