"""Dev-only SMTP relay: accepts mail on a port and hands it to Dovecot's LMTP (stands in for Postfix).

Usage: python tests/reference/dev/smtp_to_lmtp.py [listen_port=10025] [lmtp_port=10024]
"""

from __future__ import annotations

import asyncio
import smtplib
import sys


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, lmtp_port: int) -> None:
    async def say(line: str) -> None:
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    sender, recipients = "", []
    await say("220 dev-relay ESMTP")
    while line := await reader.readline():
        command = line.decode(errors="replace").strip()
        verb = command[:4].upper()
        if verb in ("HELO", "EHLO"):
            await say("250 dev-relay")
        elif verb == "MAIL":
            sender, recipients = command.split(":", 1)[1].strip().strip("<>").split(">")[0], []
            await say("250 OK")
        elif verb == "RCPT":
            recipients.append(command.split(":", 1)[1].strip().strip("<>").split(">")[0])
            await say("250 OK")
        elif verb == "DATA":
            await say("354 go ahead")
            lines = []
            while (data := await reader.readline()) not in (b".\r\n", b".\n", b""):
                lines.append(data[1:] if data.startswith(b"..") else data)
            try:
                with smtplib.LMTP("127.0.0.1", lmtp_port) as lmtp:
                    lmtp.sendmail(sender, recipients, b"".join(lines))
                await say("250 delivered")
            except smtplib.SMTPException as exc:
                await say(f"550 {exc}")
        elif verb == "QUIT":
            await say("221 bye")
            break
        else:
            await say("250 OK")
    writer.close()


async def main(port: int, lmtp_port: int) -> None:
    server = await asyncio.start_server(lambda r, w: serve(r, w, lmtp_port), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10025, int(sys.argv[2]) if len(sys.argv) > 2 else 10024))
