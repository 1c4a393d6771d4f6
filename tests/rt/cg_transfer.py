#!/usr/bin/python3
"""Reads a callgrind profile taken with
     --collect-atstart=no --toggle-collect=FN --collect-systime=yes --compress-strings=no
so that only what ran inside FN (and everything it called) carries cost, and decides whether
that code is real-time safe.

  cg_transfer.py PROFILE FN [--allow-syscall NAME]...

Fails (exit 1, naming the offender) when
  - FN itself has no cost: it never ran, so the profile proves nothing;
  - any function that ran inside FN allocates, frees, takes a lock that can wait, sleeps,
    does I/O or logs (names below, with or without glibc's @VERSION suffix);
  - any function that ran inside FN made a system call (callgrind's sysCount), except the
    functions named by --allow-syscall (clock_gettime: valgrind hides the vDSO, so there it is a
    system call; plugin_rt.sh shows separately that natively it never enters the kernel).
Prints every function that ran inside FN with its instruction count and system calls."""
import re
import sys

FORBIDDEN = re.compile(
    r"^_*(lib_)?("
    r"malloc|calloc|realloc|reallocarray|free|cfree|posix_memalign|aligned_alloc|memalign|valloc"
    r"|pvalloc|mmap|mmap64|munmap|mremap|brk|sbrk|strdup|strndup|asprintf|vasprintf"
    r"|pthread_mutex_lock|pthread_mutex_timedlock|pthread_rwlock_\w+lock|pthread_cond_\w+"
    r"|pthread_spin_lock|pthread_once|pthread_join|sem_wait|sem_timedwait|futex\w*|lll_lock\w*"
    r"|nanosleep|clock_nanosleep|usleep|sleep|sched_yield|pause"
    r"|read|write|readv|writev|pread|pread64|pwrite|pwrite64|ioctl|poll|ppoll|select|pselect"
    r"|epoll_wait|send|recv|sendmsg|recvmsg|sendto|recvfrom|open|open64|openat|close|fopen"
    r"|fclose|fflush|fwrite|fputs|puts|putc|fputc|printf|fprintf|vfprintf|dprintf|vdprintf"
    r"|snprintf|vsnprintf|syslog|vsyslog|perror|snd_lib_error\w*|snd_err_msg\w*|abort|exit"
    r"|syscall"
    r")(_nocancel|_internal)?$")


def main():
    profile, fn_name = sys.argv[1], sys.argv[2]
    allow = set()
    args = sys.argv[3:]
    while args:
        if args[0] == "--allow-syscall" and len(args) > 1:
            allow.add(args[1])
            args = args[2:]
        else:
            sys.exit("usage: cg_transfer.py PROFILE FN [--allow-syscall NAME]...")
    events, fn, after_calls = [], None, False
    cost = {}
    for line in open(profile):
        line = line.rstrip("\n")
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("fn="):
            fn, after_calls = line[3:], False
        elif line.startswith("calls="):
            after_calls = True  # the next cost line is the callee's inclusive cost
        elif line[:1].isdigit() or line[:1] in "+-*":
            vals = [int(v) for v in line.split()[1:]]
            if after_calls:
                after_calls = False
                continue
            if fn is None:
                continue
            c = cost.setdefault(fn, [0, 0])
            c[0] += vals[events.index("Ir")] if len(vals) > events.index("Ir") else 0
            if "sysCount" in events and len(vals) > events.index("sysCount"):
                c[1] += vals[events.index("sysCount")]
    if "sysCount" not in events:
        sys.exit("profile lacks sysCount: run callgrind with --collect-systime=yes")
    bad = []
    ran = {f: c for f, c in cost.items() if c[0] or c[1]}
    for f, (ir, sc) in sorted(ran.items(), key=lambda kv: -kv[1][0]):
        base = f.split("@")[0].split("'")[0]
        print("# %10d instr %4d syscalls  %s" % (ir, sc, f))
        if FORBIDDEN.match(base):
            bad.append("%s runs inside %s" % (f, fn_name))
        if sc and base not in allow:
            bad.append("%s makes %d system calls inside %s" % (f, sc, fn_name))
    if not any(f.split("'")[0] == fn_name and c[0] > 0 for f, c in ran.items()):
        bad.append("%s has no cost: it never ran, the profile proves nothing" % fn_name)
    for b in bad:
        print("# FAIL: " + b)
    sys.exit(1 if bad else 0)


main()
