-- ML: per-reading features of the iot stream for predictive maintenance (infra/ml/iot_failure.toml).
-- Reads bronze.iot (the iot stream's bronze table). Readings outside physical ranges (the
-- simulator's injected spikes) are left out. Features: the reading plus rolling statistics of
-- the device's last five readings. Label failure_soon: the device's vibration exceeds 2.5 g in
-- one of its next ten readings; the last ten readings of a device (future unknown) are left out.
-- Kept outside infra/sql so that a lake without the iot stream can still build that library:
--   lake sql --file infra/ml/views/ml_iot_features.sql
CREATE OR REPLACE VIEW ml.iot_features AS
WITH readings AS (
  SELECT record_id, device_id, site, event_time, event_date, temperature, humidity, pressure, vibration, battery
  FROM bronze.iot
  WHERE event_time IS NOT NULL
    AND (temperature IS NULL OR temperature BETWEEN -40 AND 90)
    AND (humidity IS NULL OR humidity BETWEEN 0 AND 100)
    AND (pressure IS NULL OR pressure BETWEEN 900 AND 1100)
    AND (vibration IS NULL OR vibration BETWEEN 0 AND 15)
),
windowed AS (
  SELECT
    *,
    avg(vibration) OVER (PARTITION BY device_id ORDER BY event_time, record_id
                         ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS vibration_avg5,
    max(vibration) OVER (PARTITION BY device_id ORDER BY event_time, record_id
                         ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS vibration_max5,
    vibration - lag(vibration, 5) OVER (PARTITION BY device_id ORDER BY event_time, record_id) AS vibration_trend5,
    avg(temperature) OVER (PARTITION BY device_id ORDER BY event_time, record_id
                           ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS temperature_avg5,
    stddev_samp(pressure) OVER (PARTITION BY device_id ORDER BY event_time, record_id
                                ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS pressure_std5,
    max(vibration) OVER (PARTITION BY device_id ORDER BY event_time, record_id
                         ROWS BETWEEN 1 FOLLOWING AND 10 FOLLOWING) AS vibration_next_max,
    count(*) OVER (PARTITION BY device_id ORDER BY event_time, record_id
                   ROWS BETWEEN 1 FOLLOWING AND 10 FOLLOWING) AS readings_after
  FROM readings
)
SELECT
  record_id, device_id, site, event_time, event_date,
  temperature, humidity, pressure, vibration, battery,
  vibration_avg5, vibration_max5, vibration_trend5, temperature_avg5, pressure_std5,
  CAST(vibration_next_max > 2.5 AS INT) AS failure_soon
FROM windowed
WHERE readings_after = 10 AND vibration_next_max IS NOT NULL;
