"""`python -m app serve` as its own process: what it says at start-up beyond loopback, and what live mode refuses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.servers import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WARNING = "yijian: WARNING: the WeChat sandbox listens on"


def _embedded_env(data_dir) -> dict[str, str]:
    """This environment without any storage or secret of its own: the embedded default under `data_dir`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("YIJIAN_")}
    return {**env, "YIJIAN_DATA_DIR": str(data_dir), "YIJIAN_LOG_LEVEL": "WARNING"}


def _serve_until_healthy(tmp_path, host: str, command: str = "serve", probe: str = "/healthz", *,
                         clean_exit: bool = True) -> str:
    """Start `<command> --host host`, wait until it answers `probe` on loopback, stop it; its stderr.

    `clean_exit=False` for the sandbox alone: it runs Sanic in single-process mode, which answers requests while
    its after-start listeners still run and handles SIGTERM gracefully only after them, so a stop sent in that
    window ends the process by the signal itself. What such a test checks is what was said at start-up."""
    port = free_port()
    stderr_path = tmp_path / "stderr"
    with open(stderr_path, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "app", command, "--host", host, "--port", str(port)],
                                   env=_embedded_env(tmp_path / "var"), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=stderr)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, stderr_path.read_text()[-2000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, stderr_path.read_text()[-2000:]
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=30)
        if clean_exit:
            assert status == 0, stderr_path.read_text()[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return stderr_path.read_text()


def test_serving_the_sandbox_beyond_loopback_warns_at_start_up(tmp_path):
    stderr = _serve_until_healthy(tmp_path, "0.0.0.0")
    warnings = [line for line in stderr.splitlines() if line.startswith(WARNING)]
    assert len(warnings) == 1, stderr
    assert "0.0.0.0" in warnings[0] and "/sandbox/wechat/control/pay" in warnings[0]
    # The embedded default it ran on keeps its files private.
    data_dir = tmp_path / "var"
    assert data_dir.stat().st_mode & 0o777 == 0o700
    for path in data_dir.glob("yijian.sqlite3*"):
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_the_sandbox_alone_beyond_loopback_warns_too(tmp_path):
    stderr = _serve_until_healthy(tmp_path, "0.0.0.0", "sandbox", "/sandbox/wechat/control/faults",
                                  clean_exit=False)
    assert len([line for line in stderr.splitlines() if line.startswith(WARNING)]) == 1, stderr


def test_serving_on_loopback_does_not_warn(tmp_path):
    stderr = _serve_until_healthy(tmp_path, "127.0.0.1")
    assert WARNING not in stderr


@pytest.mark.parametrize("command", [["serve", "--host", "0.0.0.0"], ["worker"], ["migrate"]])
def test_live_mode_without_its_keys_refuses_to_start_naming_what_is_missing(tmp_path, command):
    env = {**_embedded_env(tmp_path), "YIJIAN_WECHAT_MODE": "live", "YIJIAN_WX_APPID": "wx0123456789abcdef",
           "YIJIAN_WX_SECRET": "s" * 32, "YIJIAN_JWT_SECRET": "j" * 40}
    result = subprocess.run([sys.executable, "-m", "app", *command], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("yijian: configuration error: YIJIAN_WECHAT_MODE=live needs ")
    for missing in ("YIJIAN_WXPAY_MCHID", "YIJIAN_WXPAY_APIV3_KEY", "YIJIAN_ENCRYPTION_KEY (not a generated one)",
                    "YIJIAN_DATABASE_URL=postgres://", "YIJIAN_REDIS_URL=redis://", "YIJIAN_PUBLIC_BASE_URL=https://"):
        assert missing in lines[0]
    for configured in ("YIJIAN_WX_APPID", "YIJIAN_WX_SECRET", "YIJIAN_JWT_SECRET"):
        assert configured not in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing generated, no SQLite file made
