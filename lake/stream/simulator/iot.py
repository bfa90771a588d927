"""The ``iot`` generator: device telemetry with regimes, battery drain and injected anomalies.

Each device keeps a regime that changes over time (``normal`` → ``hot`` or ``failing`` and
back after repair); temperature follows a daily cycle, humidity moves against temperature,
a failing device vibrates more and more, and batteries drain until they are replaced. The
outlier knob injects anomalies: ``spike`` (one absurd reading) and ``stuck`` (a sensor
repeating its last value for several readings). Regime and anomaly go to ground truth
only; the record itself carries no label.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lake.stream.simulator.base import GeneratedRecord, GeneratorOptions, format_event_time
from lake.stream.simulator.errors import SimulatorConfigError

__all__ = ["REGIMES", "SITES", "IotGenerator"]

SITES = ("plant-north", "plant-south", "warehouse-east", "datacenter-1", "yard-west")
REGIMES = ("normal", "hot", "failing")
SENSORS = ("temperature", "humidity", "pressure", "vibration")
_DEFAULT_DEVICES = 50
# regime: {next regime: probability per reading}
_TRANSITIONS = {
    "normal": {"hot": 0.003, "failing": 0.001},
    "hot": {"normal": 0.03},
    "failing": {"normal": 0.01},
}
_SPIKE_SHARE = 0.7  # the rest of the anomalies are stuck sensors
_DECIMALS = {"temperature": 2, "humidity": 1, "pressure": 1, "vibration": 3, "battery": 1}


@dataclass
class _Device:
    device_id: str
    site: str
    base_temperature: float
    base_humidity: float
    base_pressure: float
    drain: float
    battery: float
    regime: str = "normal"
    failing_for: int = 0
    stuck_field: str | None = None
    stuck_value: float = 0.0
    stuck_left: int = 0


class IotGenerator:
    """Sensor readings from a fleet of devices spread over a few sites."""

    name = "iot"
    label_field: str | None = None
    feature_fields: tuple[str, ...] = (*SENSORS, "battery")
    drift_field = "co2_ppm"
    drift_string_field = "temperature"

    def __init__(self, options: GeneratorOptions) -> None:
        self.options = options
        devices = options.entities or _DEFAULT_DEVICES
        if devices < 1:
            raise SimulatorConfigError("devices", devices, "an integer ≥ 1")
        setup = options.python_rng(11)
        self._devices = [
            _Device(
                device_id=f"dev-{i:04d}",
                site=SITES[i % len(SITES)],
                base_temperature=setup.uniform(18.0, 26.0),
                base_humidity=setup.uniform(35.0, 55.0),
                base_pressure=setup.uniform(1005.0, 1020.0),
                drain=setup.uniform(0.01, 0.05),
                battery=setup.uniform(40.0, 100.0),
            )
            for i in range(devices)
        ]
        self._rng = options.python_rng(12)
        self._anomaly_rng = options.python_rng(13)

    def _step_regime(self, device: _Device) -> None:
        u = self._rng.random()
        for regime, probability in _TRANSITIONS[device.regime].items():
            if u < probability:
                device.regime = regime
                device.failing_for = 0
                return
            u -= probability
        if device.regime == "failing":
            device.failing_for += 1

    def _reading(self, device: _Device, event_time: datetime) -> dict[str, float]:
        rng = self._rng
        hour = event_time.hour + event_time.minute / 60
        daily = 2.5 * math.sin(2 * math.pi * (hour - 9) / 24)
        temperature = device.base_temperature + daily + rng.gauss(0, 0.4)
        vibration = math.exp(rng.gauss(0.0, 0.25))
        noise = 1.0
        if device.regime == "hot":
            temperature += 14.0 + rng.gauss(0, 1.0)
            vibration *= 1.5
        elif device.regime == "failing":
            temperature += 0.02 * device.failing_for
            vibration += 0.05 * device.failing_for
            noise = 3.0
        humidity = device.base_humidity - 0.8 * (temperature - device.base_temperature)
        device.battery -= device.drain
        if device.battery < 5.0:
            device.battery = 100.0  # replaced
        return {
            "temperature": temperature + rng.gauss(0, 0.2 * noise),
            "humidity": min(100.0, max(0.0, humidity + rng.gauss(0, 1.5 * noise))),
            "pressure": device.base_pressure + rng.gauss(0, 0.8 * noise),
            "vibration": vibration * (1 + rng.gauss(0, 0.05 * noise)) ** 2,
            "battery": device.battery,
        }

    def _inject(self, device: _Device, values: dict[str, float]) -> dict[str, Any] | None:
        """Apply a running stuck sensor or start a new anomaly; returns its ground truth."""
        rng = self._anomaly_rng
        if device.stuck_left > 0 and device.stuck_field:
            values[device.stuck_field] = device.stuck_value
            device.stuck_left -= 1
            return {"type": "stuck", "field": device.stuck_field}
        if not self.options.outlier_rate or rng.random() >= self.options.outlier_rate:
            return None
        field = rng.choice(SENSORS)
        if rng.random() >= _SPIKE_SHARE:
            device.stuck_field = field
            device.stuck_value = values[field]
            device.stuck_left = rng.randint(5, 30)
            return {"type": "stuck", "field": field}
        clean = values[field]
        if field == "temperature":
            values[field] = clean + rng.choice((-1, 1)) * rng.uniform(40.0, 90.0)
        elif field == "humidity":
            values[field] = rng.choice((-1.0, 1.0)) * rng.uniform(120.0, 200.0)
        elif field == "pressure":
            values[field] = clean + rng.choice((-1, 1)) * rng.uniform(150.0, 400.0)
        else:
            values[field] = clean * rng.uniform(15.0, 40.0)
        return {"type": "spike", "field": field, "clean": round(clean, _DECIMALS[field])}

    def next_record(self, index: int, record_id: str, event_time: datetime) -> GeneratedRecord:
        device = self._devices[self._rng.randrange(len(self._devices))]
        self._step_regime(device)
        values = self._reading(device, event_time)
        anomaly = self._inject(device, values)
        record: dict[str, Any] = {
            "record_id": record_id,
            "device_id": device.device_id,
            "site": device.site,
            "event_time": format_event_time(event_time),
        }
        record.update({k: round(v, _DECIMALS[k]) for k, v in values.items()})
        truth = {"regime": device.regime, "anomaly": anomaly is not None, "outlier": anomaly}
        return GeneratedRecord(record, device.device_id, truth)

    def drift_value(self, record: dict[str, Any], rng: random.Random) -> int:
        """CO₂ concentration (ppm) from a new air-quality sensor."""
        return max(380, round(rng.gauss(650.0, 120.0)))

    def drift_string(self, value: Any, rng: random.Random) -> str:
        """Temperature written with its unit (``"23.4 C"``) or as a status word."""
        if rng.random() < 0.7:
            return f"{value:.1f} C"
        return "overheat" if value > 35 else "nominal"
