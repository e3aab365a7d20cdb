#!/bin/sh
# The benchmark in one command: bench/run.sh [run.py options], e.g. --quick.
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
