-- Silver: one row per heart-clinic visit, from the bronze Delta table of the heart stream.
-- A record delivered twice (a replayed Kinesis batch) keeps its first arrival, and rows
-- with physiologically implausible measurements (the simulator's outliers) are left out;
-- missing measurements stay NULL for the model's imputation.
CREATE OR REPLACE VIEW silver.heart_visits AS
WITH ranked AS (
  SELECT
    b.*,
    row_number() OVER (PARTITION BY record_id ORDER BY _arrival_time, _sequence_number) AS copy_no
  FROM bronze.heart AS b
)
SELECT
  record_id, patient_id, visit_id, event_time, event_date, clinic_id, device_id,
  age, sex, chest_pain_type, resting_bp, cholesterol, fasting_blood_sugar, resting_ecg,
  max_heart_rate, exercise_angina, st_depression, st_slope, num_major_vessels, thal,
  heart_disease
FROM ranked
WHERE copy_no = 1
  AND coalesce(age BETWEEN 18 AND 100, true)
  AND coalesce(resting_bp BETWEEN 80 AND 220, true)
  AND coalesce(cholesterol BETWEEN 100 AND 600, true)
  AND coalesce(max_heart_rate BETWEEN 60 AND 220, true)
  AND coalesce(st_depression BETWEEN 0 AND 7, true);
