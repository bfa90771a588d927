-- ML: the scoring view — the features of every visit without a diagnosis yet, shaped exactly like
-- ml.heart_features (ml_heart_features.sql) without the label, so a model trained on that view
-- scores these visits (`lake predict … --input ml.heart_unlabelled`) and is monitored on them
-- (`lake monitor run … --input ml.heart_unlabelled`), as the demo pipeline does.
CREATE OR REPLACE VIEW ml.heart_unlabelled AS
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
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS visit_number
FROM silver.heart_visits
WHERE heart_disease IS NULL;
