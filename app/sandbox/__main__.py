"""`python -m app.sandbox [--host] [--port] [--data-dir] [--time-factor]`: the sandbox alone, one process."""

from __future__ import annotations

import argparse
import os
import pathlib

from . import create_sandbox_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.sandbox", description="The built-in WeChat sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--data-dir", type=pathlib.Path, default=pathlib.Path(os.environ.get("YIJIAN_DATA_DIR", "var")))
    parser.add_argument("--time-factor", type=float,
                        default=float(os.environ.get("YIJIAN_SANDBOX_TIME_FACTOR", "1")))
    args = parser.parse_args()
    app = create_sandbox_app(args.data_dir, args.time_factor)
    # One process: the sandbox's state lives in memory and must not be split between workers.
    app.run(host=args.host, port=args.port, single_process=True, access_log=False)


if __name__ == "__main__":
    main()
