-- dialect: athena
-- Gold: weekly totals, written in Athena (Trino) SQL and transpiled to Spark SQL.
CREATE OR REPLACE VIEW gold.heart_weekly AS
SELECT
  date_trunc('week', event_date) AS week,
  count(*) AS visits,
  approx_distinct(patient_id) AS patients,
  sum(heart_disease) AS positives
FROM silver.heart_visits
GROUP BY date_trunc('week', event_date);
