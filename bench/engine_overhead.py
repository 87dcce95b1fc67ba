"""What `voc run` costs around the night itself: in-process, as a flow on a temporary Prefect server,
and as a flow on a running server.

Each engine runs the same night (same generated sample, a fresh store each time) through the CLI
in a fresh process, the way a user runs it; the baseline is the in-process (`--engine plain`) run
measured in the same invocation. The temporary server is what `--engine prefect` starts when no
``PREFECT_API_URL`` is configured.

    python -m bench.engine_overhead [--records 500]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(config: Path, engine: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",  # the installed `voc`: the prefect engine comes with flows
            "run",
            "--config",
            str(config),
            "--out",
            str(config.parent / "out"),
            "--engine",
            engine,
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500)
    args = parser.parse_args()
    from voc.demo import demo_settings, prepare_demo

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1", VOC_PROGRESS="off")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        night, sample = prepare_demo(tmp / "sample", n_records=args.records)
        env["PREFECT_HOME"] = str(tmp / "prefect-home")

        def config_for(name: str) -> Path:
            folder = tmp / name
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            settings = demo_settings(sample, folder / "out").model_dump(mode="json")
            path = folder / "voc.yaml"
            path.write_text(yaml.safe_dump(settings), encoding="utf-8")
            return path

        rows.append(("plain (in-process, baseline)", _run(config_for("plain"), "plain", env)))
        rows.append(("prefect, temporary server", _run(config_for("ephemeral"), "prefect", env)))
        port = _free_port()
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "prefect"),
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            import httpx

            for _ in range(120):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(1)
            served = {**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
            rows.append(
                ("prefect, running server (auto with PREFECT_API_URL)", _run(config_for("server"), "auto", served))
            )
        finally:
            server.terminate()
            server.wait(30)
    base = rows[0][1]
    print(f"\n`voc run` on {args.records} generated records (seconds, whole command)")
    print(f"{'engine':<55} {'seconds':>8} {'x plain':>8} {'extra s':>8}")
    for name, seconds in rows:
        print(f"{name:<55} {seconds:8.1f} {seconds / base:8.2f} {seconds - base:8.1f}")


if __name__ == "__main__":
    main()
