-- ML: a short free-text note per heart visit, for the LDA topics example (infra/ml/heart_topics.toml).
-- The simulator emits no free text, so the note is written from the visit's categorical findings;
-- NULL findings are left out of the note (concat_ws skips NULLs).
--   lake sql --file infra/ml/views/ml_heart_notes.sql
CREATE OR REPLACE VIEW ml.heart_notes AS
SELECT
  visit_id,
  patient_id,
  event_date,
  concat_ws(', ',
    concat(replace(chest_pain_type, '_', ' '), ' chest pain'),
    concat(replace(resting_ecg, '_', ' '), ' resting ecg'),
    concat(st_slope, ' st slope'),
    concat(replace(thal, '_', ' '), ' thal'),
    CASE WHEN exercise_angina THEN 'angina on exercise' WHEN NOT exercise_angina THEN 'no exercise angina' END,
    CASE WHEN fasting_blood_sugar THEN 'raised fasting sugar' WHEN NOT fasting_blood_sugar THEN 'normal fasting sugar' END,
    CASE WHEN num_major_vessels > 0 THEN concat(num_major_vessels, ' vessels coloured') END,
    CASE WHEN st_depression >= 2 THEN 'marked st depression' END
  ) AS notes
FROM silver.heart_visits;
