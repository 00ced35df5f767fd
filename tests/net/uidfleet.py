# SPDX-License-Identifier: GPL-2.0-or-later
"""One child process per uid, for tests of what many local users can do.

fleet(plan, work, label): for each (uid, *args) in plan, fork a child that
drops to that uid (and gid) and runs work(*args), then exits; prints
"LABEL N" once all N are started and returns when they have all ended. Run
as root; every work() must bound itself in time.
"""
import os


def fleet(plan, work, label):
    kids = []
    for uid, *args in plan:
        pid = os.fork()
        if pid:
            kids.append(pid)
            continue
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            work(*args)
        finally:
            os._exit(0)
    print(label, len(kids), flush=True)
    for k in kids:
        os.waitpid(k, 0)
