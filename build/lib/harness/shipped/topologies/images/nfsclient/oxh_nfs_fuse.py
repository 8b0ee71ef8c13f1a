"""Userspace NFS client: mounts an NFS export through FUSE, speaking NFS with Debian's libnfs.

The kernels ox-harness runs on may have no NFS client, so middleware and
Dovecot nodes mount the shared filestore with this bridge instead: fusepy
receives the file system calls, libnfs (through ctypes) sends them to the
NFS server. Each request carries the calling process's uid and gid, so files
are owned on the server by whoever created them. While the server is away,
calls wait for it, like a hard mount.

Usage: oxh_nfs_fuse.py nfs://SERVER/EXPORT MOUNTPOINT [--foreground]
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import os
import stat
import sys
import threading
import time
from urllib.parse import urlparse

from fusepy import FUSE, FuseOSError, Operations, fuse_get_context

LIBNFS = "libnfs.so.13"
NFS_V3 = 3
READ_CHUNK = 1 << 20
ATTR_TIMEOUT = 0.5


class NfsStat64(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks",
            "atime", "mtime", "ctime", "atime_nsec", "mtime_nsec", "ctime_nsec", "used",
        )
    ]


class NfsStatvfs64(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "f_bsize", "f_frsize", "f_blocks", "f_bfree", "f_bavail",
            "f_files", "f_ffree", "f_favail", "f_fsid", "f_flag", "f_namemax",
        )
    ]


class Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class NfsDirent(ctypes.Structure):
    pass


NfsDirent._fields_ = [
    ("next", ctypes.POINTER(NfsDirent)),
    ("name", ctypes.c_char_p),
    ("inode", ctypes.c_uint64),
    ("type", ctypes.c_uint32),
    ("mode", ctypes.c_uint32),
    ("size", ctypes.c_uint64),
    ("atime", Timeval),
    ("mtime", Timeval),
    ("ctime", Timeval),
    ("uid", ctypes.c_uint32),
    ("gid", ctypes.c_uint32),
    ("nlink", ctypes.c_uint32),
]


def load_libnfs() -> ctypes.CDLL:
    lib = ctypes.CDLL(LIBNFS, use_errno=True)
    ptr, char_p, u64 = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint64
    signatures = {
        "nfs_init_context": ([], ptr),
        "nfs_get_error": ([ptr], char_p),
        "nfs_set_version": ([ptr, ctypes.c_int], ctypes.c_int),
        "nfs_set_uid": ([ptr, ctypes.c_int], None),
        "nfs_set_gid": ([ptr, ctypes.c_int], None),
        "nfs_set_autoreconnect": ([ptr, ctypes.c_int], None),
        "nfs_mount": ([ptr, char_p, char_p], ctypes.c_int),
        "nfs_lstat64": ([ptr, char_p, ctypes.POINTER(NfsStat64)], ctypes.c_int),
        "nfs_fstat64": ([ptr, ptr, ctypes.POINTER(NfsStat64)], ctypes.c_int),
        "nfs_open2": ([ptr, char_p, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ptr)], ctypes.c_int),
        "nfs_create": ([ptr, char_p, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ptr)], ctypes.c_int),
        "nfs_close": ([ptr, ptr], ctypes.c_int),
        "nfs_pread": ([ptr, ptr, u64, u64, ptr], ctypes.c_int),
        "nfs_pwrite": ([ptr, ptr, u64, u64, ptr], ctypes.c_int),
        "nfs_fsync": ([ptr, ptr], ctypes.c_int),
        "nfs_ftruncate": ([ptr, ptr, u64], ctypes.c_int),
        "nfs_truncate": ([ptr, char_p, u64], ctypes.c_int),
        "nfs_opendir": ([ptr, char_p, ctypes.POINTER(ptr)], ctypes.c_int),
        "nfs_readdir": ([ptr, ptr], ctypes.POINTER(NfsDirent)),
        "nfs_closedir": ([ptr, ptr], None),
        "nfs_mkdir2": ([ptr, char_p, ctypes.c_int], ctypes.c_int),
        "nfs_rmdir": ([ptr, char_p], ctypes.c_int),
        "nfs_unlink": ([ptr, char_p], ctypes.c_int),
        "nfs_rename": ([ptr, char_p, char_p], ctypes.c_int),
        "nfs_link": ([ptr, char_p, char_p], ctypes.c_int),
        "nfs_symlink": ([ptr, char_p, char_p], ctypes.c_int),
        "nfs_readlink": ([ptr, char_p, char_p, ctypes.c_int], ctypes.c_int),
        "nfs_chmod": ([ptr, char_p, ctypes.c_int], ctypes.c_int),
        "nfs_lchown": ([ptr, char_p, ctypes.c_int, ctypes.c_int], ctypes.c_int),
        "nfs_lutimes": ([ptr, char_p, ctypes.POINTER(Timeval)], ctypes.c_int),
        "nfs_statvfs64": ([ptr, char_p, ctypes.POINTER(NfsStatvfs64)], ctypes.c_int),
    }
    for name, (argtypes, restype) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype
    return lib


class NfsConnection:
    """One libnfs context; libnfs contexts are not thread-safe, so every call holds the lock."""

    def __init__(self, lib: ctypes.CDLL, server: str, export: str):
        self.lib = lib
        self.lock = threading.RLock()
        self.ctx = lib.nfs_init_context()
        if not self.ctx:
            raise RuntimeError("nfs_init_context failed")
        lib.nfs_set_version(self.ctx, NFS_V3)
        lib.nfs_set_autoreconnect(self.ctx, -1)  # retry forever: a hard mount
        result = lib.nfs_mount(self.ctx, server.encode(), export.encode())
        if result != 0:
            raise RuntimeError(f"mounting {server}:{export} failed: {self.error()}")

    def error(self) -> str:
        message = self.lib.nfs_get_error(self.ctx)
        return message.decode(errors="replace") if message else "unknown error"

    def call(self, name: str, *args, as_caller: bool = True):
        """Run one libnfs call as the FUSE caller; a negative result becomes FuseOSError."""
        with self.lock:
            if as_caller:
                uid, gid, _ = fuse_get_context()
                self.lib.nfs_set_uid(self.ctx, uid)
                self.lib.nfs_set_gid(self.ctx, gid)
            result = getattr(self.lib, name)(self.ctx, *args)
        if isinstance(result, int) and result < 0:
            raise FuseOSError(-result if -result in errno.errorcode else errno.EIO)
        return result


def _b(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


class NfsOperations(Operations):
    """FUSE operations forwarded to NFS; paths are relative to the export's root."""

    use_ns = True

    def __init__(self, nfs: NfsConnection):
        self.nfs = nfs
        self.handles: dict[int, ctypes.c_void_p] = {}
        self.next_handle = 1
        self.handle_lock = threading.Lock()

    # -- attributes -------------------------------------------------------

    def getattr(self, path, fh=None):
        st = NfsStat64()
        if fh is not None and fh.fh in self.handles:
            self.nfs.call("nfs_fstat64", self.handles[fh.fh], ctypes.byref(st))
        else:
            self.nfs.call("nfs_lstat64", _b(path), ctypes.byref(st))
        return {
            "st_mode": st.mode,
            "st_ino": st.ino,
            "st_nlink": st.nlink,
            "st_uid": st.uid,
            "st_gid": st.gid,
            "st_size": st.size,
            "st_blocks": st.blocks,
            "st_atime": st.atime * 10**9 + st.atime_nsec,
            "st_mtime": st.mtime * 10**9 + st.mtime_nsec,
            "st_ctime": st.ctime * 10**9 + st.ctime_nsec,
        }

    def access(self, path, amode):
        self.getattr(path)
        return 0

    def chmod(self, path, mode):
        return self.nfs.call("nfs_chmod", _b(path), stat.S_IMODE(mode))

    def chown(self, path, uid, gid):
        current = self.getattr(path)
        uid = current["st_uid"] if uid == 0xFFFFFFFF or uid == -1 else uid
        gid = current["st_gid"] if gid == 0xFFFFFFFF or gid == -1 else gid
        return self.nfs.call("nfs_lchown", _b(path), uid, gid)

    def utimens(self, path, times=None):
        now = time.time_ns()
        atime, mtime = times or (now, now)
        pair = (Timeval * 2)(
            Timeval(atime // 10**9, (atime % 10**9) // 1000), Timeval(mtime // 10**9, (mtime % 10**9) // 1000)
        )
        return self.nfs.call("nfs_lutimes", _b(path), pair)

    def statfs(self, path):
        sv = NfsStatvfs64()
        self.nfs.call("nfs_statvfs64", _b(path), ctypes.byref(sv))
        return {
            "f_bsize": sv.f_bsize, "f_frsize": sv.f_frsize, "f_blocks": sv.f_blocks, "f_bfree": sv.f_bfree,
            "f_bavail": sv.f_bavail, "f_files": sv.f_files, "f_ffree": sv.f_ffree, "f_favail": sv.f_favail,
            "f_namemax": sv.f_namemax,
        }

    # -- directories ------------------------------------------------------

    def readdir(self, path, fh):
        directory = ctypes.c_void_p()
        self.nfs.call("nfs_opendir", _b(path), ctypes.byref(directory))
        names = []
        with self.nfs.lock:
            try:
                while True:
                    entry = self.nfs.lib.nfs_readdir(self.nfs.ctx, directory)
                    if not entry:
                        break
                    names.append(entry.contents.name.decode("utf-8", "surrogateescape"))
            finally:
                self.nfs.lib.nfs_closedir(self.nfs.ctx, directory)
        return names

    def mkdir(self, path, mode):
        return self.nfs.call("nfs_mkdir2", _b(path), stat.S_IMODE(mode))

    def rmdir(self, path):
        return self.nfs.call("nfs_rmdir", _b(path))

    # -- names --------------------------------------------------------------

    def unlink(self, path):
        return self.nfs.call("nfs_unlink", _b(path))

    def rename(self, old, new):
        return self.nfs.call("nfs_rename", _b(old), _b(new))

    def link(self, target, source):
        # fusepy passes (new name, existing file).
        return self.nfs.call("nfs_link", _b(source), _b(target))

    def symlink(self, target, source):
        # fusepy passes (link name, what it points to).
        return self.nfs.call("nfs_symlink", _b(source), _b(target))

    def readlink(self, path):
        buffer = ctypes.create_string_buffer(4096)
        self.nfs.call("nfs_readlink", _b(path), buffer, len(buffer))
        return buffer.value.decode("utf-8", "surrogateescape")

    # -- files --------------------------------------------------------------

    def _register(self, handle: ctypes.c_void_p) -> int:
        with self.handle_lock:
            number = self.next_handle
            self.next_handle += 1
            self.handles[number] = handle
        return number

    def create(self, path, mode, fi):
        flags = fi.flags & (os.O_EXCL | os.O_TRUNC | os.O_APPEND)
        handle = ctypes.c_void_p()
        self.nfs.call("nfs_create", _b(path), flags | os.O_RDWR, stat.S_IMODE(mode), ctypes.byref(handle))
        fi.fh = self._register(handle)
        return 0

    def open(self, path, fi):
        handle = ctypes.c_void_p()
        flags = fi.flags & ~(os.O_CREAT | os.O_EXCL | os.O_APPEND)
        self.nfs.call("nfs_open2", _b(path), flags, 0, ctypes.byref(handle))
        fi.fh = self._register(handle)
        return 0

    def read(self, path, size, offset, fi):
        buffer = ctypes.create_string_buffer(size)
        done = 0
        while done < size:
            count = min(size - done, READ_CHUNK)
            view = ctypes.cast(ctypes.addressof(buffer) + done, ctypes.c_void_p)
            got = self.nfs.call("nfs_pread", self.handles[fi.fh], offset + done, count, view)
            if got == 0:
                break
            done += got
        return buffer.raw[:done]

    def write(self, path, data, offset, fi):
        buffer = ctypes.create_string_buffer(data, len(data))
        done = 0
        while done < len(data):
            view = ctypes.cast(ctypes.addressof(buffer) + done, ctypes.c_void_p)
            done += self.nfs.call("nfs_pwrite", self.handles[fi.fh], offset + done, len(data) - done, view)
        return done

    def truncate(self, path, length, fi=None):
        if fi is not None and fi.fh in self.handles:
            return self.nfs.call("nfs_ftruncate", self.handles[fi.fh], length)
        return self.nfs.call("nfs_truncate", _b(path), length)

    def flush(self, path, fi):
        return 0

    def fsync(self, path, datasync, fi):
        return self.nfs.call("nfs_fsync", self.handles[fi.fh])

    def release(self, path, fi):
        handle = self.handles.pop(fi.fh, None)
        if handle is not None:
            self.nfs.call("nfs_close", handle, as_caller=False)
        return 0


def parse_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "nfs" or not parsed.hostname or not parsed.path:
        raise SystemExit(f"not an nfs:// URL: {url!r} (expected nfs://SERVER/EXPORT)")
    return parsed.hostname, parsed.path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="nfs://SERVER/EXPORT")
    parser.add_argument("mountpoint")
    parser.add_argument("--foreground", action="store_true")
    args = parser.parse_args(argv)
    server, export = parse_url(args.url)
    nfs = NfsConnection(load_libnfs(), server, export)
    FUSE(
        NfsOperations(nfs),
        args.mountpoint,
        raw_fi=True,
        foreground=args.foreground,
        nothreads=False,
        allow_other=True,
        big_writes=True,
        max_write=1 << 20,
        default_permissions=True,
        attr_timeout=ATTR_TIMEOUT,
        entry_timeout=ATTR_TIMEOUT,
        negative_timeout=0,
        fsname=f"{server}:{export}",
        subtype="oxhnfs",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
