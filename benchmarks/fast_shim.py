#!/usr/bin/env python3
"""A shim that answers in microseconds: `hello`, then `unsupported` to every request.

It measures what the differential harness itself costs per execution (issue 10's
"against a shim that answers in microseconds"):

    .venv/bin/python benchmarks/bench_fuzz.py --harness differential --record \\
        --shim "python3 benchmarks/fast_shim.py"
"""

import sys

_HELLO = b',"ok":true,"result":{"protocol":"ihp-shim/1","implementation":"fast","version":"0",' \
         b'"ops":[]}}\n'


def main() -> None:
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        start = line.find(b'"id":') + 5
        request_id = line[start : line.find(b",", start)]
        tail = _HELLO if b'"op":"hello"' in line else b',"ok":false,"unsupported":true}\n'
        out.write(b'{"id":' + request_id + tail)
        out.flush()


if __name__ == "__main__":
    main()
