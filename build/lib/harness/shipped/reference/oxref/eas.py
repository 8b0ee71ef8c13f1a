"""Exchange ActiveSync and USM: the OPTIONS handshake EAS clients start with; everything else is 501."""

from __future__ import annotations

from aiohttp import web

PROTOCOL_VERSIONS = "2.5,12.0,12.1,14.0,14.1"
COMMANDS = ("Sync,SendMail,SmartForward,SmartReply,GetAttachment,GetHierarchy,CreateCollection,DeleteCollection,"
            "MoveCollection,FolderSync,FolderCreate,FolderDelete,FolderUpdate,MoveItems,GetItemEstimate,MeetingResponse,"
            "Search,Settings,Ping,ItemOperations,Provision,ResolveRecipients,ValidateCert")


async def options(request: web.Request) -> web.Response:
    return web.Response(
        status=200,
        headers={
            "MS-Server-ActiveSync": "14.1",
            "MS-ASProtocolVersions": PROTOCOL_VERSIONS,
            "MS-ASProtocolCommands": COMMANDS,
            "Allow": "OPTIONS,POST",
            "Public": "OPTIONS,POST",
        },
    )


async def not_implemented(request: web.Request) -> web.Response:
    return web.json_response(
        {"error": f"{request.method} {request.path} is not implemented by this node", "code": "EAS-0501"}, status=501
    )
