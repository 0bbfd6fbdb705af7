"""Devices with a key and a label code, as the factory makes them (for the detection tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from plugline.accounts.models import User
from plugline.core.ports import free_port
from plugline.devices.keys import (
    device_key_generate,
    label_code_generate,
    label_code_hash,
    public_key_from_device_key,
)
from plugline.devices.models import Device, DeviceStatus
from plugline.devices.services import device_model_default


@dataclass
class BoxedDevice:
    device: Device
    key: str
    label_code: str

    @property
    def serial(self) -> str:
        return self.device.serial


def make_boxed_device(
    serial: str = "PLG10000001",
    *,
    status: str = DeviceStatus.SOLD_IN_STORE,
    owner: User | None = None,
) -> BoxedDevice:
    key = device_key_generate()
    code = label_code_generate()
    device = Device.objects.create(
        serial=serial,
        model=device_model_default(),
        status=status,
        owner=owner,
        public_key=public_key_from_device_key(key),
        label_code_hash=label_code_hash(serial=serial, code=code),
    )
    return BoxedDevice(device=device, key=key, label_code=code)


AGENT = Path(sys.executable).with_name("plugline-device")


@dataclass
class RunningAgent:
    process: subprocess.Popen[str]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        """What the agent logged so far (one line per request)."""
        return self.log_path.read_text()


@contextmanager
def running_agent(*, serial: str, key: str, portal: str) -> Iterator[RunningAgent]:
    """The real plugline-device, on a free port, for as long as the block runs."""
    with tempfile.TemporaryDirectory() as directory:
        log_path = Path(directory) / "agent.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [str(AGENT), "--serial", serial, "--port", "0", "--portal", portal],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                # The key from the environment, as the README suggests: not in `ps`.
                env={**os.environ, "PLUGLINE_DEVICE_KEY": key},
            )
        try:
            assert process.stdout is not None
            first_line = process.stdout.readline()
            match = re.search(r"http://127\.0\.0\.1:(\d+)", first_line)
            assert match, f"the agent did not start: {first_line!r} {log_path.read_text()}"
            yield RunningAgent(process=process, port=int(match.group(1)), log_path=log_path)
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


def port_with_nothing_listening() -> int:
    return free_port()
