import os
import sys

# Before gRPC loads: its core's own notices (a program's callbacks server going away, fork
# handlers) are not the gate's output; errors still show.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from .cli import main

sys.exit(main())
