-- Silver: one row per heart-clinic visit, materialised incrementally from the bronze Delta table
-- of the heart stream (each run reads only bronze's new files; see README "ETL tables").
-- KEY (record_id): a record delivered twice (a replayed Kinesis batch), even days apart, is kept
-- once. Physiologically implausible measurements (the simulator's outliers) go to
-- silver.heart_visits__quarantine with the rules they broke; missing measurements stay NULL for
-- the model's imputation. Table rules: silver.heart_visits.expectations.json (GX) and
-- silver.heart_visits.dqdl (Glue DQDL) beside this file.
CREATE OR REFRESH TABLE silver.heart_visits (
  CONSTRAINT has_record_id EXPECT (record_id IS NOT NULL) ON VIOLATION FAIL UPDATE,
  CONSTRAINT has_patient_id EXPECT (patient_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT has_event_time EXPECT (event_time IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT plausible_age EXPECT (age IS NULL OR age BETWEEN 18 AND 100) ON VIOLATION DROP ROW,
  CONSTRAINT plausible_resting_bp EXPECT (resting_bp IS NULL OR resting_bp BETWEEN 80 AND 220) ON VIOLATION DROP ROW,
  CONSTRAINT plausible_cholesterol EXPECT (cholesterol IS NULL OR cholesterol BETWEEN 100 AND 600) ON VIOLATION DROP ROW,
  CONSTRAINT plausible_max_heart_rate EXPECT (max_heart_rate IS NULL OR max_heart_rate BETWEEN 60 AND 220) ON VIOLATION DROP ROW,
  CONSTRAINT plausible_st_depression EXPECT (st_depression IS NULL OR st_depression BETWEEN 0 AND 7) ON VIOLATION DROP ROW,
  CONSTRAINT known_sex EXPECT (sex IS NULL OR sex IN ('male', 'female')),
  CONSTRAINT binary_label EXPECT (heart_disease IS NULL OR heart_disease IN (0, 1))
)
KEY (record_id)
PARTITIONED BY (event_date)
AS SELECT
  record_id, patient_id, visit_id, event_time, clinic_id, device_id,
  age, sex, chest_pain_type, resting_bp, cholesterol, fasting_blood_sugar, resting_ecg,
  max_heart_rate, exercise_angina, st_depression, st_slope, num_major_vessels, thal,
  heart_disease, event_date
FROM bronze.heart;
