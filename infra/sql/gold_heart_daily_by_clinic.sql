-- Gold: daily visit counts and risk indicators per clinic (dashboard source).
CREATE OR REPLACE VIEW gold.heart_daily_by_clinic AS
SELECT
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
