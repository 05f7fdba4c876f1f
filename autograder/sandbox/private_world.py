"""A private world for one submission, made inside the worker's sandbox by the process the zygote forks.

The zygote's process forks one process per submission; that process calls
:func:`enter` which

- unshares new user, PID, mount, IPC, network and UTS namespaces and forks the
  submission's first process, PID 1 of its own PID namespace: no process
  outside (the zygote, earlier submissions) can be seen by PID, signalled or
  traced, and when PID 1 ends the kernel ends every process of the submission;
- mounts private, size-limited tmpfs on ``/tmp``, ``/dev/shm`` and the home
  folder (the submission's files are copied there from the read-only staging
  folder, which is then hidden), and makes ``/dev`` read-only: whatever the
  submission writes dies with its mount namespace;
- drops every capability and sets ``no_new_privs``.

The forking process stays behind, outside the new namespaces, as the
submission's keeper: it forwards an interrupt to PID 1, kills it when told to,
and exits once every process of the submission is gone.

Linux only; it needs unprivileged user namespaces (bubblewrap's sandbox allows them).
"""
from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME = 16384, 1 << 18, 1 << 21
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
_CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, value, 0, 0, 0), f"prctl({option})")


def _mount(source, target: str, kind, flags: int, options: str | None = None) -> None:
    encode = lambda text: None if text is None else text.encode()  # noqa: E731
    _check(_libc.mount(encode(source), encode(target), encode(kind), flags, encode(options)), f"mount {target}")


def _write(path: str, text: str) -> None:
    handle = os.open(path, os.O_WRONLY)
    try:
        os.write(handle, text.encode())
    finally:
        os.close(handle)


def _read_only(target: str) -> None:
    """Remount ``target`` read-only, keeping the flags a less privileged namespace may not clear."""
    current = os.statvfs(target).f_flag
    kept = current & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
    if current & os.ST_RELATIME:
        kept |= MS_RELATIME
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)


def _drop_capabilities() -> None:
    header, data = _CapHeader(_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _tmpfs(target: str, size_bytes: int, inodes: int, mode: str = "1777") -> None:
    _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={size_bytes},nr_inodes={inodes},mode={mode}")


def enter(home: str, staging: str, scratch_bytes: int, max_inodes: int) -> None:
    """Return in PID 1 of a new private world; the calling process becomes its keeper and never returns."""
    uid, gid = os.getuid(), os.getgid()
    # A process that is not dumpable (as the zygote, and so this fork of it) has its /proc/self files owned by
    # the host's root: an ordinary user could then not write its own namespace's maps. Dumpable only for them.
    prctl(PR_SET_DUMPABLE, 1)
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS),
           "unshare")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    prctl(PR_SET_DUMPABLE, 0)
    child = os.fork()
    if child:
        _keep(child)  # never returns
    # The keeper killed (it is killed only after it failed to end the submission): the whole submission goes too.
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # Python's own folders may lie under /tmp (a clone in a temporary folder): the private /tmp must not hide them.
    kept = [(folder, os.open(folder, os.O_PATH | os.O_DIRECTORY)) for folder in _python_folders_under_tmp()]
    _tmpfs("/tmp", scratch_bytes, max_inodes)
    for folder, handle in kept:
        os.makedirs(folder, exist_ok=True)
        _mount(f"/proc/self/fd/{handle}", folder, None, MS_BIND)
        _read_only(folder)
        os.close(handle)
    if os.path.isdir("/dev/shm"):
        _tmpfs("/dev/shm", min(scratch_bytes, 64 * 2**20), 1024)
    _read_only("/dev")
    _tmpfs(home, scratch_bytes, max_inodes, mode="0755")
    shutil.copytree(staging, home, dirs_exist_ok=True)
    _mount("tmpfs", staging, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,nr_inodes=1")
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    _drop_capabilities()
    prctl(PR_SET_DUMPABLE, 1)  # the zygote is not dumpable; the student's own processes may be read by themselves


def _python_folders_under_tmp() -> list[str]:
    folders = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    return sorted(folder for folder in folders if folder == "/tmp" or folder.startswith("/tmp/"))


def _keep(child: int) -> None:
    """The keeper: forward an interrupt, kill on SIGTERM, exit with PID 1 once its namespace is empty."""
    signal.signal(signal.SIGINT, lambda *_: _signal(child, signal.SIGINT))
    signal.signal(signal.SIGTERM, lambda *_: _signal(child, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            status = 0
            break
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF if status else 0)


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass
