-- Gold: daily visit counts and risk indicators per clinic (dashboard source), materialised as an
-- ETL table: recomputed from silver.heart_visits (complete mode) whenever silver moved, so a
-- dashboard reads a small table instead of aggregating every visit.
CREATE OR REFRESH TABLE gold.heart_daily_by_clinic (
  CONSTRAINT has_visits EXPECT (visits > 0) ON VIOLATION FAIL UPDATE,
  CONSTRAINT disease_rate_is_a_rate EXPECT (disease_rate IS NULL OR disease_rate BETWEEN 0 AND 1) ON VIOLATION FAIL UPDATE
)
KEY (event_date, clinic_id)
AS SELECT
  event_date,
  clinic_id,
  count(*) AS visits,
  count(DISTINCT patient_id) AS patients,
  round(avg(age), 1) AS avg_age,
  round(avg(resting_bp), 1) AS avg_resting_bp,
  round(avg(cholesterol), 1) AS avg_cholesterol,
  round(avg(CAST(heart_disease AS DOUBLE)), 4) AS disease_rate
FROM silver.heart_visits
GROUP BY event_date, clinic_id;
