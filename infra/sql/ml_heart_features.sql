-- ML: the labelled feature view training specs read (one row per visit).
CREATE OR REPLACE VIEW ml.heart_features AS
SELECT
  visit_id,
  patient_id,
  clinic_id,
  event_date,
  age,
  CASE WHEN sex = 'male' THEN 1 ELSE 0 END AS male,
  chest_pain_type,
  resting_bp,
  cholesterol,
  CAST(fasting_blood_sugar AS INT) AS fasting_blood_sugar,
  resting_ecg,
  max_heart_rate,
  CAST(exercise_angina AS INT) AS exercise_angina,
  st_depression,
  st_slope,
  num_major_vessels,
  thal,
  count(*) OVER (PARTITION BY patient_id ORDER BY event_time
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS visit_number,
  heart_disease AS label
FROM silver.heart_visits
WHERE heart_disease IS NOT NULL;
